#include "pgstream/protocol/types/uuid.hpp"

#include <array>
#include <cstdint>
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

namespace {

constexpr std::array<std::int8_t, 256> kHexValue = [] {
  std::array<std::int8_t, 256> t{};
  for (std::size_t c = 0; c < t.size(); ++c) t[c] = static_cast<std::int8_t>(text_util::hex_value(static_cast<char>(c)));
  return t;
}();

// The canonical 8-4-4-4-12 form (what the server prints and nearly every producer writes), read
// at fixed positions: a load of a uuid column spends most of its uuid time here.
bool parse_canonical(std::string_view s, Uuid& u) noexcept {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  static constexpr std::uint8_t kAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
  int invalid = 0;  // any -1 of the table sets the sign bit
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = kHexValue[static_cast<unsigned char>(s[kAt[i]])];
    const int lo = kHexValue[static_cast<unsigned char>(s[kAt[i] + 1])];
    invalid |= hi | lo;
    u.bytes[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 15));
  }
  return invalid >= 0;
}

}  // namespace

template <>
Result<Uuid> parse_text<Uuid>(std::string_view text) {
  if (Uuid u; parse_canonical(text, u)) return u;
  std::string_view s = text;  // no trimming: the server's uuid_in refuses surrounding spaces too
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
