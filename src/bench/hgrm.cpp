#include "pgstream/bench/hgrm.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>

namespace pgstream::bench {

namespace {

// HdrHistogram's PercentileIterator: levels advance in fixed ticks that halve each time the
// remaining distance to 100% halves; a level is reported at the first non-zero bucket whose
// cumulative share reaches it (one bucket can report several levels), and once every count has
// been seen one last row at 100% follows. The arithmetic is kept in the same order so the
// printed levels are the same doubles.
template <class Emit>
void iterate_percentiles(const LatencyHistogram& h, int ticks_per_half_distance, Emit&& emit) {
  const std::uint64_t total = h.count();
  if (total == 0) return;
  const auto counts = h.counts();
  const auto ticks = static_cast<std::int64_t>(ticks_per_half_distance < 1 ? 1 : ticks_per_half_distance);
  double level = 0.0;
  std::uint64_t running = 0;
  std::size_t index = 0;
  bool fresh = true;
  bool reached_last = false;
  for (;;) {
    if (running >= total) {
      if (reached_last) return;
      level = 100.0;
      reached_last = true;
    }
    bool emitted = false;
    while (index < counts.size()) {
      const std::uint64_t here = counts[index];
      if (fresh) {
        running += here;
        fresh = false;
      }
      if (here != 0 && (100.0 * static_cast<double>(running)) / static_cast<double>(total) >= level) {
        emit(h.highest_equivalent(h.value_from_index(index)), level, running);
        if (level < 100.0) {
          const auto halvings = static_cast<std::int64_t>(std::log(100.0 / (100.0 - level)) / std::log(2.0));
          const auto reporting_ticks = ticks * static_cast<std::int64_t>(std::pow(2.0, static_cast<double>(halvings + 1)));
          level += 100.0 / static_cast<double>(reporting_ticks);
        }
        emitted = true;
        break;
      }
      ++index;
      fresh = true;
    }
    if (!emitted) return;  // cannot happen with consistent counts; never loop forever
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  s = trim(s);
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// "#[Name = a, Other = b]" -> the two numbers as text.
bool footer_fields(std::string_view line, std::string_view& first, std::string_view& second) {
  if (!line.starts_with("#[") || !line.ends_with("]")) return false;
  line = line.substr(2, line.size() - 3);
  const auto comma = line.find(',');
  if (comma == std::string_view::npos) return false;
  const auto eq1 = line.find('=');
  const auto eq2 = line.find('=', comma);
  if (eq1 == std::string_view::npos || eq1 > comma || eq2 == std::string_view::npos) return false;
  first = line.substr(eq1 + 1, comma - eq1 - 1);
  second = line.substr(eq2 + 1);
  return true;
}

}  // namespace

std::string to_hgrm(const LatencyHistogram& histogram, const HgrmOptions& options) {
  const int digits = histogram.config().significant_digits;
  const double scale = options.value_unit_scaling;
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  iterate_percentiles(histogram, options.percentile_ticks_per_half_distance,
                      [&](std::int64_t value, double level, std::uint64_t running) {
                        const double scaled = static_cast<double>(value) / scale;
                        if (level != 100.0) {
                          fmt::format_to(it, "{:12.{}f} {:2.12f} {:10d} {:14.2f}\n", scaled, digits, level / 100.0,
                                         running, 1.0 / (1.0 - level / 100.0));
                        } else {
                          fmt::format_to(it, "{:12.{}f} {:2.12f} {:10d}\n", scaled, digits, level / 100.0, running);
                        }
                      });
  fmt::format_to(it, "#[Mean    = {:12.{}f}, StdDeviation   = {:12.{}f}]\n", histogram.mean() / scale, digits,
                 histogram.stddev() / scale, digits);
  fmt::format_to(it, "#[Max     = {:12.{}f}, Total count    = {:12d}]\n",
                 static_cast<double>(histogram.max()) / scale, digits, histogram.count());
  fmt::format_to(it, "#[Buckets = {:12d}, SubBuckets     = {:12d}]\n", histogram.bucket_count(),
                 histogram.sub_bucket_count());
  return out;
}

double HgrmDistribution::value_at_percentile(double percent) const noexcept {
  // Levels are printed with 12 decimals; allow for that rounding when comparing.
  const double wanted = percent / 100.0 - 5e-13;
  for (const HgrmRow& row : rows) {
    if (row.percentile >= wanted) return row.value;
  }
  return rows.empty() ? 0.0 : rows.back().value;
}

Result<HgrmDistribution> parse_hgrm(std::string_view text) {
  HgrmDistribution out;
  std::size_t line_number = 0;
  bool saw_header = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_number;
    auto bad = [&](std::string_view what) {
      return make_error(ErrorCategory::decode,
                        fmt::format(".hgrm line {}: {}: \"{}\"", line_number, what, line.substr(0, 80)));
    };
    if (line.empty()) continue;
    if (line.starts_with("Value")) {
      saw_header = true;
      continue;
    }
    if (line.starts_with("#[")) {
      std::string_view a, b;
      if (!footer_fields(line, a, b)) return bad("malformed footer");
      bool ok = false;
      if (line.starts_with("#[Mean")) {
        ok = parse_number(a, out.mean) && parse_number(b, out.stddev);
      } else if (line.starts_with("#[Max")) {
        ok = parse_number(a, out.max) && parse_number(b, out.total_count);
      } else if (line.starts_with("#[Buckets")) {
        ok = parse_number(a, out.buckets) && parse_number(b, out.sub_buckets);
      } else {
        ok = true;  // a footer line we do not know: tolerated, like a comment
      }
      if (!ok) return bad("malformed footer number");
      continue;
    }
    if (line.starts_with("#")) continue;
    if (!saw_header) return bad("expected the \"Value Percentile TotalCount 1/(1-Percentile)\" header");
    const auto fields = split_ws(line);
    if (fields.size() != 3 && fields.size() != 4) return bad("a row has 3 or 4 columns");
    HgrmRow row;
    if (!parse_number(fields[0], row.value) || !parse_number(fields[1], row.percentile) ||
        !parse_number(fields[2], row.total_count)) {
      return bad("malformed row number");
    }
    if (fields.size() == 4) {
      double inverse = 0;
      if (!parse_number(fields[3], inverse)) return bad("malformed row number");
      row.inverse = inverse;
    }
    if (!(row.percentile >= 0.0 && row.percentile <= 1.0)) return bad("percentile outside 0..1");
    if (!out.rows.empty() && (row.percentile < out.rows.back().percentile ||
                              row.total_count < out.rows.back().total_count)) {
      return bad("rows must not go backwards");
    }
    out.rows.push_back(row);
  }
  if (!saw_header) return make_error(ErrorCategory::decode, ".hgrm: no \"Value Percentile ...\" header");
  return out;
}

}  // namespace pgstream::bench
