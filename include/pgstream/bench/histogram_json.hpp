#pragma once
// A histogram as JSON, so `pgstream bench merge A.json B.json` adds runs exactly (counts add;
// nothing is averaged). Only the non-zero counters are written, by counts-array index, with the
// parameters that give the indices their meaning:
//
//   {"format":"pgstream-histogram","version":1,"unit":"ns",
//    "lowest_discernible":1,"highest_trackable":3600000000000,"significant_digits":3,
//    "total_count":12345,"overflow_count":0,"buckets":[[2010,3],[2011,7],...]}
//
// A typical run has a few hundred to a few thousand non-zero counters, so tens of KB. The object
// can be embedded in a larger report: to read it back from one, hand from_json the field's raw
// JSON text (simdjson's raw_json() of that value).

#include <string>
#include <string_view>

#include "pgstream/bench/histogram.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

[[nodiscard]] std::string to_json(const LatencyHistogram& histogram);

// Any valid parameters; refuses (ErrorCategory::decode) malformed JSON, another format or
// version, a unit other than "ns", indices out of range or not increasing, zero counts, a
// total_count that disagrees with the buckets, overflow without a top bucket to hold it.
[[nodiscard]] Result<LatencyHistogram> from_json(std::string_view json);

// As above, and refuses (ErrorCategory::config) a histogram recorded with other parameters than
// `expected`, saying both: runs merge exactly only when their buckets are the same.
[[nodiscard]] Result<LatencyHistogram> from_json(std::string_view json, const HistogramConfig& expected);

}  // namespace pgstream::bench
