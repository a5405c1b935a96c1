// parse_text / format_text for date, time, timestamp, timestamptz.
#include <cstdio>
#include <string>

#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_util.hpp"

namespace pgstream::protocol {
namespace {

using text_util::is_digit;

// A cursor over the input with the few lexical steps the date/time grammars need.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  [[nodiscard]] bool done() const { return i >= s.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : s[i]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  void skip_spaces() {
    while (!done() && text_util::is_space(s[i])) ++i;
  }
  // Up to max_digits digits; returns the count read (0 = none) and the value.
  std::size_t number(std::int64_t& value, std::size_t max_digits) {
    value = 0;
    std::size_t n = 0;
    while (!done() && is_digit(s[i]) && n < max_digits) {
      value = value * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    return n;
  }
  // Case-insensitive keyword; `lower` in lower case.
  bool keyword(std::string_view lower) {
    if (s.size() - i < lower.size() || !text_util::iequals(s.substr(i, lower.size()), lower)) return false;
    i += lower.size();
    return true;
  }
};

struct ParsedDate {
  std::int64_t year = 0;  // as written (positive); BC is applied later
  unsigned month = 0;
  unsigned day = 0;
};

Result<ParsedDate> scan_date(Scanner& sc) {
  ParsedDate d;
  std::int64_t v = 0;
  if (sc.number(v, 7) == 0) return make_error(ErrorCategory::encode, "expected YYYY-MM-DD");
  if (!sc.done() && is_digit(sc.peek())) return make_error(ErrorCategory::encode, "year has too many digits");
  d.year = v;
  if (!sc.accept('-') || sc.number(v, 2) == 0) return make_error(ErrorCategory::encode, "expected YYYY-MM-DD");
  d.month = static_cast<unsigned>(v);
  if (!sc.accept('-') || sc.number(v, 2) == 0) return make_error(ErrorCategory::encode, "expected YYYY-MM-DD");
  d.day = static_cast<unsigned>(v);
  if (!sc.done() && is_digit(sc.peek())) return make_error(ErrorCategory::encode, "expected YYYY-MM-DD");
  return d;
}

// "HH:MM[:SS[.fraction]]" as microseconds since midnight; fraction rounded half up to micros.
Result<std::int64_t> scan_time(Scanner& sc) {
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t sec = 0;
  if (sc.number(h, 2) == 0 || !sc.accept(':') || sc.number(m, 2) != 2) {
    return make_error(ErrorCategory::encode, "expected HH:MM[:SS[.ffffff]]");
  }
  std::int64_t frac = 0;
  if (sc.accept(':')) {
    if (sc.number(sec, 2) != 2) return make_error(ErrorCategory::encode, "expected two digits of seconds");
    if (sc.accept('.')) {
      std::size_t n = 0;
      bool round_up = false;
      while (!sc.done() && is_digit(sc.peek())) {
        const int dgt = sc.peek() - '0';
        if (n < 6) frac = frac * 10 + dgt;
        if (n == 6) round_up = dgt >= 5;
        ++n;
        ++sc.i;
      }
      if (n == 0) return make_error(ErrorCategory::encode, "expected digits after the decimal point");
      for (std::size_t k = n; k < 6; ++k) frac *= 10;
      if (round_up) ++frac;
    }
  }
  // Seconds may be 60 (a leap second), which like the server's input rolls into the next minute.
  if (h > 24 || m > 59 || sec > 60) return make_error(ErrorCategory::encode, "time field out of range");
  const std::int64_t us = ((h * 60 + m) * 60 + sec) * kMicrosPerSecond + frac;
  if (us > kMicrosPerDay) return make_error(ErrorCategory::encode, "time is past 24:00:00");
  return us;
}

// Zone offset in seconds east of UTC. Called with the scanner at a zone or at end of input.
Result<std::int32_t> scan_zone(Scanner& sc, bool& present) {
  present = false;
  if (sc.accept('Z') || sc.accept('z') || sc.keyword("utc") || sc.keyword("gmt")) {
    present = true;
    return 0;
  }
  if (sc.peek() != '+' && sc.peek() != '-') return 0;
  const bool negative = sc.peek() == '-';
  ++sc.i;
  present = true;
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t sec = 0;
  const std::size_t hd = sc.number(h, 2);
  if (hd == 0) return make_error(ErrorCategory::encode, "expected a zone offset like +05:30");
  if (sc.accept(':')) {
    if (sc.number(m, 2) != 2) return make_error(ErrorCategory::encode, "expected two digits of zone minutes");
    if (sc.accept(':') && sc.number(sec, 2) != 2) {
      return make_error(ErrorCategory::encode, "expected two digits of zone seconds");
    }
  } else if (hd == 2 && is_digit(sc.peek())) {
    if (sc.number(m, 2) != 2) return make_error(ErrorCategory::encode, "expected +HHMM");
  }
  if (h > 15 || m > 59 || sec > 59) return make_error(ErrorCategory::encode, "zone offset out of range (-15:59:59..+15:59:59)");
  const auto off = static_cast<std::int32_t>((h * 60 + m) * 60 + sec);
  return negative ? -off : off;
}

// " BC" / " AD" after everything else; true for BC.
bool scan_era(Scanner& sc) {
  sc.skip_spaces();
  if (sc.keyword("bc")) return true;
  sc.keyword("ad");
  return false;
}

enum class Special { none, infinity, minus_infinity, epoch };

Special special_of(std::string_view s) {
  if (text_util::iequals(s, "infinity") || text_util::iequals(s, "+infinity")) return Special::infinity;
  if (text_util::iequals(s, "-infinity")) return Special::minus_infinity;
  if (text_util::iequals(s, "epoch")) return Special::epoch;
  return Special::none;
}

template <class T>
Result<T> invalid(std::string_view type, std::string_view text, std::string_view why) {
  return make_error(ErrorCategory::encode, "not a valid " + std::string(type) + ": '" +
                                               text_util::quote_excerpt(text) + "' (" + std::string(why) + ")");
}

const char* const kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// Calendar validity and range of a parsed date; the days since 2000-01-01.
Result<std::int64_t> resolve_date(std::string_view type, std::string_view text, const ParsedDate& d, bool bc) {
  if (d.year == 0) return invalid<std::int64_t>(type, text, "there is no year 0; 1 BC precedes 1 AD");
  const std::int64_t year = bc ? 1 - d.year : d.year;
  if (d.month < 1 || d.month > 12) {
    return invalid<std::int64_t>(type, text, "month " + std::to_string(d.month) + " is not 1-12");
  }
  if (d.day < 1 || d.day > days_in_month(year, d.month)) {
    return invalid<std::int64_t>(type, text, "day " + std::to_string(d.day) + " does not exist in " +
                                                 kMonthNames[d.month - 1] + " " + std::to_string(d.year) +
                                                 (bc ? " BC" : ""));
  }
  return days_from_civil(CivilDate{year, d.month, d.day});
}

template <class Ts>
Result<Ts> parse_timestamp(std::string_view type, std::string_view text, bool apply_zone) {
  const std::string_view trimmed = text_util::trim(text);
  switch (special_of(trimmed)) {
    case Special::infinity: return Ts::infinity();
    case Special::minus_infinity: return Ts::minus_infinity();
    case Special::epoch: return Ts{-kUnixToPgEpochDays * kMicrosPerDay};
    case Special::none: break;
  }
  Scanner sc{trimmed};
  auto date = scan_date(sc);
  if (!date) return invalid<Ts>(type, text, date.error().message());
  std::int64_t time_us = 0;
  bool has_time = false;
  if (sc.peek() == 'T' || sc.peek() == 't') {
    ++sc.i;
    has_time = true;
  } else if (text_util::is_space(sc.peek())) {
    const std::size_t before = sc.i;
    sc.skip_spaces();
    has_time = is_digit(sc.peek());
    if (!has_time) sc.i = before;  // " BC" or a zone follows the date directly
  }
  if (has_time) {
    auto t = scan_time(sc);
    if (!t) return invalid<Ts>(type, text, t.error().message());
    time_us = *t;
  }
  sc.skip_spaces();
  bool has_zone = false;
  auto zone = scan_zone(sc, has_zone);
  if (!zone) return invalid<Ts>(type, text, zone.error().message());
  const bool bc = scan_era(sc);
  sc.skip_spaces();
  if (!sc.done()) return invalid<Ts>(type, text, "unexpected text after the timestamp");
  auto days = resolve_date(type, text, *date, bc);
  if (!days) return std::unexpected(std::move(days.error()));
  constexpr char kRange[] = "out of range 4714-11-24 BC .. 294276-12-31";
  if (*days < kMinTimestampMicros / kMicrosPerDay - 1 || *days > kEndTimestampMicros / kMicrosPerDay + 1) {
    return invalid<Ts>(type, text, kRange);
  }
  std::int64_t us = *days * kMicrosPerDay + time_us;
  if (apply_zone) us -= static_cast<std::int64_t>(*zone) * kMicrosPerSecond;
  if (us < kMinTimestampMicros || us >= kEndTimestampMicros) return invalid<Ts>(type, text, kRange);
  return Ts{us};
}

// ---- output helpers ----

void append_padded(std::string& out, std::int64_t v, int width) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  out.append(buf, static_cast<std::size_t>(n));
}

