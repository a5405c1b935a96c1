// parse_text / format_text for interval.
#include <cstdio>
#include <limits>
#include <string>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {
namespace {

using text_util::is_digit;

Result<Interval> invalid(std::string_view text, std::string_view why) {
  return make_error(ErrorCategory::encode, "not a valid interval: '" + text_util::quote_excerpt(text) + "' (" +
                                               std::string(why) + ")");
}

// Sums fields with overflow checks; months and days are narrowed to int32 at the end.
struct Accumulator {
  std::int64_t months = 0;
  std::int64_t days = 0;
  std::int64_t micros = 0;
  bool overflow = false;

  void add(std::int64_t& field, std::int64_t value, std::int64_t factor) {
    std::int64_t scaled = 0;
    if (__builtin_mul_overflow(value, factor, &scaled) || __builtin_add_overflow(field, scaled, &field)) {
      overflow = true;
    }
  }
  [[nodiscard]] bool fits() const {
    constexpr auto lo = std::numeric_limits<std::int32_t>::min();
    constexpr auto hi = std::numeric_limits<std::int32_t>::max();
    return !overflow && months >= lo && months <= hi && days >= lo && days <= hi;
  }
};

// A signed decimal number: integer part and, when allowed, a fraction as micro-units.
struct Number {
  std::int64_t whole = 0;
  std::int64_t micro_fraction = 0;  // 0..999999, same sign as whole
  bool negative = false;
  bool has_fraction = false;
};

bool scan_number(std::string_view s, std::size_t& i, Number& n) {
  const std::size_t start = i;
  n = Number{};
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    n.negative = s[i] == '-';
    ++i;
  }
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (n.whole > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return false;
    n.whole = n.whole * 10 + (s[i] - '0');
    ++i;
    ++digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    n.has_fraction = true;
    std::size_t k = 0;
    bool round_up = false;
    while (i < s.size() && is_digit(s[i])) {
      if (k < 6) n.micro_fraction = n.micro_fraction * 10 + (s[i] - '0');
      if (k == 6) round_up = s[i] >= '5';
      ++k;
      ++i;
      ++digits;
    }
    for (; k < 6; ++k) n.micro_fraction *= 10;
    if (round_up) ++n.micro_fraction;
  }
  if (digits == 0) {
    i = start;
    return false;
  }
  if (n.negative) {
    n.whole = -n.whole;
    n.micro_fraction = -n.micro_fraction;
  }
  return true;
}

enum class Unit { none, micro, milli, second, minute, hour, day, week, month, year, decade, century, millennium };

Unit unit_of(std::string_view word) {
  struct Entry {
    std::string_view name;
    Unit unit;
  };
  static constexpr Entry kUnits[] = {
      {"microsecond", Unit::micro}, {"microseconds", Unit::micro}, {"us", Unit::micro},
      {"usec", Unit::micro},        {"usecs", Unit::micro},        {"millisecond", Unit::milli},
      {"milliseconds", Unit::milli}, {"ms", Unit::milli},          {"msec", Unit::milli},
      {"msecs", Unit::milli},       {"second", Unit::second},      {"seconds", Unit::second},
      {"s", Unit::second},          {"sec", Unit::second},         {"secs", Unit::second},
      {"minute", Unit::minute},     {"minutes", Unit::minute},     {"m", Unit::minute},
      {"min", Unit::minute},        {"mins", Unit::minute},        {"hour", Unit::hour},
      {"hours", Unit::hour},        {"h", Unit::hour},             {"hr", Unit::hour},
      {"hrs", Unit::hour},          {"day", Unit::day},            {"days", Unit::day},
      {"d", Unit::day},             {"week", Unit::week},          {"weeks", Unit::week},
      {"w", Unit::week},            {"month", Unit::month},        {"months", Unit::month},
      {"mon", Unit::month},         {"mons", Unit::month},         {"year", Unit::year},
      {"years", Unit::year},        {"y", Unit::year},             {"yr", Unit::year},
      {"yrs", Unit::year},          {"decade", Unit::decade},      {"decades", Unit::decade},
      {"century", Unit::century},   {"centuries", Unit::century},  {"millennium", Unit::millennium},
      {"millennia", Unit::millennium}};
  for (const auto& e : kUnits) {
    if (text_util::iequals(word, e.name)) return e.unit;
  }
  return Unit::none;
}

