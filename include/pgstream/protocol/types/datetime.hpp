#pragma once
// Date and time values in the server's own binary representation (integer datetimes):
// Date = days since 2000-01-01, Time = microseconds since midnight, Timestamp/TimestampTz =
// microseconds since 2000-01-01 00:00:00 (UTC for TimestampTz), Interval = months, days and
// microseconds kept apart because their lengths vary. ±infinity are the extreme integers, as on
// the server. Calendar arithmetic is the proleptic Gregorian calendar with astronomical years
// (year 0 = 1 BC, -43 = 44 BC), as the server uses.

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>

#include "pgstream/result.hpp"

namespace pgstream::protocol {

// ---- calendar arithmetic (pure integer, valid far beyond the server's range) ----

struct CivilDate {
  std::int64_t year = 2000;  // astronomical: 0 = 1 BC
  unsigned month = 1;        // 1..12
  unsigned day = 1;          // 1..31
  friend constexpr bool operator==(const CivilDate&, const CivilDate&) = default;
};

[[nodiscard]] constexpr bool is_leap_year(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

[[nodiscard]] constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap_year(y)) ? 29u : kDays[(m - 1) % 12];
}

// Days from 2000-01-01 to the given date. Counts in 400-year cycles starting on March 1st so
// the leap day is the last day of its cycle year and needs no special case.
[[nodiscard]] constexpr std::int64_t days_from_civil(CivilDate c) noexcept {
  const std::int64_t y = c.year - (c.month <= 2 ? 1 : 0);
  const std::int64_t cycle = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_cycle = y - cycle * 400;                       // 0..399
  const std::int64_t shifted_month = (c.month + 9) % 12;                    // March = 0
  const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + c.day - 1;
  const std::int64_t day_of_cycle =
      year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
  // 730425 = days from 0000-03-01 to 2000-01-01.
  return cycle * 146097 + day_of_cycle - 730425;
}

