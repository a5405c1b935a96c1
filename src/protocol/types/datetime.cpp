#include "pgstream/protocol/types/datetime.hpp"

#include <string>

namespace pgstream::protocol {
namespace {

std::string civil_text(std::int64_t year, unsigned month, unsigned day) {
  return std::to_string(year) + "-" + std::to_string(month) + "-" + std::to_string(day);
}

}  // namespace

Result<Date> Date::from_civil(std::int64_t year, unsigned month, unsigned day) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return make_error(ErrorCategory::encode, "not a valid date: " + civil_text(year, month, day) +
                                                 " (astronomical year, month 1-12, day within the month)");
  }
  // Years this far out are beyond any valid date; checking first keeps the day count in range.
  if (year < -5000 || year > 6'000'000) {
    return make_error(ErrorCategory::encode, "date out of range: year " + std::to_string(year) +
                                                 " (valid: 4714-11-24 BC .. 5874897-12-31)");
  }
  const std::int64_t days = days_from_civil(CivilDate{year, month, day});
  if (days < kMinDateDays || days >= kEndDateDays) {
    return make_error(ErrorCategory::encode, "date out of range: " + civil_text(year, month, day) +
                                                 " (valid: 4714-11-24 BC .. 5874897-12-31)");
  }
  return Date{static_cast<std::int32_t>(days)};
}

Result<Date> Date::from_sys_days(std::chrono::sys_days d) {
  const std::int64_t days = static_cast<std::int64_t>(d.time_since_epoch().count()) - kUnixToPgEpochDays;
  if (days < kMinDateDays || days >= kEndDateDays) {
    return make_error(ErrorCategory::encode, "date out of range (valid: 4714-11-24 BC .. 5874897-12-31)");
  }
  return Date{static_cast<std::int32_t>(days)};
}

Result<Date> Date::from_year_month_day(std::chrono::year_month_day ymd) {
  if (!ymd.ok()) return make_error(ErrorCategory::encode, "not a valid date: std::chrono::year_month_day is not ok()");
  return from_civil(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()));
}

Result<CivilDate> Date::to_civil() const {
  if (!is_finite()) return make_error(ErrorCategory::decode, "an infinite date has no calendar day");
  return civil_from_days(days);
}

Result<std::chrono::sys_days> Date::to_sys_days() const {
  if (!is_finite()) return make_error(ErrorCategory::decode, "an infinite date has no std::chrono value");
  return std::chrono::sys_days(std::chrono::days(static_cast<std::int64_t>(days) + kUnixToPgEpochDays));
}

Result<std::chrono::year_month_day> Date::to_year_month_day() const {
  auto civil = to_civil();
  if (!civil) return std::unexpected(std::move(civil.error()));
  if (civil->year < -32767 || civil->year > 32767) {
    return make_error(ErrorCategory::decode, "year " + std::to_string(civil->year) +
                                                 " does not fit std::chrono::year (-32767..32767)");
  }
  return std::chrono::year_month_day(std::chrono::year(static_cast<int>(civil->year)),
                                     std::chrono::month(civil->month), std::chrono::day(civil->day));
}

Result<Time> Time::from_hms(unsigned hour, unsigned minute, unsigned second, std::uint32_t microsecond) {
  if (minute > 59 || second > 59 || microsecond > 999'999 || hour > 24 ||
      (hour == 24 && (minute != 0 || second != 0 || microsecond != 0))) {
    return make_error(ErrorCategory::encode, "not a valid time of day: " + std::to_string(hour) + ":" +
                                                 std::to_string(minute) + ":" + std::to_string(second) +
                                                 "." + std::to_string(microsecond) + " (00:00:00 .. 24:00:00)");
  }
  return Time{((static_cast<std::int64_t>(hour) * 60 + minute) * 60 + second) * kMicrosPerSecond + microsecond};
}

Result<Time> Time::from_duration(std::chrono::microseconds since_midnight) {
  if (since_midnight.count() < 0 || since_midnight.count() > kMicrosPerDay) {
    return make_error(ErrorCategory::encode, "time of day out of range: " + std::to_string(since_midnight.count()) +
                                                 " microseconds (0 .. 86400000000)");
  }
  return Time{since_midnight.count()};
}

}  // namespace pgstream::protocol