// Adds `n` of `unit`; false when the unit does not take a fraction and one was given.
bool add_unit(Accumulator& acc, const Number& n, Unit unit) {
  const bool fractional_unit = unit == Unit::second || unit == Unit::milli || unit == Unit::micro;
  if (n.has_fraction && n.micro_fraction != 0 && !fractional_unit) return false;
  switch (unit) {
    case Unit::micro:
      acc.add(acc.micros, n.whole, 1);  // a fraction of a microsecond is below resolution
      break;
    case Unit::milli:
      acc.add(acc.micros, n.whole, 1000);
      acc.add(acc.micros, n.micro_fraction / 1000, 1);
      break;
    case Unit::second:
      acc.add(acc.micros, n.whole, kMicrosPerSecond);
      acc.add(acc.micros, n.micro_fraction, 1);
      break;
    case Unit::minute: acc.add(acc.micros, n.whole, 60 * kMicrosPerSecond); break;
    case Unit::hour: acc.add(acc.micros, n.whole, 3600 * kMicrosPerSecond); break;
    case Unit::day: acc.add(acc.days, n.whole, 1); break;
    case Unit::week: acc.add(acc.days, n.whole, 7); break;
    case Unit::month: acc.add(acc.months, n.whole, 1); break;
    case Unit::year: acc.add(acc.months, n.whole, 12); break;
    case Unit::decade: acc.add(acc.months, n.whole, 120); break;
    case Unit::century: acc.add(acc.months, n.whole, 1200); break;
    case Unit::millennium: acc.add(acc.months, n.whole, 12000); break;
    case Unit::none: return false;
  }
  return true;
}

Result<Interval> finish(std::string_view text, const Accumulator& acc, bool negate) {
  Accumulator a = acc;
  if (negate) {
    a.months = -a.months;
    a.days = -a.days;
    if (a.micros == std::numeric_limits<std::int64_t>::min()) a.overflow = true;
    a.micros = -a.micros;
  }
  if (!a.fits()) return invalid(text, "out of range");
  return Interval{a.micros, static_cast<std::int32_t>(a.days), static_cast<std::int32_t>(a.months)};
}

// ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][nS]], each n with an optional sign.
Result<Interval> parse_iso(std::string_view text, std::string_view s) {
  Accumulator acc;
  std::size_t i = 1;  // past 'P'
  bool in_time = false;
  bool any = false;
  while (i < s.size()) {
    if (s[i] == 'T' || s[i] == 't') {
      if (in_time) return invalid(text, "second 'T' in an ISO 8601 duration");
      in_time = true;
      ++i;
      continue;
    }
    Number n;
    if (!scan_number(s, i, n)) return invalid(text, "expected a number in the ISO 8601 duration");
    if (i >= s.size()) return invalid(text, "number without a unit letter at the end");
    const char u = text_util::to_lower(s[i++]);
    Unit unit = Unit::none;
    if (!in_time) {
      unit = u == 'y' ? Unit::year : u == 'm' ? Unit::month : u == 'w' ? Unit::week : u == 'd' ? Unit::day : Unit::none;
    } else {
      unit = u == 'h' ? Unit::hour : u == 'm' ? Unit::minute : u == 's' ? Unit::second : Unit::none;
    }
    if (unit == Unit::none)
      return invalid(text, "unknown ISO 8601 unit '" + text_util::quote_excerpt(std::string_view(&u, 1)) + "'");
    if (!add_unit(acc, n, unit)) return invalid(text, "fractions are supported only for seconds");
    any = true;
  }
  if (!any) return invalid(text, "an ISO 8601 duration needs at least one field");
  return finish(text, acc, false);
}

// "[-]H:MM[:SS[.f]]" inside the verbose form; a leading sign applies to the whole time.
bool scan_clock(std::string_view s, std::size_t& i, Accumulator& acc) {
  std::size_t j = i;
  bool negative = false;
  if (j < s.size() && (s[j] == '+' || s[j] == '-')) negative = s[j++] == '-';
  std::int64_t parts[3] = {0, 0, 0};
  std::size_t count = 0;
  std::int64_t frac = 0;
  while (count < 3) {
    std::size_t digits = 0;
    std::int64_t v = 0;
    while (j < s.size() && is_digit(s[j]) && digits < 12) {
      v = v * 10 + (s[j++] - '0');
      ++digits;
    }
    if (digits == 0) return false;
    parts[count++] = v;
    if (j < s.size() && s[j] == ':' && count < 3) {
      ++j;
      continue;
    }
    break;
  }
  if (count < 2) return false;
  if (count == 3 && j < s.size() && s[j] == '.') {
    ++j;
    std::size_t k = 0;
    bool round_up = false;
    while (j < s.size() && is_digit(s[j])) {
      if (k < 6) frac = frac * 10 + (s[j] - '0');
      if (k == 6) round_up = s[j] >= '5';
      ++k;
      ++j;
    }
    for (; k < 6; ++k) frac *= 10;
    if (round_up) ++frac;
  }
  if (parts[1] > 59 || parts[2] > 59) return false;
  std::int64_t us = 0;
  Accumulator t;
  t.add(us, parts[0], 3600 * kMicrosPerSecond);
  t.add(us, parts[1], 60 * kMicrosPerSecond);
  t.add(us, parts[2], kMicrosPerSecond);
  t.add(us, frac, 1);
  if (t.overflow) return false;
  acc.add(acc.micros, negative ? -us : us, 1);
  i = j;
  return true;
}

