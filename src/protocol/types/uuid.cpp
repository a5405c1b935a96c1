#include "pgstream/protocol/types/uuid.hpp"

#include <string>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {

std::string Uuid::to_string() const {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string format_text(const Uuid& v) { return v.to_string(); }

template <>
Result<Uuid> parse_text<Uuid>(std::string_view text) {
  std::string_view s = text_util::trim(text);
  auto invalid = [&](std::string_view why) -> Result<Uuid> {
    return make_error(ErrorCategory::encode,
                      "not a valid uuid: '" + text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
  };
  if (!s.empty() && s.front() == '{') {
    if (s.back() != '}') return invalid("unbalanced braces");
    s = s.substr(1, s.size() - 2);
  }
  Uuid u;
  std::size_t nibbles = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '-') {
      // The server allows a hyphen after any group of four hex digits, never first or doubled.
      if (nibbles == 0 || nibbles % 4 != 0 || nibbles == 32 || s[i - 1] == '-') return invalid("misplaced hyphen");
      continue;
    }
    const int v = text_util::hex_value(c);
    if (v < 0) return invalid("expected hex digits");
    if (nibbles == 32) return invalid("more than 32 hex digits");
    u.bytes[nibbles / 2] = static_cast<std::uint8_t>(nibbles % 2 == 0 ? v << 4 : (u.bytes[nibbles / 2] | v));
    ++nibbles;
  }
  if (nibbles != 32) return invalid("expected 32 hex digits, got " + std::to_string(nibbles));
  if (!s.empty() && s.back() == '-') return invalid("misplaced hyphen");
  return u;
}

}  // namespace pgstream::protocol
