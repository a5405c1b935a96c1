#pragma once
// Splits an input into lines without copying them one by one: lines are views into a large
// buffer refilled in chunks, each followed by enough readable bytes for simdjson's padding.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "pgstream/load/input_reader.hpp"

namespace pgstream::load {

struct Line {
  std::string_view text;        // without the '\n' (and without a '\r' before it)
  std::uint64_t number = 0;     // 1-based
  std::uint64_t byte_offset = 0;  // of the line's first byte in the (decompressed) input
  std::size_t capacity = 0;     // readable bytes from text.data(): >= text.size() + padding
};

class LineReader {
 public:
  static constexpr std::size_t padding = 64;  // >= SIMDJSON_PADDING
  explicit LineReader(InputReader& input, std::size_t chunk = 4u << 20);

  // The next line (valid until the next call), nullopt at the end.
  [[nodiscard]] Result<std::optional<Line>> next();
  // Time spent reading (and decompressing) input so far.
  [[nodiscard]] double read_seconds() const noexcept { return read_seconds_; }

 private:
  [[nodiscard]] Result<bool> refill();  // false at the end of the input

  InputReader& input_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t line_number_ = 0;
  std::uint64_t offset_ = 0;  // input offset of buf_[pos_]
  bool eof_ = false;
  double read_seconds_ = 0;
};

}  // namespace pgstream::load
