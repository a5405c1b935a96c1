#include "pgstream/protocol/backend_rows.hpp"

#include <string>

namespace pgstream::protocol {

namespace detail {

std::unexpected<Error> data_row_error(int kind, std::size_t index) {
  switch (kind) {
    case 0: return malformed('D', "body shorter than its 2-byte column count");
    case 1: return malformed('D', "column count " + std::to_string(index) + " does not fit in the body");
    case 2: return malformed_item('D', "column", index, "has its length cut off by the end of the body");
    case 3: return malformed_item('D', "column", index, "has a negative length other than -1 (NULL)");
    case 4: return malformed_item('D', "column", index, "runs past the end of the body");
    default: return malformed('D', "bytes left over after the last of " + std::to_string(index) + " columns");
  }
}

}  // namespace detail

Result<RowDescription> RowDescription::parse(const Frame& frame) {
  if (frame.type != 'T') return detail::wrong_type("RowDescription", frame.type);
  const std::span<const std::byte> b = frame.body;
  if (b.size() < 2) return detail::malformed('T', "body shorter than its 2-byte column count");
  const std::uint16_t count = detail::load_u16(b.data());
  // Each column takes at least a 1-byte name terminator and the fixed fields.
  if (b.size() - 2 < count * (fixed_size + 1)) {
    return detail::malformed('T', "column count " + std::to_string(count) + " does not fit in the body");
  }
  std::size_t pos = 2;
  for (std::uint16_t i = 0; i < count; ++i) {
    const std::size_t nul = detail::find_nul(b, pos);
    if (nul == detail::npos) return detail::malformed_item('T', "column", i, "has no NUL after its name");
    pos = nul + 1;
    if (b.size() - pos < fixed_size) {
      return detail::malformed_item('T', "column", i, "is cut off by the end of the body");
    }
    const std::int16_t format = detail::load_i16(b.data() + pos + 16);
    if (format != 0 && format != 1) {
      return detail::malformed_item('T', "column", i, "has format code " + std::to_string(format) + " (not 0 or 1)");
    }
    pos += fixed_size;
  }
  if (pos != b.size()) {
    return detail::malformed('T', "bytes left over after the last of " + std::to_string(count) + " columns");
  }
  return RowDescription(b, count);
}

}  // namespace pgstream::protocol
