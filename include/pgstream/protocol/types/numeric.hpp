#pragma once
// numeric: an exact decimal kept as text, and its binary form (base-10000 digits).
//
// Binary layout (all big-endian): ndigits u16, weight i16 (power of 10000 of the first digit),
// sign u16 (0x0000 +, 0x4000 -, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity), dscale u16
// (digits shown after the decimal point), then ndigits u16 digits in 0..9999, with leading and
// trailing zero digits stripped (zero has no digits at all).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/result.hpp"

namespace pgstream::protocol {

inline constexpr std::uint16_t kNumericPositive = 0x0000;
inline constexpr std::uint16_t kNumericNegative = 0x4000;
inline constexpr std::uint16_t kNumericNaN = 0xC000;
inline constexpr std::uint16_t kNumericPlusInfinity = 0xD000;
inline constexpr std::uint16_t kNumericMinusInfinity = 0xF000;
inline constexpr std::int32_t kNumericMaxDscale = 0x3FFF;   // 16383 digits after the point
inline constexpr std::int32_t kNumericMaxWeight = 0x7FFF;   // 131072 digits before the point

// A validated numeric text, read in place (no copy). Everything encode_numeric needs to write
// the binary form in one pass; valid while the analysed text is.
struct NumericLayout {
  std::uint16_t sign = kNumericPositive;
  std::int16_t weight = 0;
  std::uint16_t ndigits = 0;
  std::uint16_t dscale = 0;
  // The mantissa's decimal digits, before and after its decimal point (leading zeros kept).
  std::string_view int_digits;
  std::string_view frac_digits;
  // Position of the value's decimal point within int_digits + frac_digits (after the exponent
  // was applied); may lie outside the digits.
  std::int32_t point = 0;

  // The base-10000 digit with the given weight (0 for positions without digits).
  [[nodiscard]] std::uint16_t group(std::int32_t w) const noexcept {
    std::uint16_t g = 0;
    for (std::int32_t place = 4 * w + 3; place >= 4 * w; --place) g = static_cast<std::uint16_t>(g * 10 + digit(place));
    return g;
  }
  // The decimal digit worth 10^place.
  [[nodiscard]] unsigned digit(std::int32_t place) const noexcept {
    const std::int64_t i = static_cast<std::int64_t>(point) - 1 - place;
    const auto n_int = static_cast<std::int64_t>(int_digits.size());
    const auto n_all = n_int + static_cast<std::int64_t>(frac_digits.size());
    if (i < 0 || i >= n_all) return 0;
    const char c = i < n_int ? int_digits[static_cast<std::size_t>(i)]
                             : frac_digits[static_cast<std::size_t>(i - n_int)];
    return static_cast<unsigned>(c - '0');
  }
};

// Accepts what the server's numeric input accepts, minus underscores and non-decimal integers:
// optional surrounding whitespace, sign, digits with an optional point, an optional exponent
// ("1.5e-3"), and NaN / Infinity / inf (any case, Infinity signed).
[[nodiscard]] Result<NumericLayout> analyze_numeric(std::string_view text);

template <ByteSink S>
void encode_numeric(S& sink, const NumericLayout& l) {
  put_be<std::uint16_t>(sink, l.ndigits);
  put_be<std::int16_t>(sink, l.weight);
  put_be<std::uint16_t>(sink, l.sign);
  put_be<std::uint16_t>(sink, l.dscale);
  for (std::int32_t i = 0; i < l.ndigits; ++i) put_be<std::uint16_t>(sink, l.group(l.weight - i));
}

// An exact decimal in the server's canonical text form: "-123.4500", "0.000", "NaN",
// "Infinity", "-Infinity". Only parse() and decoding create one, so it is always valid.
class Numeric {
 public:
  Numeric() : text_("0") {}

  // Canonicalises like the server's numeric output: "+001.50" -> "1.50", "1e3" -> "1000",
  // "-0" -> "0", "nan" -> "NaN", "-inf" -> "-Infinity". The scale (digits after the point) is kept.
  [[nodiscard]] static Result<Numeric> parse(std::string_view text);
  [[nodiscard]] static Numeric from_integer(std::int64_t v);
  [[nodiscard]] static Numeric nan() { return Numeric(std::string("NaN")); }
  [[nodiscard]] static Numeric infinity() { return Numeric(std::string("Infinity")); }
  [[nodiscard]] static Numeric minus_infinity() { return Numeric(std::string("-Infinity")); }

  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool is_nan() const noexcept { return text_ == "NaN"; }
  [[nodiscard]] bool is_infinite() const noexcept { return text_ == "Infinity" || text_ == "-Infinity"; }

  friend bool operator==(const Numeric&, const Numeric&) = default;

 private:
  friend struct NumericAccess;
  explicit Numeric(std::string canonical) : text_(std::move(canonical)) {}
  std::string text_;
};

// The binary value's text, exactly: every digit up to dscale is printed (digits the sender put
// beyond dscale are cut off, as the server's own output does).
[[nodiscard]] Result<Numeric> decode_numeric(std::span<const std::byte> bytes);

}  // namespace pgstream::protocol
