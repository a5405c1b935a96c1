#pragma once
// inet and cidr: an IPv4 or IPv6 address with a prefix length.
//
// Binary layout: family u8 (2 = IPv4, 3 = IPv6; the server's own numbering, not AF_INET6),
// bits u8 (prefix length), is_cidr u8, address length u8 (4 or 16), then the address bytes.

#include <array>
#include <cstdint>
#include <string>

namespace pgstream::protocol {

enum class IpFamily : std::uint8_t { v4 = 2, v6 = 3 };

struct NetAddress {
  IpFamily family = IpFamily::v4;
  std::uint8_t bits = 32;                 // prefix length, 0..32 or 0..128
  std::array<std::uint8_t, 16> address{};  // IPv4 uses the first 4 bytes; the rest stay zero

  [[nodiscard]] constexpr std::uint8_t address_size() const noexcept { return family == IpFamily::v4 ? 4 : 16; }
  [[nodiscard]] constexpr std::uint8_t max_bits() const noexcept { return family == IpFamily::v4 ? 32 : 128; }
  // True when no address bit right of the prefix is set (what a cidr value requires).
  [[nodiscard]] bool host_bits_zero() const noexcept;

  friend constexpr bool operator==(const NetAddress&, const NetAddress&) = default;
};

// A host address with an optional netmask ("192.168.0.1/24"); may have host bits set.
struct Inet : NetAddress {
  // Set when the value came from a cidr column (decoding a cidr column into Inet is allowed).
  bool is_cidr = false;
  [[nodiscard]] std::string to_string() const;  // as the server prints inet: "/n" only if not a host
  friend constexpr bool operator==(const Inet&, const Inet&) = default;
};

// A network ("10.1.0.0/16"): bits right of the prefix are always zero.
struct Cidr : NetAddress {
  [[nodiscard]] std::string to_string() const;  // always with "/n", as the server prints cidr
  friend constexpr bool operator==(const Cidr&, const Cidr&) = default;
};

}  // namespace pgstream::protocol
