#pragma once
// json and jsonb as text views. json's binary form is the text itself; jsonb's is a version byte
// (1) followed by the text. Decoded values view the received bytes: valid while the frame is.
// pgstream does not validate JSON; the server does.

#include <compare>
#include <cstdint>
#include <string_view>

namespace pgstream::protocol {

inline constexpr std::uint8_t kJsonbVersion = 1;

struct Json {
  std::string_view text;
  friend constexpr bool operator==(const Json&, const Json&) = default;
};

struct Jsonb {
  std::string_view text;
  friend constexpr bool operator==(const Jsonb&, const Jsonb&) = default;
};

}  // namespace pgstream::protocol
