// The SVG report: well-formed XML (checked here by a small parser, and by python3's minidom when
// python3 is installed), one polyline per series with its name, escaped text, and nothing that
// reaches outside the file.

#include "pgstream/bench/svg_plot.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace pgstream::bench {
namespace {

// Enough of XML 1.0 to catch what a writer gets wrong: unbalanced or crossed tags, unquoted or
// duplicate-free attribute syntax, a bare '&' or '<' in text or attributes, content after the root.
// Returns "" when well-formed, else what is wrong and where.
std::string well_formedness_error(std::string_view x) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  bool root_closed = false;
  auto at = [&](std::string_view what) { return std::string(what) + " at offset " + std::to_string(i); };
  auto check_entity = [&](std::size_t& j) -> bool {  // x[j] == '&'
    const auto semi = x.find(';', j);
    if (semi == std::string_view::npos) return false;
    const std::string_view name = x.substr(j + 1, semi - j - 1);
    const bool ok = name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos" ||
                    (name.size() > 1 && name[0] == '#');
    j = semi;
    return ok;
  };
  auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_'; };
  while (i < x.size()) {
    if (x[i] != '<') {
      if (x[i] == '&' && !check_entity(i)) return at("bad entity");
      if (x[i] == '>') return at("bare '>' in text");
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(x[i]))) return at("text outside the root");
      ++i;
      continue;
    }
    if (x.substr(i, 5) == "<?xml") {
      const auto end = x.find("?>", i);
      if (end == std::string_view::npos || i != 0) return at("bad XML declaration");
      i = end + 2;
      continue;
    }
    if (x.substr(i, 4) == "<!--") {
      const auto end = x.find("-->", i);
      if (end == std::string_view::npos) return at("unterminated comment");
      i = end + 3;
      continue;
    }
    const bool closing = i + 1 < x.size() && x[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < x.size() && is_name(x[j])) ++j;
    const std::string name(x.substr(name_start, j - name_start));
    if (name.empty()) return at("tag without a name");
    if (closing) {
      while (j < x.size() && x[j] == ' ') ++j;
      if (j >= x.size() || x[j] != '>') return at("bad closing tag");
      if (stack.empty() || stack.back() != name) return at("closing </" + name + "> does not match");
      stack.pop_back();
      if (stack.empty()) root_closed = true;
      i = j + 1;
      continue;
    }
    if (root_closed) return at("a second root element");
    std::vector<std::string> attrs;
    for (;;) {
      while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      if (j >= x.size()) return at("unterminated tag");
      if (x[j] == '>' || (x[j] == '/' && j + 1 < x.size() && x[j + 1] == '>')) break;
      const std::size_t a = j;
      while (j < x.size() && is_name(x[j])) ++j;
      if (j == a) return at("bad attribute name in <" + name + ">");
      const std::string attr(x.substr(a, j - a));
      for (const auto& seen : attrs) {
        if (seen == attr) return at("duplicate attribute " + attr);
      }
      attrs.push_back(attr);
      if (j >= x.size() || x[j] != '=') return at("attribute without '='");
      ++j;
      if (j >= x.size() || (x[j] != '"' && x[j] != '\'')) return at("unquoted attribute value");
      const char q = x[j++];
      while (j < x.size() && x[j] != q) {
        if (x[j] == '<') return at("'<' in an attribute value");
        if (x[j] == '&' && !check_entity(j)) return at("bad entity in an attribute value");
        ++j;
      }
      if (j >= x.size()) return at("unterminated attribute value");
      ++j;
    }
    if (x[j] == '/') {
      if (stack.empty()) root_closed = true;
      i = j + 2;
    } else {
      stack.push_back(name);
      i = j + 1;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_closed) return "no root element";
  return "";
}

TEST(SvgPlot, TheCheckerItselfRejectsBrokenXml) {
  EXPECT_EQ(well_formedness_error("<a><b x=\"1\"/></a>"), "");
  EXPECT_NE(well_formedness_error("<a><b></a></b>"), "");
  EXPECT_NE(well_formedness_error("<a>x & y</a>"), "");
  EXPECT_NE(well_formedness_error("<a x=1/>"), "");
  EXPECT_NE(well_formedness_error("<a x=\"<\"/>"), "");
  EXPECT_NE(well_formedness_error("<a/><b/>"), "");
  EXPECT_NE(well_formedness_error("<a>"), "");
}