[[nodiscard]] constexpr CivilDate civil_from_days(std::int64_t days_since_2000) noexcept {
  const std::int64_t z = days_since_2000 + 730425;  // days since 0000-03-01
  const std::int64_t cycle = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t day_of_cycle = z - cycle * 146097;  // 0..146096
  const std::int64_t year_of_cycle =
      (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  const unsigned day = static_cast<unsigned>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const unsigned month = static_cast<unsigned>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  const std::int64_t year = year_of_cycle + cycle * 400 + (month <= 2 ? 1 : 0);
  return CivilDate{year, month, day};
}

inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;
inline constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// 2000-01-01 minus 1970-01-01, for converting to and from std::chrono's system clock.
inline constexpr std::int64_t kUnixToPgEpochDays = 10'957;

// The server's accepted ranges (dates: 4714-11-24 BC .. 5874897-12-31; timestamps:
// 4714-11-24 BC .. 294276-12-31 23:59:59.999999).
inline constexpr std::int64_t kMinDateDays = -2'451'545;
inline constexpr std::int64_t kEndDateDays = 2'145'031'949;  // first day past the range
inline constexpr std::int64_t kMinTimestampMicros = -211'813'488'000'000'000;
inline constexpr std::int64_t kEndTimestampMicros = 9'223'371'331'200'000'000;

// ---- Date ----

struct Date {
  std::int32_t days = 0;  // since 2000-01-01

  [[nodiscard]] static constexpr Date infinity() noexcept { return {std::numeric_limits<std::int32_t>::max()}; }
  [[nodiscard]] static constexpr Date minus_infinity() noexcept { return {std::numeric_limits<std::int32_t>::min()}; }
  [[nodiscard]] constexpr bool is_infinity() const noexcept { return days == infinity().days; }
  [[nodiscard]] constexpr bool is_minus_infinity() const noexcept { return days == minus_infinity().days; }
  [[nodiscard]] constexpr bool is_finite() const noexcept { return !is_infinity() && !is_minus_infinity(); }

  // year is astronomical (0 = 1 BC); fails on an impossible day or outside the server's range.
  [[nodiscard]] static Result<Date> from_civil(std::int64_t year, unsigned month, unsigned day);
  [[nodiscard]] static Result<Date> from_sys_days(std::chrono::sys_days d);
  [[nodiscard]] static Result<Date> from_year_month_day(std::chrono::year_month_day ymd);

  // Fail for ±infinity (and, for year_month_day, years std::chrono cannot hold).
  [[nodiscard]] Result<CivilDate> to_civil() const;
  [[nodiscard]] Result<std::chrono::sys_days> to_sys_days() const;
  [[nodiscard]] Result<std::chrono::year_month_day> to_year_month_day() const;

  friend constexpr auto operator<=>(const Date&, const Date&) = default;
};

// ---- Time (without time zone) ----

struct Time {
  std::int64_t micros = 0;  // since midnight, 0 .. 24:00:00 inclusive

  [[nodiscard]] static Result<Time> from_hms(unsigned hour, unsigned minute, unsigned second,
                                             std::uint32_t microsecond = 0);
  [[nodiscard]] constexpr std::chrono::microseconds since_midnight() const noexcept {
    return std::chrono::microseconds(micros);
  }
  [[nodiscard]] static Result<Time> from_duration(std::chrono::microseconds since_midnight);

  friend constexpr auto operator<=>(const Time&, const Time&) = default;
};

// ---- Timestamp / TimestampTz ----

namespace detail {
// Shared shape of the two timestamp types; the tag keeps them from mixing silently, since a
// timestamp without time zone is a wall-clock reading and not an instant.
template <class Tag>
struct TimestampBase {
  std::int64_t micros = 0;  // since 2000-01-01 00:00:00 (UTC for TimestampTz)

  using sys_micros = std::chrono::sys_time<std::chrono::microseconds>;

  [[nodiscard]] static constexpr TimestampBase infinity() noexcept {
    return {std::numeric_limits<std::int64_t>::max()};
  }
  [[nodiscard]] static constexpr TimestampBase minus_infinity() noexcept {
    return {std::numeric_limits<std::int64_t>::min()};
  }
  [[nodiscard]] constexpr bool is_infinity() const noexcept { return micros == infinity().micros; }
  [[nodiscard]] constexpr bool is_minus_infinity() const noexcept { return micros == minus_infinity().micros; }
  [[nodiscard]] constexpr bool is_finite() const noexcept { return !is_infinity() && !is_minus_infinity(); }

  [[nodiscard]] static Result<TimestampBase> from_sys_time(sys_micros t) {
    using std::chrono::microseconds;
    constexpr std::int64_t offset = kUnixToPgEpochDays * kMicrosPerDay;
    const std::int64_t unix_us = t.time_since_epoch().count();
    // Compare before subtracting so neither extreme of the input can overflow.
    if (unix_us < kMinTimestampMicros + offset || unix_us - offset >= kEndTimestampMicros) {
      return make_error(ErrorCategory::encode, "timestamp out of range (4714-11-24 BC .. 294276-12-31)");
    }
    return TimestampBase{unix_us - offset};
  }
  [[nodiscard]] Result<sys_micros> to_sys_time() const {
    if (!is_finite()) {
      return make_error(ErrorCategory::decode, "an infinite timestamp has no std::chrono value");
    }
    return sys_micros(std::chrono::microseconds(micros + kUnixToPgEpochDays * kMicrosPerDay));
  }
  // Midnight of `d` plus `t`; fails for infinite dates and outside the timestamp range.
  [[nodiscard]] static Result<TimestampBase> from_date_time(Date d, Time t) {
    if (!d.is_finite()) {
      return make_error(ErrorCategory::encode, "cannot combine an infinite date with a time");
    }
    // Range-check the day first: days * micros-per-day overflows int64 for far dates.
    if (d.days < kMinTimestampMicros / kMicrosPerDay || d.days >= kEndTimestampMicros / kMicrosPerDay) {
      return make_error(ErrorCategory::encode, "timestamp out of range (4714-11-24 BC .. 294276-12-31)");
    }
    const std::int64_t us = static_cast<std::int64_t>(d.days) * kMicrosPerDay + t.micros;
    return TimestampBase{us};
  }

  friend constexpr auto operator<=>(const TimestampBase&, const TimestampBase&) = default;
};
struct WallClockTag {};
struct UtcTag {};
}  // namespace detail

using Timestamp = detail::TimestampBase<detail::WallClockTag>;
using TimestampTz = detail::TimestampBase<detail::UtcTag>;

// ---- Interval ----

struct Interval {
  std::int64_t micros = 0;
  std::int32_t days = 0;
  std::int32_t months = 0;

  [[nodiscard]] static constexpr Interval from_duration(std::chrono::microseconds d) noexcept {
    return {d.count(), 0, 0};
  }
  friend constexpr bool operator==(const Interval&, const Interval&) = default;
};

}  // namespace pgstream::protocol
