// format_float_text: the server's float8out / float4out text.
#include <charconv>
#include <cmath>
#include <cstring>

#include "pgstream/protocol/types/text.hpp"

namespace pgstream::protocol {
namespace {

// `max_fixed_exponent`: the server's fixed-notation limit (DBL_DIG - 1 = 14, FLT_DIG - 1 = 5).
template <class F>
std::size_t format_float(char (&out)[kFloatTextMax], F v, int max_fixed_exponent) noexcept {
  auto put = [&](std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    return s.size();
  };
  if (std::isnan(v)) return put("NaN");
  if (std::isinf(v)) return put(v > 0 ? "Infinity" : "-Infinity");
  if (v == 0) return put(std::signbit(v) ? "-0" : "0");

  // The shortest round-trip digits come from to_chars in scientific form, "-d.ddde-XX"; the
  // notation is then chosen by the server's rule rather than by to_chars' "whichever is shorter".
  char sci[kFloatTextMax];
  const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const std::string_view s(sci, static_cast<std::size_t>(r.ptr - sci));
  const std::size_t e_at = s.find('e');
  int exponent = 0;
  std::from_chars(s.data() + e_at + 1 + (s[e_at + 1] == '+' ? 1 : 0), s.data() + s.size(), exponent);
  if (exponent < -4 || exponent > max_fixed_exponent) {
    // to_chars already writes the exponent with a sign and at least two digits, as the server.
    return put(s);
  }
  const bool negative = s.front() == '-';
  char digits[kFloatTextMax];
  int n = 0;
  for (std::size_t i = negative ? 1 : 0; i < e_at; ++i)
    if (s[i] != '.') digits[n++] = s[i];

  std::size_t len = 0;
  if (negative) out[len++] = '-';
  if (exponent < 0) {
    out[len++] = '0';
    out[len++] = '.';
    for (int k = -1; k > exponent; --k) out[len++] = '0';
    for (int k = 0; k < n; ++k) out[len++] = digits[k];
    return len;
  }
  for (int k = 0; k <= exponent; ++k) out[len++] = k < n ? digits[k] : '0';
  if (n > exponent + 1) {
    out[len++] = '.';
    for (int k = exponent + 1; k < n; ++k) out[len++] = digits[k];
  }
  return len;
}

}  // namespace

std::size_t format_float_text(char (&out)[kFloatTextMax], double v) noexcept { return format_float(out, v, 14); }
std::size_t format_float_text(char (&out)[kFloatTextMax], float v) noexcept { return format_float(out, v, 5); }

}  // namespace pgstream::protocol