// "YYYY-MM-DD" and whether the year is BC (the caller appends " BC" where the server puts it).
bool append_date(std::string& out, std::int64_t days) {
  const CivilDate c = civil_from_days(days);
  const bool bc = c.year <= 0;
  append_padded(out, bc ? 1 - c.year : c.year, 4);
  out.push_back('-');
  append_padded(out, c.month, 2);
  out.push_back('-');
  append_padded(out, c.day, 2);
  return bc;
}

void append_time(std::string& out, std::int64_t us) {
  const std::int64_t secs = us / kMicrosPerSecond;
  std::int64_t frac = us % kMicrosPerSecond;
  append_padded(out, secs / 3600, 2);
  out.push_back(':');
  append_padded(out, secs / 60 % 60, 2);
  out.push_back(':');
  append_padded(out, secs % 60, 2);
  if (frac != 0) {
    int width = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out.push_back('.');
    append_padded(out, frac, width);
  }
}

template <class Ts>
std::string format_timestamp(Ts v, bool with_zone) {
  if (v.is_infinity()) return "infinity";
  if (v.is_minus_infinity()) return "-infinity";
  // Floor division so times before 2000 land on the right day.
  std::int64_t days = v.micros / kMicrosPerDay;
  std::int64_t rest = v.micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  std::string out;
  const bool bc = append_date(out, days);
  out.push_back(' ');
  append_time(out, rest);
  if (with_zone) out += "+00";
  if (bc) out += " BC";
  return out;
}

}  // namespace

