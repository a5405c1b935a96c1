#include "pgstream/bench/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <string_view>
#include <vector>

namespace pgstream::bench {

namespace {

constexpr std::array<std::string_view, 6> kColors = {"#1f77b4", "#d62728", "#2ca02c",
                                                     "#9467bd", "#ff7f0e", "#8c564b"};
constexpr double kNines = 5.0;          // the x axis ends at 99.999 %
constexpr int kPointsPerSeries = 250;
constexpr int kLeft = 90, kRight = 90, kTop = 60;
constexpr int kPanel1Height = 360, kPanel2Height = 260, kGap = 90, kBottom = 60;

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0 at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// 1, 2, 5 times a power of ten, at or above v.
double nice_ceiling(double v) {
  if (!(v > 0)) return 1.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
  const double f = v / magnitude;
  const double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
  return nice * magnitude;
}

struct Frame {
  double x0, y0, w, h;  // pixel box of the plot area
};

class Writer {
 public:
  explicit Writer(std::string& out) : it_(std::back_inserter(out)) {}
  template <class... Args>
  void operator()(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(it_, f, std::forward<Args>(args)...);
  }

 private:
  std::back_insert_iterator<std::string> it_;
};

void axis_box(Writer& w, const Frame& f) {
  w("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333\"/>\n", f.x0,
    f.y0, f.w, f.h);
}

void x_tick(Writer& w, const Frame& f, double px, std::string_view label) {
  w("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n", px, f.y0, f.y0 + f.h);
  w("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px, f.y0 + f.h + 18, escape(label));
}

void y_tick(Writer& w, const Frame& f, double py, std::string_view label, bool right, bool grid) {
  if (grid) w("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", f.x0, py, f.x0 + f.w, py);
  if (right) {
    w("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"start\">{}</text>\n", f.x0 + f.w + 6, py + 4, escape(label));
  } else {
    w("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", f.x0 - 6, py + 4, escape(label));
  }
}

void axis_label_x(Writer& w, const Frame& f, std::string_view label) {
  w("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n", f.x0 + f.w / 2,
    f.y0 + f.h + 42, escape(label));
}

void axis_label_y(Writer& w, const Frame& f, std::string_view label, bool right) {
  const double x = right ? f.x0 + f.w + 70 : f.x0 - 62;
  const double y = f.y0 + f.h / 2;
  w("<text x=\"{0:.1f}\" y=\"{1:.1f}\" text-anchor=\"middle\" font-weight=\"bold\" "
    "transform=\"rotate(-90 {0:.1f} {1:.1f})\">{2}</text>\n",
    x, y, escape(label));
}

void legend(Writer& w, const Frame& f, const std::vector<std::pair<std::string, std::string_view>>& entries,
            bool dashed_second) {
  double y = f.y0 + 16;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const bool dashed = dashed_second && i == 1;
    w("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
      f.x0 + 12, y - 4, f.x0 + 36, y - 4, entries[i].second, dashed ? " stroke-dasharray=\"6 4\"" : "");
    w("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", f.x0 + 42, y, escape(entries[i].first));
    y += 18;
  }
}

std::string ms_label(double ms) { return fmt::format("{:g} ms", ms); }

void latency_panel(Writer& w, const Frame& f, std::span<const LatencySeries> series, bool log_axis) {
  std::vector<const LatencySeries*> shown;
  for (const LatencySeries& s : series) {
    if (s.histogram != nullptr && !s.histogram->empty()) shown.push_back(&s);
  }
  axis_box(w, f);
  static constexpr std::array<std::string_view, 6> kNineLabels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
  for (int i = 0; i <= 5; ++i) x_tick(w, f, f.x0 + f.w * i / kNines, kNineLabels[static_cast<std::size_t>(i)]);
  axis_label_x(w, f, "Percentile");
  axis_label_y(w, f, "Latency (ms)", false);
  if (shown.empty()) {
    w("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">no latency recorded</text>\n", f.x0 + f.w / 2,
      f.y0 + f.h / 2);
    return;
  }

  // Sample every series along the x axis first, so the y range covers them all.
  std::vector<std::vector<std::pair<double, double>>> points(shown.size());  // (nines, ms)
  double lo = INFINITY, hi = 0;
  for (std::size_t s = 0; s < shown.size(); ++s) {
    for (int k = 0; k <= kPointsPerSeries; ++k) {
      const double x = kNines * k / kPointsPerSeries;
      const double p = 100.0 * (1.0 - std::pow(10.0, -x));
      const double ms = static_cast<double>(shown[s]->histogram->value_at_percentile(p)) / 1e6;
      points[s].emplace_back(x, ms);
      if (ms > 0) lo = std::min(lo, ms);
      hi = std::max(hi, ms);
    }
  }
  double y_min = 0, y_max = nice_ceiling(hi * 1.1);
  if (log_axis) {
    if (!(lo < INFINITY)) lo = 1e-3;
    y_min = std::pow(10.0, std::floor(std::log10(lo)));
    y_max = std::pow(10.0, std::ceil(std::log10(std::max(hi, lo))));
    if (y_max <= y_min) y_max = y_min * 10;
  }
  auto to_py = [&](double ms) {
    double t = 0;
    if (log_axis) {
      t = (std::log10(std::max(ms, y_min)) - std::log10(y_min)) / (std::log10(y_max) - std::log10(y_min));
    } else {
      t = ms / y_max;
    }
    return f.y0 + f.h * (1.0 - std::clamp(t, 0.0, 1.0));
  };
  if (log_axis) {
    for (double v = y_min; v <= y_max * 1.0001; v *= 10) y_tick(w, f, to_py(v), ms_label(v), false, true);
  } else {
    for (int i = 0; i <= 5; ++i) y_tick(w, f, to_py(y_max * i / 5), ms_label(y_max * i / 5), false, true);
  }
  std::vector<std::pair<std::string, std::string_view>> entries;
  for (std::size_t s = 0; s < shown.size(); ++s) {
    const std::string_view color = kColors[s % kColors.size()];
    w("<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"",
      escape(shown[s]->name), color);
    for (const auto& [x, ms] : points[s]) w("{:.1f},{:.1f} ", f.x0 + f.w * x / kNines, to_py(ms));
    w("\"/>\n");
    entries.emplace_back(fmt::format("{} (max {:.3f} ms, n={})", shown[s]->name,
                                     static_cast<double>(shown[s]->histogram->max()) / 1e6,
                                     shown[s]->histogram->count()),
                         color);
  }
  legend(w, f, entries, false);
}

void timeline_panel(Writer& w, const Frame& f, std::span<const IntervalStats> timeline) {
  axis_box(w, f);
  const IntervalStats& last = timeline.back();
  const double t_end = std::max(static_cast<double>(last.start_ns + last.length_ns) / 1e9, 1e-9);
  double tps_max = 0, p99_max = 0;
  for (const IntervalStats& row : timeline) {
    tps_max = std::max(tps_max, row.tps());
    p99_max = std::max(p99_max, static_cast<double>(row.p99_ns) / 1e6);
  }
  // Headroom, so the lines stay clear of the legend in the top-left corner.
  tps_max = nice_ceiling(tps_max * 1.25);
  p99_max = nice_ceiling(p99_max * 1.25);
  const double t_step = nice_ceiling(t_end / 8);
  for (double t = 0; t <= t_end * 1.0001; t += t_step) x_tick(w, f, f.x0 + f.w * t / t_end, fmt::format("{:g}", t));
  for (int i = 0; i <= 5; ++i) {
    const double py = f.y0 + f.h * (1.0 - i / 5.0);
    y_tick(w, f, py, fmt::format("{:g}", tps_max * i / 5), false, true);
    y_tick(w, f, py, ms_label(p99_max * i / 5), true, false);
  }
  axis_label_x(w, f, "Time (s)");
  axis_label_y(w, f, "Throughput (tx/s)", false);
  axis_label_y(w, f, "p99 latency (ms)", true);
  auto px = [&](const IntervalStats& row) {
    return f.x0 + f.w * (static_cast<double>(row.start_ns) + static_cast<double>(row.length_ns) / 2) / 1e9 / t_end;
  };
  w("<polyline class=\"series\" data-series=\"throughput\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"",
    kColors[0]);
  for (const IntervalStats& row : timeline) w("{:.1f},{:.1f} ", px(row), f.y0 + f.h * (1.0 - row.tps() / tps_max));
  w("\"/>\n");
  w("<polyline class=\"series\" data-series=\"p99\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
    "stroke-dasharray=\"6 4\" points=\"",
    kColors[1]);
  for (const IntervalStats& row : timeline) {
    w("{:.1f},{:.1f} ", px(row), f.y0 + f.h * (1.0 - static_cast<double>(row.p99_ns) / 1e6 / p99_max));
  }
  w("\"/>\n");
  legend(w, f, {{"throughput (tx/s)", kColors[0]}, {"p99 latency (ms)", kColors[1]}}, true);
}

}  // namespace

std::string write_latency_svg(std::span<const LatencySeries> series, std::span<const IntervalStats> timeline,
                              const SvgPlotOptions& options) {
  const int width = std::max(options.width, 400);
  const bool with_timeline = !timeline.empty();
  const int height = kTop + kPanel1Height + (with_timeline ? kGap + kPanel2Height : 0) + kBottom;
  std::string out;
  Writer w(out);
  w("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  w("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
    "font-family=\"sans-serif\" font-size=\"12\">\n",
    width, height);
  w("<title>{}</title>\n", escape(options.title));
  w("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", width, height);
  w("<text x=\"{:.1f}\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">{}</text>\n",
    width / 2.0, escape(options.title));
  const Frame panel1{kLeft, kTop, static_cast<double>(width - kLeft - kRight), kPanel1Height};
  w("<g class=\"panel\" data-panel=\"latency-by-percentile\">\n");
  latency_panel(w, panel1, series, options.log_latency_axis);
  w("</g>\n");
  if (with_timeline) {
    const Frame panel2{kLeft, kTop + kPanel1Height + kGap, static_cast<double>(width - kLeft - kRight),
                       kPanel2Height};
    w("<g class=\"panel\" data-panel=\"over-time\">\n");
    timeline_panel(w, panel2, timeline);
    w("</g>\n");
  }
  w("</svg>\n");
  return out;
}

}  // namespace pgstream::bench
