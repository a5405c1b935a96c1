#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "pgstream/protocol/types/types.hpp"

namespace pgstream::protocol {
namespace {

using namespace std::chrono_literals;

std::string to_hex(std::string_view bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

template <class T>
std::string encode_hex(const T& v) {
  std::string sink;
  Bindable<T>::encode(sink, v);
  return to_hex(sink);
}

template <class T>
T round_trip(const T& v) {
  std::string sink;
  Bindable<T>::encode(sink, v);
  auto back = decode_binary<T>(std::span<const std::byte>(reinterpret_cast<const std::byte*>(sink.data()), sink.size()));
  EXPECT_TRUE(back.has_value());
  return back ? *back : T{};
}

template <class T>
T parse_ok(std::string_view text) {
  auto v = parse_text<T>(text);
  EXPECT_TRUE(v.has_value()) << text << ": " << (v ? "" : v.error().message());
  return v ? *v : T{};
}

template <class T>
std::string parse_error(std::string_view text) {
  auto v = parse_text<T>(text);
  EXPECT_FALSE(v.has_value()) << text;
  return v ? "" : v.error().message();
}

// Reference day counts below come from the Julian Day Number formula (JDN(2000-01-01) = 2451545).
TEST(Calendar, DayCountsMatchJulianDayNumbers) {
  EXPECT_EQ(days_from_civil({2000, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({2024, 2, 29}), 8825);
  EXPECT_EQ(days_from_civil({1999, 12, 31}), -1);
  EXPECT_EQ(days_from_civil({-43, 3, 15}), -746117);   // 15 March 44 BC
  EXPECT_EQ(days_from_civil({-4713, 11, 24}), kMinDateDays);
  EXPECT_EQ(days_from_civil({0, 12, 31}), -730120);     // 31 December 1 BC
  EXPECT_EQ(days_from_civil({5874897, 12, 31}), kEndDateDays - 1);
  for (std::int64_t d : {std::int64_t{-2451545}, std::int64_t{-746117}, std::int64_t{-1}, std::int64_t{0},
                         std::int64_t{59}, std::int64_t{8825}, std::int64_t{2145031948}}) {
    EXPECT_EQ(days_from_civil(civil_from_days(d)), d);
  }
  EXPECT_EQ(civil_from_days(8825), (CivilDate{2024, 2, 29}));
}

TEST(DateCodec, DaysSince2000AsInt32) {
  EXPECT_EQ(encode_hex(parse_ok<Date>("2000-01-01")), "00000000");
  EXPECT_EQ(encode_hex(parse_ok<Date>("2024-02-29")), "00002279");
  EXPECT_EQ(encode_hex(parse_ok<Date>("1999-12-31")), "ffffffff");
  EXPECT_EQ(encode_hex(Date::infinity()), "7fffffff");
  EXPECT_EQ(encode_hex(Date::minus_infinity()), "80000000");
  EXPECT_EQ(parse_ok<Date>("infinity"), Date::infinity());
  EXPECT_EQ(parse_ok<Date>("-Infinity"), Date::minus_infinity());
  EXPECT_EQ(parse_ok<Date>("epoch").days, -10957);
}

TEST(DateCodec, RoundTripsIncludingBcAndFarFuture) {
  for (const char* text : {"2024-02-29", "0044-03-15 BC", "0001-01-01 BC", "4714-11-24 BC", "5874897-12-31",
                           "294276-12-31", "1970-01-01", "infinity", "-infinity"}) {
    const Date d = parse_ok<Date>(text);
    EXPECT_EQ(round_trip(d), d) << text;
    EXPECT_EQ(format_text(d), text);
  }
  EXPECT_EQ(parse_ok<Date>("0044-03-15 BC").days, -746117);
  EXPECT_EQ(parse_ok<Date>("  2024-02-29 AD ").days, 8825);
}

TEST(DateParse, ErrorsNameTheInputAndTheReason) {
  EXPECT_EQ(parse_error<Date>("2024-02-30"),
            "not a valid date: '2024-02-30' (day 30 does not exist in February 2024)");
  EXPECT_EQ(parse_error<Date>("2023-02-29"),
            "not a valid date: '2023-02-29' (day 29 does not exist in February 2023)");
  EXPECT_EQ(parse_error<Date>("2024-13-01"), "not a valid date: '2024-13-01' (month 13 is not 1-12)");
  EXPECT_EQ(parse_error<Date>("0000-01-01"),
            "not a valid date: '0000-01-01' (there is no year 0; 1 BC precedes 1 AD)");
  EXPECT_EQ(parse_error<Date>("4714-11-23 BC"),
            "not a valid date: '4714-11-23 BC' (out of range 4714-11-24 BC .. 5874897-12-31)");
  EXPECT_EQ(parse_error<Date>("5874898-01-01"),
            "not a valid date: '5874898-01-01' (out of range 4714-11-24 BC .. 5874897-12-31)");
  EXPECT_NE(parse_error<Date>("2024/01/01").find("not a valid date: '2024/01/01'"), std::string::npos);
  EXPECT_NE(parse_error<Date>("").find("not a valid date"), std::string::npos);
  EXPECT_NE(parse_error<Date>("2024-01-01x").find("unexpected text"), std::string::npos);
}

TEST(DateChrono, ConvertsToAndFromSysDaysAndYearMonthDay) {
  using namespace std::chrono;
  const Date leap = parse_ok<Date>("2024-02-29");
  EXPECT_EQ(Date::from_year_month_day(2024y / February / 29).value(), leap);
  EXPECT_EQ(leap.to_year_month_day().value(), 2024y / February / 29);
  EXPECT_EQ(leap.to_sys_days().value(), sys_days(2024y / February / 29));
  EXPECT_EQ(Date::from_sys_days(sys_days(1970y / January / 1)).value().days, -10957);
  EXPECT_FALSE(Date::infinity().to_sys_days().has_value());
  EXPECT_FALSE(Date::minus_infinity().to_year_month_day().has_value());
  EXPECT_FALSE(parse_ok<Date>("294276-12-31").to_year_month_day().has_value());  // beyond std::chrono::year
  EXPECT_FALSE(Date::from_civil(2023, 2, 29).has_value());
  EXPECT_EQ(Date::from_civil(-43, 3, 15).value(), parse_ok<Date>("0044-03-15 BC"));
}

TEST(TimeCodec, MicrosecondsSinceMidnight) {
  EXPECT_EQ(encode_hex(parse_ok<Time>("12:34:56.123456")), "0000000a8bdbfe40");
  EXPECT_EQ(encode_hex(parse_ok<Time>("01:02:03.5")), "00000000ddf019e0");
  EXPECT_EQ(parse_ok<Time>("24:00:00").micros, kMicrosPerDay);
  EXPECT_EQ(parse_ok<Time>("00:00").micros, 0);
  EXPECT_EQ(parse_ok<Time>("00:00:00.0000005").micros, 1);  // rounded to microseconds
  EXPECT_EQ(parse_ok<Time>("12:00:00+05").micros, 12 * 3600 * kMicrosPerSecond);  // zone ignored
  EXPECT_EQ(Time::from_hms(23, 59, 59, 999999).value().micros, kMicrosPerDay - 1);
  EXPECT_FALSE(Time::from_hms(24, 0, 1).has_value());
  for (const char* text : {"00:00:00", "12:34:56.123456", "23:59:59.999999", "24:00:00", "00:00:00.5"}) {
    const Time t = parse_ok<Time>(text);
    EXPECT_EQ(round_trip(t), t);
    EXPECT_EQ(format_text(t), text);
  }
  EXPECT_NE(parse_error<Time>("24:00:01").find("not a valid time: '24:00:01'"), std::string::npos);
  EXPECT_NE(parse_error<Time>("25:00").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error<Time>("12:60").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error<Time>("12").find("expected HH:MM"), std::string::npos);
}

TEST(TimeDecode, RejectsOutOfRangeValues) {
  const std::string bytes("\x00\x00\x00\x14\x1d\xd7\x60\x01", 8);  // 86400000001
  auto t = decode_binary<Time>(std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), 8));
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message(), "time value 86400000001 is out of range 0..86400000000 microseconds");
}

TEST(TimestampCodec, MicrosecondsSince2000) {
  EXPECT_EQ(encode_hex(parse_ok<Timestamp>("2000-01-01 00:00:01.5")), "000000000016e360");
  EXPECT_EQ(encode_hex(parse_ok<TimestampTz>("2000-01-01 00:00:00+00")), "0000000000000000");
  EXPECT_EQ(encode_hex(parse_ok<TimestampTz>("2024-02-29T12:34:56.123456Z")), "0002b58341685e40");
  EXPECT_EQ(encode_hex(parse_ok<TimestampTz>("2024-02-29 12:34:56.123456+05:30")), "0002b57ea53c5840");
  EXPECT_EQ(encode_hex(Timestamp::infinity()), "7fffffffffffffff");
  EXPECT_EQ(encode_hex(TimestampTz::minus_infinity()), "8000000000000000");
  EXPECT_EQ(parse_ok<TimestampTz>("epoch").micros, -946684800LL * kMicrosPerSecond);
  EXPECT_EQ(Bindable<TimestampTz>::oid, oid::timestamptz);
  EXPECT_EQ(Bindable<Timestamp>::oid, oid::timestamp);
}

TEST(TimestampParse, ZonesConvertTimestamptzAndAreIgnoredByTimestamp) {
  const auto utc = parse_ok<TimestampTz>("2024-02-29 07:04:56Z");
  for (const char* text : {"2024-02-29 12:34:56+05:30", "2024-02-29T12:34:56+0530", "2024-02-29 12:34:56 +05:30",
                           "2024-02-29 02:04:56-05", "2024-02-29 07:04:56 UTC", "2024-02-29t07:04:56gmt",
                           "2024-02-29 07:04:56"}) {
    EXPECT_EQ(parse_ok<TimestampTz>(text), utc) << text;
  }
  EXPECT_EQ(parse_ok<Timestamp>("2024-02-29 12:34:56+05:30").micros,
            parse_ok<Timestamp>("2024-02-29 12:34:56").micros);
  EXPECT_EQ(parse_ok<Timestamp>("2024-02-29").micros, 8825LL * kMicrosPerDay);
  EXPECT_EQ(parse_ok<TimestampTz>("2024-02-29 23:30:00-01:00"), parse_ok<TimestampTz>("2024-03-01 00:30:00Z"));
}

TEST(TimestampParse, BcAndRangeLimits) {
  // 44 BC, noon: -746117 days and 12 hours.
  EXPECT_EQ(parse_ok<Timestamp>("0044-03-15 12:00:00 BC").micros, -746117LL * kMicrosPerDay + 12 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(parse_ok<TimestampTz>("0044-03-15 12:00:00+00 BC").micros,
            -746117LL * kMicrosPerDay + 12 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(parse_ok<Timestamp>("4714-11-24 00:00:00 BC").micros, kMinTimestampMicros);
  EXPECT_EQ(parse_ok<Timestamp>("294276-12-31 23:59:59.999999").micros, kEndTimestampMicros - 1);
  EXPECT_EQ(parse_error<Timestamp>("294277-01-01 00:00:00"),
            "not a valid timestamp: '294277-01-01 00:00:00' (out of range 4714-11-24 BC .. 294276-12-31)");
  EXPECT_NE(parse_error<Timestamp>("4714-11-23 23:59:59 BC").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error<TimestampTz>("2024-02-30 10:00:00").find("day 30 does not exist in February 2024"),
            std::string::npos);
  EXPECT_NE(parse_error<TimestampTz>("2024-02-29 10:00:00+16:00").find("zone offset out of range"), std::string::npos);
  EXPECT_NE(parse_error<TimestampTz>("2024-02-29 10:00:00 junk").find("unexpected text"), std::string::npos);
  EXPECT_NE(parse_error<TimestampTz>("2024-02-29 10").find("expected HH:MM"), std::string::npos);
}

TEST(TimestampFormat, PrintsIsoAndReadsBack) {
  for (const char* text : {"2024-02-29 12:34:56.123456", "2000-01-01 00:00:00", "1999-12-31 23:59:59.5",
                           "0044-03-15 12:00:00 BC", "294276-12-31 23:59:59.999999", "4714-11-24 00:00:00 BC",
                           "infinity", "-infinity"}) {
    const auto ts = parse_ok<Timestamp>(text);
    EXPECT_EQ(format_text(ts), text);
    EXPECT_EQ(round_trip(ts), ts);
  }
  EXPECT_EQ(format_text(parse_ok<TimestampTz>("2024-02-29 12:34:56+05:30")), "2024-02-29 07:04:56+00");
  EXPECT_EQ(format_text(parse_ok<TimestampTz>("0044-03-15 12:00:00+00 BC")), "0044-03-15 12:00:00+00 BC");
  const auto bc = parse_ok<TimestampTz>("0044-03-15 12:00:00+00 BC");
  EXPECT_EQ(parse_ok<TimestampTz>(format_text(bc)), bc);
}

TEST(TimestampChrono, ConvertsToAndFromSysTime) {
  using namespace std::chrono;
  const sys_time<microseconds> t = sys_days(2024y / February / 29) + 12h + 34min + 56s + 123456us;
  EXPECT_EQ(TimestampTz::from_sys_time(t).value(), parse_ok<TimestampTz>("2024-02-29T12:34:56.123456Z"));
  EXPECT_EQ(parse_ok<TimestampTz>("2024-02-29T12:34:56.123456Z").to_sys_time().value(), t);
  EXPECT_FALSE(TimestampTz::infinity().to_sys_time().has_value());
  // std::chrono's whole microsecond range ends (year 294247) inside the server's range.
  EXPECT_EQ(Timestamp::from_sys_time(sys_time<microseconds>(microseconds::max())).value().micros,
            microseconds::max().count() - kUnixToPgEpochDays * kMicrosPerDay);
  EXPECT_FALSE(Timestamp::from_sys_time(sys_time<microseconds>(microseconds::min())).has_value());
  const Date d = parse_ok<Date>("2024-02-29");
  const Time tm = parse_ok<Time>("12:34:56.123456");
  EXPECT_EQ(Timestamp::from_date_time(d, tm).value(), parse_ok<Timestamp>("2024-02-29 12:34:56.123456"));
  EXPECT_FALSE(Timestamp::from_date_time(parse_ok<Date>("5874897-12-31"), tm).has_value());
  EXPECT_FALSE(Timestamp::from_date_time(Date::infinity(), tm).has_value());
}

TEST(IntervalCodec, MicrosDaysMonthsInThatOrder) {
  const Interval v = parse_ok<Interval>("1 year 2 mons 3 days 04:05:06");
  EXPECT_EQ(v, (Interval{14706000000, 3, 14}));
  EXPECT_EQ(encode_hex(v), "000000036c8bc080" "00000003" "0000000e");
  EXPECT_EQ(round_trip(v), v);
  const Interval negative{-1, -2, -3};
  EXPECT_EQ(round_trip(negative), negative);
}

TEST(IntervalParse, VerboseAndIso8601Forms) {
  const Interval v{14706000000, 3, 14};
  EXPECT_EQ(parse_ok<Interval>("P1Y2M3DT4H5M6S"), v);
  EXPECT_EQ(parse_ok<Interval>("@ 1 year 2 months 3 days 4 hours 5 minutes 6 seconds"), v);
  EXPECT_EQ(parse_ok<Interval>("1 yr 2 mon 3 d 4 h 5 min 6 s"), v);
  EXPECT_EQ(parse_ok<Interval>("@ 5 minutes ago"), (Interval{-300000000, 0, 0}));
  EXPECT_EQ(parse_ok<Interval>("1.5 seconds"), (Interval{1500000, 0, 0}));
  EXPECT_EQ(parse_ok<Interval>("-04:05:06.5"), (Interval{-14706500000, 0, 0}));
  EXPECT_EQ(parse_ok<Interval>("2 weeks -1 day"), (Interval{0, 13, 0}));
  EXPECT_EQ(parse_ok<Interval>("1 century 1 decade"), (Interval{0, 0, 1320}));
  EXPECT_EQ(parse_ok<Interval>("90"), (Interval{90000000, 0, 0}));  // a bare number is seconds
  EXPECT_EQ(parse_ok<Interval>("P-1Y-2M3DT-4H-5M-6.5S"), (Interval{-14706500000, 3, -14}));
  EXPECT_EQ(parse_ok<Interval>("PT0S"), Interval{});
  EXPECT_NE(parse_error<Interval>("1.5 days").find("fractions are supported only for seconds"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("3 fortnights").find("unknown unit 'fortnights'"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("P1X").find("unknown ISO 8601 unit"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("P").find("at least one field"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("").find("not a valid interval: ''"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("3000000000 days").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error<Interval>("ago 1 day").find("'ago' must come last"), std::string::npos);
}

TEST(IntervalFormat, Iso8601WithPerFieldSignsReadsBack) {
  const std::pair<Interval, const char*> cases[] = {
      {Interval{14706000000, 3, 14}, "P1Y2M3DT4H5M6S"},
      {Interval{-14706500000, 3, -14}, "P-1Y-2M3DT-4H-5M-6.5S"},
      {Interval{}, "PT0S"},
      {Interval{-500000, 0, 0}, "PT-0.5S"},
      {Interval{1, 0, 0}, "PT0.000001S"},
      {Interval{0, -7, 12}, "P1Y-7D"},
  };
  for (const auto& [v, text] : cases) {
    EXPECT_EQ(format_text(v), text);
    EXPECT_EQ(parse_ok<Interval>(text), v) << text;
  }
  const Interval extreme{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int32_t>::min(),
                         std::numeric_limits<std::int32_t>::max()};
  EXPECT_EQ(round_trip(extreme), extreme);
}

}  // namespace
}  // namespace pgstream::protocol