template <>
Result<Date> parse_text<Date>(std::string_view text) {
  const std::string_view trimmed = text_util::trim(text);
  switch (special_of(trimmed)) {
    case Special::infinity: return Date::infinity();
    case Special::minus_infinity: return Date::minus_infinity();
    case Special::epoch: return Date{static_cast<std::int32_t>(-kUnixToPgEpochDays)};
    case Special::none: break;
  }
  Scanner sc{trimmed};
  auto date = scan_date(sc);
  if (!date) return invalid<Date>("date", text, date.error().message());
  const bool bc = scan_era(sc);
  sc.skip_spaces();
  if (!sc.done()) return invalid<Date>("date", text, "unexpected text after the date");
  auto days = resolve_date("date", text, *date, bc);
  if (!days) return std::unexpected(std::move(days.error()));
  if (*days < kMinDateDays || *days >= kEndDateDays) {
    return invalid<Date>("date", text, "out of range 4714-11-24 BC .. 5874897-12-31");
  }
  return Date{static_cast<std::int32_t>(*days)};
}

template <>
Result<Time> parse_text<Time>(std::string_view text) {
  Scanner sc{text_util::trim(text)};
  auto t = scan_time(sc);
  if (!t) return invalid<Time>("time", text, t.error().message());
  sc.skip_spaces();
  bool has_zone = false;
  auto zone = scan_zone(sc, has_zone);
  if (!zone) return invalid<Time>("time", text, zone.error().message());
  if (!sc.done()) return invalid<Time>("time", text, "unexpected text after the time");
  return Time{*t};
}

template <>
Result<Timestamp> parse_text<Timestamp>(std::string_view text) {
  return parse_timestamp<Timestamp>("timestamp", text, false);
}

template <>
Result<TimestampTz> parse_text<TimestampTz>(std::string_view text) {
  return parse_timestamp<TimestampTz>("timestamptz", text, true);
}

std::string format_text(Date v) {
  if (v.is_infinity()) return "infinity";
  if (v.is_minus_infinity()) return "-infinity";
  std::string out;
  if (append_date(out, v.days)) out += " BC";
  return out;
}

std::string format_text(Time v) {
  std::string out;
  append_time(out, v.micros);
  return out;
}

std::string format_text(Timestamp v) { return format_timestamp(v, false); }
std::string format_text(TimestampTz v) { return format_timestamp(v, true); }

}  // namespace pgstream::protocol
