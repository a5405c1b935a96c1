// inet / cidr: text input and output as the server does them.
#include "pgstream/protocol/types/inet.hpp"

#include <string>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {
namespace {

using text_util::is_digit;

// Dotted IPv4 with 1..4 octets (fewer only when `allow_short`); returns the octet count or 0.
std::size_t parse_ipv4(std::string_view s, std::uint8_t* out, bool allow_short) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (true) {
    if (count == 4) return 0;
    unsigned v = 0;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 3) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || v > 255) return 0;
    out[count++] = static_cast<std::uint8_t>(v);
    if (i == s.size()) break;
    if (s[i] != '.') return 0;
    ++i;
  }
  if (count != 4 && !allow_short) return 0;
  return count;
}

bool parse_ipv6(std::string_view s, std::uint8_t* out) {
  std::uint16_t head[8] = {};
  std::uint16_t tail[8] = {};
  std::size_t n_head = 0;
  std::size_t n_tail = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s.starts_with("::")) {
    compressed = true;
    i = 2;
  } else if (s.starts_with(":")) {
    return false;
  }
  while (i < s.size()) {
    std::uint16_t* words = compressed ? tail : head;
    std::size_t& n = compressed ? n_tail : n_head;
    // An embedded IPv4 tail fills the last two words.
    const std::size_t next_colon = s.find(':', i);
    const std::string_view token = s.substr(i, next_colon == std::string_view::npos ? std::string_view::npos : next_colon - i);
    if (next_colon == std::string_view::npos && token.find('.') != std::string_view::npos) {
      std::uint8_t v4[4];
      if (parse_ipv4(token, v4, false) != 4 || n + 2 > 8) return false;
      words[n++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
      words[n++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
      i = s.size();
      break;
    }
    if (token.empty() || token.size() > 4 || n == 8) return false;
    unsigned v = 0;
    for (char c : token) {
      const int h = text_util::hex_value(c);
      if (h < 0) return false;
      v = v << 4 | static_cast<unsigned>(h);
    }
    words[n++] = static_cast<std::uint16_t>(v);
    i += token.size();
    if (i == s.size()) break;
    ++i;  // the colon
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;  // a second "::"
      compressed = true;
      ++i;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  std::uint16_t words[8] = {};
  if (compressed) {
    if (n_head + n_tail > 7) return false;
    for (std::size_t k = 0; k < n_head; ++k) words[k] = head[k];
    for (std::size_t k = 0; k < n_tail; ++k) words[8 - n_tail + k] = tail[k];
  } else {
    if (n_head != 8) return false;
    for (std::size_t k = 0; k < 8; ++k) words[k] = head[k];
  }
  for (std::size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(words[k] >> 8);
    out[2 * k + 1] = static_cast<std::uint8_t>(words[k] & 0xff);
  }
  return true;
}

// The shared grammar; `cidr` enables abbreviated IPv4 and the classful default prefix.
Result<NetAddress> parse_net(std::string_view type, std::string_view text, bool cidr) {
  const std::string_view s = text_util::trim(text);
  auto invalid = [&](std::string_view why) -> Result<NetAddress> {
    return make_error(ErrorCategory::encode, "not a valid " + std::string(type) + ": '" +
                                                 text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
  };
  const std::size_t slash = s.find('/');
  const std::string_view addr = s.substr(0, slash);
  int bits = -1;
  if (slash != std::string_view::npos) {
    const std::string_view b = s.substr(slash + 1);
    if (b.empty() || b.size() > 3) return invalid("expected a prefix length after '/'");
    bits = 0;
    for (char c : b) {
      if (!is_digit(c)) return invalid("expected a prefix length after '/'");
      bits = bits * 10 + (c - '0');
    }
  }
  NetAddress n;
  if (addr.find(':') != std::string_view::npos) {
    n.family = IpFamily::v6;
    if (!parse_ipv6(addr, n.address.data())) return invalid("malformed IPv6 address");
    if (bits < 0) bits = 128;
  } else {
    n.family = IpFamily::v4;
    const std::size_t octets = parse_ipv4(addr, n.address.data(), cidr);
    if (octets == 0) return invalid(cidr ? "expected 1 to 4 dotted octets 0-255" : "expected four dotted octets 0-255");
    if (bits < 0) {
      if (!cidr) {
        bits = 32;
      } else {
        // Classful default, widened to cover every octet written (the server's rule).
        const std::uint8_t first = n.address[0];
        bits = first >= 240 ? 32 : first >= 224 ? 8 : first >= 192 ? 24 : first >= 128 ? 16 : 8;
        if (bits < static_cast<int>(octets) * 8) bits = static_cast<int>(octets) * 8;
        if (bits == 8 && first == 224) bits = 4;
      }
    }
  }
  if (bits > n.max_bits()) {
    return invalid("prefix length " + std::to_string(bits) + " exceeds " + std::to_string(n.max_bits()));
  }
  n.bits = static_cast<std::uint8_t>(bits);
  if (cidr && !n.host_bits_zero()) {
    return invalid("bits are set right of the /" + std::to_string(bits) + " prefix; a cidr value is a network");
  }
  return n;
}

std::string format_net(const NetAddress& n, bool always_bits) {
  std::string out;
  if (n.family == IpFamily::v4) {
    for (std::size_t k = 0; k < 4; ++k) {
      if (k != 0) out.push_back('.');
      out += std::to_string(n.address[k]);
    }
  } else {
    unsigned words[8];
    for (std::size_t k = 0; k < 8; ++k) words[k] = static_cast<unsigned>(n.address[2 * k] << 8 | n.address[2 * k + 1]);
    // Longest run (first on ties) of at least two zero words becomes "::".
    int best_base = -1;
    int best_len = 0;
    for (int k = 0; k < 8;) {
      if (words[k] != 0) {
        ++k;
        continue;
      }
      int len = 0;
      while (k + len < 8 && words[k + len] == 0) ++len;
      if (len > best_len) {
        best_base = k;
        best_len = len;
      }
      k += len;
    }
    if (best_len < 2) best_base = -1;
    constexpr char kHex[] = "0123456789abcdef";
    for (int k = 0; k < 8; ++k) {
      if (best_base >= 0 && k >= best_base && k < best_base + best_len) {
        if (k == best_base) out.push_back(':');
        continue;
      }
      if (k != 0) out.push_back(':');
      // IPv4-compatible and IPv4-mapped addresses keep their dotted tail.
      if (k == 6 && best_base == 0 &&
          (best_len == 6 || (best_len == 7 && words[7] != 1) || (best_len == 5 && words[5] == 0xffff))) {
        for (std::size_t b = 12; b < 16; ++b) {
          if (b != 12) out.push_back('.');
          out += std::to_string(n.address[b]);
        }
        break;
      }
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned nib = (words[k] >> shift) & 15;
        if (nib != 0 || started || shift == 0) {
          out.push_back(kHex[nib]);
          started = true;
        }
      }
    }
    if (best_base >= 0 && best_base + best_len == 8) out.push_back(':');
  }
  if (always_bits || n.bits != n.max_bits()) out += "/" + std::to_string(n.bits);
  return out;
}

}  // namespace

bool NetAddress::host_bits_zero() const noexcept {
  for (unsigned bit = bits; bit < max_bits(); ++bit) {
    if (address[bit / 8] & (0x80u >> (bit % 8))) return false;
  }
  return true;
}

std::string Inet::to_string() const { return format_net(*this, false); }
std::string Cidr::to_string() const { return format_net(*this, true); }
std::string format_text(const Inet& v) { return v.to_string(); }
std::string format_text(const Cidr& v) { return v.to_string(); }

template <>
Result<Inet> parse_text<Inet>(std::string_view text) {
  auto n = parse_net("inet", text, false);
  if (!n) return std::unexpected(std::move(n.error()));
  Inet v;
  static_cast<NetAddress&>(v) = *n;
  return v;
}

template <>
Result<Cidr> parse_text<Cidr>(std::string_view text) {
  auto n = parse_net("cidr", text, true);
  if (!n) return std::unexpected(std::move(n.error()));
  Cidr v;
  static_cast<NetAddress&>(v) = *n;
  return v;
}

}  // namespace pgstream::protocol
