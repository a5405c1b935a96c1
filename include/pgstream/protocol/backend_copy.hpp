#pragma once
// COPY sub-protocol messages from the server: CopyInResponse ('G'), CopyOutResponse ('H'),
// CopyBothResponse ('W'), CopyData ('d'). CopyDone is in backend_query.hpp with the other
// empty messages.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pgstream/protocol/backend_detail.hpp"
#include "pgstream/protocol/format.hpp"
#include "pgstream/protocol/frame.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

enum class CopyDirection : char { in = 'G', out = 'H', both = 'W' };

// The start of a COPY: its direction, overall format and a format per column.
class CopyResponse {
 public:
  // Accepts 'G', 'H' and 'W'. Checks that the body holds exactly the announced column formats,
  // every format code is 0 or 1, and that a text COPY has only text columns.
  [[nodiscard]] static Result<CopyResponse> parse(const Frame& frame);

  [[nodiscard]] CopyDirection direction() const noexcept { return direction_; }
  [[nodiscard]] Format overall_format() const noexcept { return overall_; }
  [[nodiscard]] std::size_t column_count() const noexcept { return count_; }
  // i < column_count().
  [[nodiscard]] Format column_format(std::size_t i) const noexcept {
    return static_cast<Format>(detail::load_i16(formats_ + 2 * i));
  }

 private:
  const std::byte* formats_ = nullptr;
  std::uint16_t count_ = 0;
  Format overall_ = Format::text;
  CopyDirection direction_ = CopyDirection::out;
};

// A chunk of COPY data: any bytes (not aligned to rows).
class CopyData {
 public:
  [[nodiscard]] static Result<CopyData> parse(const Frame& frame) {
    if (frame.type != 'd') [[unlikely]] return detail::wrong_type("CopyData", frame.type);
    CopyData d;
    d.data_ = frame.body;
    return d;
  }
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return data_; }
  [[nodiscard]] std::string_view text() const noexcept { return detail::chars(data_.data(), data_.size()); }

 private:
  std::span<const std::byte> data_;
};

}  // namespace pgstream::protocol
