#pragma once
// uuid: 16 bytes, sent as they are.

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace pgstream::protocol {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  // Lower-case 8-4-4-4-12 form, as the server prints it.
  [[nodiscard]] std::string to_string() const;

  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;
};

}  // namespace pgstream::protocol
