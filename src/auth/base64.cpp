#include "pgstream/auth/base64.hpp"

#include <array>
#include <cstdint>

namespace pgstream::auth {
namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t k_invalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(k_invalid);
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr auto k_decode = make_decode_table();

}  // namespace

std::string base64_encode(std::span<const std::byte> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const auto v = (std::to_integer<std::uint32_t>(data[i]) << 16) |
                   (std::to_integer<std::uint32_t>(data[i + 1]) << 8) | std::to_integer<std::uint32_t>(data[i + 2]);
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += k_alphabet[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest != 0) {
    std::uint32_t v = std::to_integer<std::uint32_t>(data[i]) << 16;
    if (rest == 2) v |= std::to_integer<std::uint32_t>(data[i + 1]) << 8;
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += rest == 2 ? k_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::vector<std::byte>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(ErrorCategory::protocol,
                      "invalid base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::byte> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      std::uint8_t d = k_decode[static_cast<unsigned char>(c)];
      if (c == '=' && last && j >= 4 - padding) d = 0;
      if (d == k_invalid) return make_error(ErrorCategory::protocol, "invalid base64: unexpected character");
      v = (v << 6) | d;
    }
    const std::size_t produce = last ? 3 - padding : 3;
    out.push_back(static_cast<std::byte>(v >> 16));
    if (produce > 1) out.push_back(static_cast<std::byte>(v >> 8));
    if (produce > 2) out.push_back(static_cast<std::byte>(v));
  }
  return out;
}

}  // namespace pgstream::auth
