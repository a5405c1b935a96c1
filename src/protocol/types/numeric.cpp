#include "pgstream/protocol/types/numeric.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "pgstream/protocol/types/text_util.hpp"
#include "pgstream/protocol/types/wire.hpp"

namespace pgstream::protocol {
namespace {

constexpr std::int64_t floor_div4(std::int64_t v) noexcept { return v >= 0 ? v / 4 : -((-v + 3) / 4); }

// Exponents beyond this can never give a representable value; bounding them early keeps every
// later computation far from overflow.
constexpr std::int64_t kMaxExponentMagnitude = 1'000'000'000;
constexpr std::size_t kMaxNumericText = std::size_t{1} << 20;

Result<NumericLayout> bad(std::string_view text, std::string_view why) {
  return make_error(ErrorCategory::encode,
                    "not a valid numeric: '" + text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
}

// Renders sign, integer digits and dscale fraction digits, reading base-10000 digits through
// group(weight). Shared by the text canonicaliser and the binary decoder so both agree exactly.
template <class GroupFn>
std::string render(bool negative, std::int32_t weight, std::int32_t ndigits, std::int32_t dscale,
                   GroupFn group) {
  auto digit = [&](std::int32_t place) -> char {
    const std::int32_t w = static_cast<std::int32_t>(floor_div4(place));
    unsigned g = group(w);
    for (std::int32_t k = place - 4 * w; k > 0; --k) g /= 10;
    return static_cast<char>('0' + g % 10);
  };
  std::string out;
  out.reserve(static_cast<std::size_t>(std::max(weight, 0) * 4 + dscale + 6));
  std::int32_t top = -1;  // highest place with a non-zero digit at or above 10^0
  if (ndigits > 0 && weight >= 0) {
    for (std::int32_t place = 4 * weight + 3; place >= 0; --place) {
      if (digit(place) != '0') {
        top = place;
        break;
      }
    }
  }
  bool any_nonzero = top >= 0;
  if (!any_nonzero && ndigits > 0) {
    for (std::int32_t place = -1; place >= -dscale; --place) {
      if (digit(place) != '0') {
        any_nonzero = true;
        break;
      }
    }
  }
  if (negative && any_nonzero) out.push_back('-');
  if (top < 0) {
    out.push_back('0');
  } else {
    for (std::int32_t place = top; place >= 0; --place) out.push_back(digit(place));
  }
  if (dscale > 0) {
    out.push_back('.');
    for (std::int32_t place = -1; place >= -dscale; --place) out.push_back(digit(place));
  }
  return out;
}

}  // namespace

Result<NumericLayout> analyze_numeric(std::string_view text) {
  if (text.size() > kMaxNumericText) return bad(text, "longer than 1 MiB");
  const std::string_view s = text_util::trim(text);
  NumericLayout l;
  if (s.empty()) return bad(text, "empty");

  std::string_view body = s;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (text_util::iequals(s, "nan")) {
    l.sign = kNumericNaN;
    return l;
  }
  if (text_util::iequals(body, "infinity") || text_util::iequals(body, "inf")) {
    l.sign = negative ? kNumericMinusInfinity : kNumericPlusInfinity;
    return l;
  }

  std::size_t i = 0;
  auto digits_run = [&]() {
    const std::size_t start = i;
    while (i < body.size() && text_util::is_digit(body[i])) ++i;
    return body.substr(start, i - start);
  };
  l.int_digits = digits_run();
  if (i < body.size() && body[i] == '.') {
    ++i;
    l.frac_digits = digits_run();
  }
  if (l.int_digits.empty() && l.frac_digits.empty()) return bad(text, "no digits");
  std::int64_t exponent = 0;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) {
      exp_negative = body[i] == '-';
      ++i;
    }
    const std::string_view exp_digits = digits_run();
    if (exp_digits.empty()) return bad(text, "exponent has no digits");
    for (char c : exp_digits) {
      exponent = exponent * 10 + (c - '0');
      if (exponent > kMaxExponentMagnitude) return bad(text, "exponent out of range");
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != body.size()) return bad(text, "unexpected character");

  const auto n_int = static_cast<std::int64_t>(l.int_digits.size());
  const auto n_frac = static_cast<std::int64_t>(l.frac_digits.size());
  const std::int64_t dscale = std::max<std::int64_t>(0, n_frac - exponent);
  if (dscale > kNumericMaxDscale) return bad(text, "more than 16383 digits after the decimal point");
  l.dscale = static_cast<std::uint16_t>(dscale);

