// parse_text / format_text for bytea.
#include <string>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {

template <>
Result<std::vector<std::byte>> parse_text<std::vector<std::byte>>(std::string_view text) {
  auto invalid = [&](std::string_view why) -> Result<std::vector<std::byte>> {
    return make_error(ErrorCategory::encode,
                      "not a valid bytea: '" + text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
  };
  std::vector<std::byte> out;
  if (text.size() >= 2 && text[0] == '\\' && (text[1] == 'x' || text[1] == 'X')) {
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i < text.size();) {
      if (text_util::is_space(text[i])) {  // the server allows whitespace between byte pairs
        ++i;
        continue;
      }
      if (i + 1 >= text.size()) return invalid("odd number of hex digits");
      const int hi = text_util::hex_value(text[i]);
      const int lo = text_util::hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return invalid("expected hex digits after \\x");
      out.push_back(static_cast<std::byte>(hi << 4 | lo));
      i += 2;
    }
    return out;
  }
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '\\') {
      out.push_back(static_cast<std::byte>(text[i]));
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back(std::byte{'\\'});
      i += 2;
      continue;
    }
    if (i + 3 < text.size() + 0 && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
        text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out.push_back(static_cast<std::byte>((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0')));
      i += 4;
      continue;
    }
    return invalid("a backslash must start \\\\ or a three-digit octal escape");
  }
  return out;
}

std::string format_text(std::span<const std::byte> bytea) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytea.size() * 2);
  for (std::byte b : bytea) {
    const auto v = std::to_integer<unsigned>(b);
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

}  // namespace pgstream::protocol