struct Fixture {
  LatencyHistogram from_intended_start, service_time;
  ThroughputTimeline timeline;
  Fixture() {
    for (std::int64_t i = 1; i <= 20'000; ++i) {
      const std::int64_t service = 200'000 + (i % 100) * 10'000;  // 0.2 .. 1.2 ms
      const std::int64_t queued = i % 1000 == 0 ? 50'000'000 : 0;  // a few stalls
      service_time.record(service);
      from_intended_start.record(service + queued);
      (void)timeline.record(i * 500'000, service + queued);  // 2000 tx/s for 10 s
    }
    timeline.finish(10'000'000'000);
  }
};

std::size_t occurrences(const std::string& s, std::string_view what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgPlot, WritesWellFormedSvgWithOnePolylinePerSeries) {
  Fixture fx;
  const LatencySeries series[] = {{"latency from intended start", &fx.from_intended_start},
                                  {"service time", &fx.service_time}};
  const std::string svg = write_latency_svg(series, fx.timeline.intervals(), {.title = "select-only, -R 2000"});
  EXPECT_EQ(well_formedness_error(svg), "") << svg.substr(0, 2000);
  EXPECT_EQ(occurrences(svg, "<polyline"), 4u);
  EXPECT_EQ(occurrences(svg, "data-series=\"latency from intended start\""), 1u);
  EXPECT_EQ(occurrences(svg, "data-series=\"service time\""), 1u);
  EXPECT_EQ(occurrences(svg, "data-series=\"throughput\""), 1u);
  EXPECT_EQ(occurrences(svg, "data-series=\"p99\""), 1u);
  for (std::string_view label : {"99.999%", "99.9%", "Percentile", "Latency (ms)", "Time (s)", "Throughput (tx/s)",
                                 "p99 latency (ms)", "select-only, -R 2000"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  // Self-contained: nothing fetched, nothing run.
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find("url("), std::string::npos);
  EXPECT_EQ(svg.find("@import"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "http"), 1u);  // the SVG namespace name only
}

TEST(SvgPlot, EscapesNamesAndTitle) {
  Fixture fx;
  const LatencySeries series[] = {{"a<b & \"c\"", &fx.service_time}};
  const std::string svg = write_latency_svg(series, {}, {.title = "<script>&", .log_latency_axis = false});
  EXPECT_EQ(well_formedness_error(svg), "");
  EXPECT_NE(svg.find("data-series=\"a&lt;b &amp; &quot;c&quot;\""), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;&amp;"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "<polyline"), 1u);  // no timeline: no second panel
}

TEST(SvgPlot, EmptyInputStillGivesAValidDocument) {
  const LatencyHistogram empty;
  const LatencySeries series[] = {{"nothing", &empty}, {"null", nullptr}};
  const std::string svg = write_latency_svg(series, {});
  EXPECT_EQ(well_formedness_error(svg), "");
  EXPECT_EQ(occurrences(svg, "<polyline"), 0u);
  EXPECT_NE(svg.find("no latency recorded"), std::string::npos);
}

TEST(SvgPlot, PythonMinidomParsesIt) {
  if (std::system("python3 -c 'import xml.dom.minidom' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with xml.dom.minidom is not available";
  }
  Fixture fx;
  const LatencySeries series[] = {{"latency & <co>", &fx.from_intended_start}, {"service time", &fx.service_time}};
  const auto path = std::filesystem::temp_directory_path() /
                    ("pgstream_svg_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                     std::to_string(reinterpret_cast<std::uintptr_t>(&fx)) + ".svg");
  {
    std::ofstream out(path);
    out << write_latency_svg(series, fx.timeline.intervals());
  }
  const std::string cmd = "python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
                          "n = [p.getAttribute(\"data-series\") for p in d.getElementsByTagName(\"polyline\")]; "
                          "sys.exit(0 if n == [\"latency & <co>\", \"service time\", \"throughput\", \"p99\"] else 3)' " +
                          path.string();
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace pgstream::bench
