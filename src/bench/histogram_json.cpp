#include "pgstream/bench/histogram_json.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

namespace pgstream::bench {

namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kFormat = "pgstream-histogram";
constexpr std::int64_t kVersion = 1;

auto json_error(std::string_view what) {
  return make_error(ErrorCategory::decode, "histogram JSON: " + std::string(what));
}

auto json_error(simdjson::error_code err, std::string_view where) {
  return make_error(ErrorCategory::decode,
                    fmt::format("histogram JSON: {}: {}", where, simdjson::error_message(err)));
}

}  // namespace

std::string to_json(const LatencyHistogram& histogram) {
  const HistogramConfig& c = histogram.config();
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "{{\"format\":\"{}\",\"version\":{},\"unit\":\"ns\",\"lowest_discernible\":{},"
                 "\"highest_trackable\":{},\"significant_digits\":{},\"total_count\":{},\"overflow_count\":{},"
                 "\"buckets\":[",
                 kFormat, kVersion, c.lowest_discernible, c.highest_trackable, c.significant_digits,
                 histogram.count(), histogram.overflow_count());
  const auto counts = histogram.counts();
  bool first = true;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    fmt::format_to(it, "{}[{},{}]", first ? "" : ",", i, counts[i]);
    first = false;
  }
  out += "]}";
  return out;
}

Result<LatencyHistogram> from_json(std::string_view json) {
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (auto err = parser.iterate(padded).get(doc)) return json_error(err, "parse");
  od::object obj;
  if (auto err = doc.get_object().get(obj)) return json_error(err, "expected an object");

  std::string_view format, unit;
  std::int64_t version = -1;
  HistogramConfig config;
  bool have_lowest = false, have_highest = false, have_digits = false, have_total = false, have_buckets = false;
  std::uint64_t total_count = 0, overflow_count = 0;
  std::vector<BucketCount> buckets;

  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_error(err, "key");
    od::value value;
    if (auto err = field.value().get(value)) return json_error(err, key);
    simdjson::error_code err = simdjson::SUCCESS;
    if (key == "format") {
      err = value.get_string().get(format);
    } else if (key == "version") {
      err = value.get_int64().get(version);
    } else if (key == "unit") {
      err = value.get_string().get(unit);
    } else if (key == "lowest_discernible") {
      err = value.get_int64().get(config.lowest_discernible);
      have_lowest = true;
    } else if (key == "highest_trackable") {
      err = value.get_int64().get(config.highest_trackable);
      have_highest = true;
    } else if (key == "significant_digits") {
      std::int64_t digits = 0;
      err = value.get_int64().get(digits);
      if (!err && (digits < 0 || digits > 5)) return json_error("significant_digits must be 0..5");
      config.significant_digits = static_cast<int>(digits);
      have_digits = true;
    } else if (key == "total_count") {
      err = value.get_uint64().get(total_count);
      have_total = true;
    } else if (key == "overflow_count") {
      err = value.get_uint64().get(overflow_count);
    } else if (key == "buckets") {
      od::array arr;
      if ((err = value.get_array().get(arr))) return json_error(err, key);
      for (auto element : arr) {
        od::array pair;
        if ((err = element.get_array().get(pair))) return json_error(err, "buckets entry");
        std::uint64_t numbers[2] = {0, 0};
        std::size_t n = 0;
        for (auto number : pair) {
          if (n == 2) return json_error("a buckets entry is [index, count]");
          if ((err = number.get_uint64().get(numbers[n]))) return json_error(err, "buckets entry");
          ++n;
        }
        if (n != 2) return json_error("a buckets entry is [index, count]");
        if (numbers[0] > UINT32_MAX) return json_error("bucket index out of range");
        buckets.push_back({static_cast<std::uint32_t>(numbers[0]), numbers[1]});
      }
      have_buckets = true;
    }
    // Unknown keys are skipped: a later version may add fields a reader can ignore.
    if (err) return json_error(err, key);
  }

  if (format != kFormat) return json_error(fmt::format("format is \"{}\", expected \"{}\"", format, kFormat));
  if (version != kVersion) return json_error(fmt::format("version {} is not supported (expected 1)", version));
  if (unit != "ns") return json_error(fmt::format("unit is \"{}\", expected \"ns\"", unit));
  if (!have_lowest || !have_highest || !have_digits || !have_total || !have_buckets) {
    return json_error(
        "missing one of lowest_discernible, highest_trackable, significant_digits, total_count, buckets");
  }
  auto histogram = LatencyHistogram::create(config);
  if (!histogram) return make_error(ErrorCategory::decode, "histogram JSON: " + histogram.error().message());

  const std::size_t top = histogram->index_of(config.highest_trackable);
  bool top_seen = false;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const BucketCount& b = buckets[i];
    if (i > 0 && b.index <= buckets[i - 1].index) return json_error("bucket indices must increase");
    if (b.count == 0) return json_error("a bucket count of 0 is not written by to_json");
    const std::uint64_t overflow = b.index == top ? overflow_count : 0;
    top_seen = top_seen || b.index == top;
    if (auto r = histogram->add_at_index(b.index, b.count, overflow); !r) {
      return make_error(ErrorCategory::decode, "histogram JSON: " + r.error().message());
    }
    if (sum + b.count < sum) return json_error("counts overflow 64 bits");
    sum += b.count;
  }
  if (overflow_count > 0 && !top_seen) return json_error("overflow_count without a top bucket holding it");
  if (sum != total_count) {
    return json_error(fmt::format("total_count {} disagrees with the buckets' sum {}", total_count, sum));
  }
  return std::move(*histogram);
}

Result<LatencyHistogram> from_json(std::string_view json, const HistogramConfig& expected) {
  auto histogram = from_json(json);
  if (!histogram) return histogram;
  if (!(histogram->config() == expected)) {
    return make_error(ErrorCategory::config,
                      "histogram JSON was recorded with other parameters (" + to_string(histogram->config()) +
                          ") than expected (" + to_string(expected) +
                          "): runs merge exactly only with the same buckets");
  }
  return histogram;
}

}  // namespace pgstream::bench
