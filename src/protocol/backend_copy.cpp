#include "pgstream/protocol/backend_copy.hpp"

#include <string>

namespace pgstream::protocol {

Result<CopyResponse> CopyResponse::parse(const Frame& frame) {
  if (frame.type != 'G' && frame.type != 'H' && frame.type != 'W') {
    return detail::wrong_type("CopyInResponse, CopyOutResponse or CopyBothResponse", frame.type);
  }
  const char t = frame.type;
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 3) return detail::malformed(t, "body shorter than its format and column count");
  const auto overall = static_cast<std::int8_t>(b[0]);
  if (overall != 0 && overall != 1) {
    return detail::malformed(t, "overall format " + std::to_string(overall) + " is not 0 (text) or 1 (binary)");
  }
  const std::uint16_t count = detail::load_u16(b.data() + 1);
  if (b.size() != 3 + std::size_t{2} * count) {
    return detail::malformed(t, std::to_string(count) + " column formats need " +
                                    std::to_string(3 + std::size_t{2} * count) + " body bytes, got " +
                                    std::to_string(b.size()));
  }
  CopyResponse r;
  r.formats_ = b.data() + 3;
  r.count_ = count;
  r.overall_ = static_cast<Format>(overall);
  r.direction_ = static_cast<CopyDirection>(t);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int16_t f = detail::load_i16(r.formats_ + 2 * i);
    if (f != 0 && f != 1) {
      return detail::malformed_item(t, "column", i, "has format code " + std::to_string(f) + " (not 0 or 1)");
    }
    if (overall == 0 && f != 0) {
      return detail::malformed_item(t, "column", i, "is binary in a text COPY");
    }
  }
  return r;
}

}  // namespace pgstream::protocol
