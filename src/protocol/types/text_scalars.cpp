// parse_text for bool, integers and floating point.
#include <charconv>
#include <limits>
#include <string>
#include <system_error>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {
namespace {

template <class T>
Result<T> invalid(std::string_view type, std::string_view text, std::string_view why) {
  return make_error(ErrorCategory::encode, "not a valid " + std::string(type) + ": '" +
                                               text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
}

// A leading '+' is valid input for the server but not for from_chars.
std::string_view strip_plus(std::string_view s) {
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

template <class T>
Result<T> parse_integer(std::string_view type, std::string_view text) {
  const std::string_view s = strip_plus(text_util::trim(text));
  if (s.empty()) return invalid<T>(type, text, "empty");
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 10);
  if (ec == std::errc::result_out_of_range) {
    return invalid<T>(type, text,
                      "out of range " + std::to_string(std::numeric_limits<T>::min()) + ".." +
                          std::to_string(std::numeric_limits<T>::max()));
  }
  if (ec != std::errc{} || end != s.data() + s.size()) return invalid<T>(type, text, "expected a decimal integer");
  return value;
}

template <class T>
Result<T> parse_float(std::string_view type, std::string_view text) {
  const std::string_view s = strip_plus(text_util::trim(text));
  if (s.empty()) return invalid<T>(type, text, "empty");
  T value{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return invalid<T>(type, text, "out of range");
  if (ec != std::errc{} || end != s.data() + s.size()) return invalid<T>(type, text, "expected a number");
  return value;
}

}  // namespace

template <>
Result<bool> parse_text<bool>(std::string_view text) {
  const std::string_view s = text_util::trim(text);
  auto prefix_of = [&](std::string_view word, std::size_t min_len) {
    if (s.size() < min_len || s.size() > word.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (text_util::to_lower(s[i]) != word[i]) return false;
    }
    return true;
  };
  if (prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || s == "1") return true;
  if (prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || s == "0") return false;
  return invalid<bool>("boolean", text, "expected true/false, yes/no, on/off or 1/0");
}

template <>
Result<std::int16_t> parse_text<std::int16_t>(std::string_view text) {
  return parse_integer<std::int16_t>("int2", text);
}
template <>
Result<std::int32_t> parse_text<std::int32_t>(std::string_view text) {
  return parse_integer<std::int32_t>("int4", text);
}
template <>
Result<std::int64_t> parse_text<std::int64_t>(std::string_view text) {
  return parse_integer<std::int64_t>("int8", text);
}
template <>
Result<float> parse_text<float>(std::string_view text) {
  return parse_float<float>("float4", text);
}
template <>
Result<double> parse_text<double>(std::string_view text) {
  return parse_float<double>("float8", text);
}
template <>
Result<Numeric> parse_text<Numeric>(std::string_view text) {
  return Numeric::parse(text);
}

std::string format_text(const Numeric& v) { return v.text(); }

}  // namespace pgstream::protocol