Result<Interval> parse_verbose(std::string_view text, std::string_view s) {
  Accumulator acc;
  std::size_t i = 0;
  if (i < s.size() && s[i] == '@') ++i;
  bool any = false;
  bool ago = false;
  auto skip_spaces = [&] {
    while (i < s.size() && text_util::is_space(s[i])) ++i;
  };
  skip_spaces();
  while (i < s.size()) {
    if (ago) return invalid(text, "'ago' must come last");
    std::size_t clock_end = i;
    if (scan_clock(s, clock_end, acc)) {
      i = clock_end;
      any = true;
      skip_spaces();
      continue;
    }
    Number n;
    if (scan_number(s, i, n)) {
      skip_spaces();
      const std::size_t word_start = i;
      while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
      const std::string_view word = s.substr(word_start, i - word_start);
      // A bare number means seconds, as in the server's input.
      const Unit unit = word.empty() ? Unit::second : unit_of(word);
      if (unit == Unit::none) return invalid(text, "unknown unit '" + std::string(word) + "'");
      if (!add_unit(acc, n, unit)) {
        return invalid(text, "fractions are supported only for seconds, milliseconds and microseconds");
      }
      any = true;
      skip_spaces();
      continue;
    }
    const std::size_t word_start = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    if (text_util::iequals(s.substr(word_start, i - word_start), "ago")) {
      ago = true;
      skip_spaces();
      continue;
    }
    return invalid(text, "expected a number with a unit, or HH:MM:SS");
  }
  if (!any) return invalid(text, "empty");
  return finish(text, acc, ago);
}

void append_signed(std::string& out, std::int64_t v, char unit) {
  out += std::to_string(v);
  out.push_back(unit);
}

}  // namespace

template <>
Result<Interval> parse_text<Interval>(std::string_view text) {
  const std::string_view s = text_util::trim(text);
  if (s.empty()) return invalid(text, "empty");
  if (s.front() == 'P' || s.front() == 'p') return parse_iso(text, s);
  return parse_verbose(text, s);
}

std::string format_text(const Interval& v) {
  std::string out = "P";
  const std::int32_t years = v.months / 12;
  const std::int32_t months = v.months % 12;
  if (years != 0) append_signed(out, years, 'Y');
  if (months != 0) append_signed(out, months, 'M');
  if (v.days != 0) append_signed(out, v.days, 'D');
  if (v.micros != 0) {
    out.push_back('T');
    const bool negative = v.micros < 0;
    // Magnitude as unsigned so INT64_MIN does not overflow.
    const std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(v.micros) : static_cast<std::uint64_t>(v.micros);
    const std::uint64_t us_per_s = kMicrosPerSecond;
    const std::uint64_t hours = mag / (3600 * us_per_s);
    const std::uint64_t minutes = mag / (60 * us_per_s) % 60;
    const std::uint64_t seconds = mag / us_per_s % 60;
    std::uint64_t frac = mag % us_per_s;
    const char* sign = negative ? "-" : "";
    if (hours != 0) out += sign + std::to_string(hours) + "H";
    if (minutes != 0) out += sign + std::to_string(minutes) + "M";
    if (seconds != 0 || frac != 0) {
      out += sign + std::to_string(seconds);
      if (frac != 0) {
        int width = 6;
        while (frac % 10 == 0) {
          frac /= 10;
          --width;
        }
        char buf[16];
        std::snprintf(buf, sizeof buf, ".%0*llu", width, static_cast<unsigned long long>(frac));
        out += buf;
      }
      out.push_back('S');
    }
  }
  if (out == "P") out = "PT0S";
  return out;
}

}  // namespace pgstream::protocol