  // Index (in int_digits + frac_digits) of the first and last non-zero digit.
  std::int64_t first = -1;
  std::int64_t last = -1;
  for (std::int64_t k = 0; k < n_int + n_frac; ++k) {
    const char c = k < n_int ? l.int_digits[static_cast<std::size_t>(k)]
                             : l.frac_digits[static_cast<std::size_t>(k - n_int)];
    if (c != '0') {
      if (first < 0) first = k;
      last = k;
    }
  }
  if (first < 0) {  // zero: no digits, always positive, as the server stores it
    l.point = 0;
    return l;
  }
  const std::int64_t point = n_int + exponent;
  const std::int64_t top_place = point - 1 - first;
  const std::int64_t low_place = point - 1 - last;
  const std::int64_t weight = floor_div4(top_place);
  if (weight > kNumericMaxWeight) return bad(text, "more than 131072 digits before the decimal point");
  const std::int64_t low_weight = floor_div4(low_place);
  l.sign = negative ? kNumericNegative : kNumericPositive;
  l.weight = static_cast<std::int16_t>(weight);
  l.ndigits = static_cast<std::uint16_t>(weight - low_weight + 1);
  l.point = static_cast<std::int32_t>(point);
  return l;
}

struct NumericAccess {
  static Numeric make(std::string s) { return Numeric(std::move(s)); }
};

Result<Numeric> Numeric::parse(std::string_view text) {
  auto layout = analyze_numeric(text);
  if (!layout) return std::unexpected(std::move(layout.error()));
  const NumericLayout& l = *layout;
  switch (l.sign) {
    case kNumericNaN: return nan();
    case kNumericPlusInfinity: return infinity();
    case kNumericMinusInfinity: return minus_infinity();
    default: break;
  }
  return Numeric(render(l.sign == kNumericNegative, l.weight, l.ndigits, l.dscale,
                        [&](std::int32_t w) -> unsigned { return l.group(w); }));
}

Numeric Numeric::from_integer(std::int64_t v) { return Numeric(std::to_string(v)); }

Result<Numeric> decode_numeric(std::span<const std::byte> bytes) {
  if (bytes.size() < 8) {
    return make_error(ErrorCategory::decode,
                      "numeric value must be at least 8 bytes, got " + std::to_string(bytes.size()));
  }
  wire::Cursor c(bytes);
  const auto ndigits = c.take<std::uint16_t>();
  const auto weight = c.take<std::int16_t>();
  const auto sign = c.take<std::uint16_t>();
  const auto dscale = c.take<std::uint16_t>();
  if (c.remaining() != std::size_t{ndigits} * 2) {
    return make_error(ErrorCategory::decode, "numeric value declares " + std::to_string(ndigits) +
                                                 " digits but carries " + std::to_string(c.remaining()) +
                                                 " bytes of them");
  }
  switch (sign) {
    case kNumericNaN: return NumericAccess::make("NaN");
    case kNumericPlusInfinity: return NumericAccess::make("Infinity");
    case kNumericMinusInfinity: return NumericAccess::make("-Infinity");
    case kNumericPositive:
    case kNumericNegative: break;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%04X", static_cast<unsigned>(sign));
      return make_error(ErrorCategory::decode, std::string("invalid numeric sign ") + hex);
    }
  }
  if (dscale > kNumericMaxDscale) {
    return make_error(ErrorCategory::decode, "numeric display scale " + std::to_string(dscale) + " exceeds 16383");
  }
  const auto digits = c.take_bytes(c.remaining());
  for (std::size_t k = 0; k < ndigits; ++k) {
    const auto d = wire::load_be<std::uint16_t>(digits.data() + 2 * k);
    if (d > 9999) {
      return make_error(ErrorCategory::decode, "numeric digit " + std::to_string(d) + " is out of range 0..9999");
    }
  }
  auto group = [&](std::int32_t w) -> unsigned {
    const std::int32_t k = weight - w;
    if (k < 0 || k >= ndigits) return 0;
    return wire::load_be<std::uint16_t>(digits.data() + 2 * k);
  };
  return NumericAccess::make(render(sign == kNumericNegative, weight, ndigits, dscale, group));
}

}  // namespace pgstream::protocol
