// Decoding a stream of DataRow frames: framing (next_frame), row validation (DataRow::parse) and
// walking every field, as a result-set reader does. Also compares FrameResult (a plain struct)
// with the std::expected<std::variant<...>> shape it was chosen over.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <variant>
#include <vector>

#include "pgstream/protocol/backend.hpp"

namespace {

using pgstream::protocol::DataRow;
using pgstream::protocol::FieldValue;
using pgstream::protocol::Frame;
using pgstream::protocol::FrameResult;
using pgstream::protocol::next_frame;

void put_i32(std::vector<std::byte>& out, std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::byte>((u >> shift) & 0xff));
}

// `rows` DataRow frames of 7 columns like a small table row (id, name, email, score, date, bool,
// NULL); value_size > 0 makes the five text columns that long instead.
std::vector<std::byte> make_stream(int rows, int value_size) {
  std::vector<std::byte> out;
  for (int r = 0; r < rows; ++r) {
    std::vector<std::string> values = {std::to_string(100000 + r), "someone", "someone@example.com", "9.5",
                                       "2024-01-31", "t"};
    if (value_size > 0) {
      for (std::size_t i = 1; i < 6; ++i) values[i] = std::string(static_cast<std::size_t>(value_size), 'x');
    }
    std::vector<std::byte> body;
    body.push_back(std::byte{0});
    body.push_back(std::byte{7});
    for (const std::string& v : values) {
      put_i32(body, static_cast<std::int32_t>(v.size()));
      for (char c : v) body.push_back(static_cast<std::byte>(c));
    }
    put_i32(body, -1);
    out.push_back(std::byte{'D'});
    put_i32(out, static_cast<std::int32_t>(body.size() + 4));
    out.insert(out.end(), body.begin(), body.end());
  }
  return out;
}

constexpr int kRows = 10000;

void BM_DecodeDataRows(benchmark::State& state) {
  const std::vector<std::byte> stream = make_stream(kRows, static_cast<int>(state.range(0)));
  const std::span<const std::byte> in(stream);
  for (auto _ : state) {
    std::size_t pos = 0;
    std::size_t total = 0;
    while (pos < in.size()) {
      const FrameResult r = next_frame(in.subspan(pos));
      if (!r.complete()) [[unlikely]] {
        state.SkipWithError("frame did not decode");
        return;
      }
      auto row = DataRow::parse(r.frame);
      if (!row) [[unlikely]] {
        state.SkipWithError("row did not parse");
        return;
      }
      for (FieldValue v : *row) total += v.size() + (v.is_null() ? 1 : 0);
      pos += r.consumed();
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
  state.counters["frame_bytes"] = static_cast<double>(stream.size()) / kRows;
}
BENCHMARK(BM_DecodeDataRows)->Arg(0)->Arg(64)->Arg(512);

void BM_NextFrameOnly(benchmark::State& state) {
  const std::vector<std::byte> stream = make_stream(kRows, 0);
  const std::span<const std::byte> in(stream);
  for (auto _ : state) {
    std::size_t pos = 0;
    std::size_t bodies = 0;
    while (pos < in.size()) {
      const FrameResult r = next_frame(in.subspan(pos));
      if (!r.complete()) [[unlikely]] break;
      bodies += r.frame.body.size();
      pos += r.consumed();
    }
    benchmark::DoNotOptimize(bodies);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_NextFrameOnly);

// ---- the alternative result shape, for comparison only ----

struct NeedMore {
  std::size_t needed;
};
using AltResult = std::expected<std::variant<Frame, NeedMore>, pgstream::Error>;

[[gnu::noinline]] AltResult next_frame_expected(std::span<const std::byte> in) {
  const FrameResult r = next_frame(in);
  if (r.status == pgstream::protocol::FrameStatus::error) [[unlikely]] return std::unexpected(r.to_error());
  if (r.status == pgstream::protocol::FrameStatus::need_more) return NeedMore{r.needed};
  return r.frame;
}

[[gnu::noinline]] FrameResult next_frame_struct(std::span<const std::byte> in) { return next_frame(in); }

void BM_NextFrameStructNoInline(benchmark::State& state) {
  const std::vector<std::byte> stream = make_stream(kRows, 0);
  const std::span<const std::byte> in(stream);
  for (auto _ : state) {
    std::size_t pos = 0;
    std::size_t bodies = 0;
    while (pos < in.size()) {
      const FrameResult r = next_frame_struct(in.subspan(pos));
      if (!r.complete()) [[unlikely]] break;
      bodies += r.frame.body.size();
      pos += r.consumed();
    }
    benchmark::DoNotOptimize(bodies);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_NextFrameStructNoInline);

void BM_NextFrameExpectedVariantNoInline(benchmark::State& state) {
  const std::vector<std::byte> stream = make_stream(kRows, 0);
  const std::span<const std::byte> in(stream);
  for (auto _ : state) {
    std::size_t pos = 0;
    std::size_t bodies = 0;
    while (pos < in.size()) {
      AltResult r = next_frame_expected(in.subspan(pos));
      if (!r) [[unlikely]] break;
      const Frame* f = std::get_if<Frame>(&*r);
      if (f == nullptr) [[unlikely]] break;
      bodies += f->body.size();
      pos += f->size();
    }
    benchmark::DoNotOptimize(bodies);
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_NextFrameExpectedVariantNoInline);

}  // namespace
