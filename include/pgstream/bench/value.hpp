#pragma once
// The values of pgbench's expression language: NULL, boolean, 64-bit integer and double.
// Text (from \gset or -D) is not a Value: a variable holding text is converted when an
// expression reads it, as pgbench does (see Variables::value).

#include <cstdint>
#include <string_view>

namespace pgstream::bench {

enum class ValueType : std::uint8_t { null, boolean, integer, real };

struct Value {
  ValueType type = ValueType::null;
  bool b = false;
  std::int64_t i = 0;
  double d = 0.0;

  [[nodiscard]] static constexpr Value null() noexcept { return {}; }
  [[nodiscard]] static constexpr Value boolean(bool v) noexcept { return {ValueType::boolean, v, 0, 0.0}; }
  [[nodiscard]] static constexpr Value integer(std::int64_t v) noexcept { return {ValueType::integer, false, v, 0.0}; }
  [[nodiscard]] static constexpr Value real(double v) noexcept { return {ValueType::real, false, 0, v}; }

  [[nodiscard]] constexpr bool is_null() const noexcept { return type == ValueType::null; }
  friend constexpr bool operator==(const Value&, const Value&) = default;
};

[[nodiscard]] constexpr std::string_view to_string(ValueType t) noexcept {
  switch (t) {
    case ValueType::null: return "null";
    case ValueType::boolean: return "boolean";
    case ValueType::integer: return "int";
    case ValueType::real: return "double";
  }
  return "?";
}

}  // namespace pgstream::bench
