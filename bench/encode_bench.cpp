// Encoder throughput: Bind+Execute+Sync and a binary COPY tuple for one 7-column row
// (int4, int8, float8, ~20-byte text, bool, timestamp, NULL) into a reused buffer.
//
// Codecs here are bench-local stand-ins with the wire layout of the real ones, so the numbers
// measure the framing, not a particular codec.

#include <benchmark/benchmark.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/frontend.hpp"

namespace {

struct BenchInt4 {
  std::int32_t v;
};
struct BenchInt8 {
  std::int64_t v;
};
struct BenchFloat8 {
  double v;
};
struct BenchText {
  std::string_view v;
};
struct BenchBool {
  bool v;
};
struct BenchTimestamp {
  std::int64_t micros_since_2000;
};
struct BenchNullInt8 {
  std::optional<std::int64_t> v;
};

}  // namespace

namespace pgstream::protocol {
template <>
struct Bindable<BenchInt4> {
  static constexpr Oid oid = 23;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchInt4& x) {
    put_i32(s, x.v);
  }
};
template <>
struct Bindable<BenchInt8> {
  static constexpr Oid oid = 20;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchInt8& x) {
    put_i64(s, x.v);
  }
};
template <>
struct Bindable<BenchFloat8> {
  static constexpr Oid oid = 701;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchFloat8& x) {
    put_be(s, std::bit_cast<std::uint64_t>(x.v));
  }
};
template <>
struct Bindable<BenchText> {
  static constexpr Oid oid = 25;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchText& x) {
    put_string(s, x.v);
  }
};
template <>
struct Bindable<BenchBool> {
  static constexpr Oid oid = 16;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchBool& x) {
    put_u8(s, x.v ? 1 : 0);
  }
};
template <>
struct Bindable<BenchTimestamp> {
  static constexpr Oid oid = 1114;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const BenchTimestamp& x) {
    put_i64(s, x.micros_since_2000);
  }
};
template <>
struct Bindable<BenchNullInt8> {
  static constexpr Oid oid = 20;
  static constexpr Format format = Format::binary;
  static bool is_null(const BenchNullInt8& x) noexcept { return !x.v; }
  template <ByteSink S>
  static void encode(S& s, const BenchNullInt8& x) {
    put_i64(s, *x.v);
  }
};
}  // namespace pgstream::protocol

namespace {

namespace pp = pgstream::protocol;
namespace fe = pgstream::protocol::frontend;

struct Row {
  BenchInt4 id{42};
  BenchInt8 big{9'000'000'000};
  BenchFloat8 price{19.99};
  BenchText name{"alice.smith@example"};  // 19 bytes
  BenchBool active{true};
  BenchTimestamp created{788'918'400'000'000};
  BenchNullInt8 parent{};
};

constexpr std::size_t kBatchBytes = 64 * 1024;  // a send area's worth, then "sent" and reused

template <class S>
bool encode_bind_execute_sync(S& sink, const Row& r) {
  const pp::Format results[] = {pp::Format::binary};
  auto ok = fe::bind(sink, "", "insert_row", results, r.id, r.big, r.price, r.name, r.active,
                     r.created, r.parent);
  auto ok2 = fe::execute(sink);
  fe::sync(sink);
  return ok.has_value() && ok2.has_value();
}

void BM_BindExecuteSync_String(benchmark::State& state) {
  std::string buf;
  buf.reserve(kBatchBytes + 1024);
  Row row;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::size_t before = buf.size();
    if (!encode_bind_execute_sync(buf, row)) state.SkipWithError("encode failed");
    bytes += buf.size() - before;
    if (buf.size() >= kBatchBytes) buf.clear();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BindExecuteSync_String);

void BM_BindExecuteSync_SpanSink(benchmark::State& state) {
  std::vector<std::byte> region(kBatchBytes);
  pp::SpanSink sink(region);
  Row row;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::size_t before = sink.size();
    if (!encode_bind_execute_sync(sink, row)) state.SkipWithError("encode failed");
    if (sink.overflowed()) {
      sink.clear();  // the batch went out; this round trip is re-encoded into the fresh area
      (void)encode_bind_execute_sync(sink, row);
      bytes += sink.size();
    } else {
      bytes += sink.size() - before;
    }
    benchmark::DoNotOptimize(sink.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BindExecuteSync_SpanSink);

void BM_BindExecuteSync_Writer(benchmark::State& state) {
  std::string buf;
  buf.reserve(kBatchBytes + 1024);
  pp::FrontendWriter w(buf);
  Row r;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::size_t before = buf.size();
    auto done = w.bind("", "insert_row")
                    .result_format(pp::Format::binary)
                    .finish(r.id, r.big, r.price, r.name, r.active, r.created, r.parent)
                    .execute()
                    .sync();
    if (!done.ok()) state.SkipWithError("encode failed");
    bytes += buf.size() - before;
    if (buf.size() >= kBatchBytes) buf.clear();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BindExecuteSync_Writer);

void BM_CopyTuple_String(benchmark::State& state) {
  std::string buf;
  buf.reserve(kBatchBytes + 1024);
  Row r;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::size_t before = buf.size();
    auto ok = pp::copy_tuple(buf, r.id, r.big, r.price, r.name, r.active, r.created, r.parent);
    if (!ok) state.SkipWithError("encode failed");
    bytes += buf.size() - before;
    if (buf.size() >= kBatchBytes) buf.clear();
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyTuple_String);

// The load path: tuples straight into CopyData frames in a fixed send area, a new frame when full.
void BM_CopyTuple_FrameInSpanSink(benchmark::State& state) {
  std::vector<std::byte> region(kBatchBytes);
  pp::SpanSink sink(region);
  Row r;
  std::size_t bytes = 0;
  std::optional<pp::CopyDataFrame<pp::SpanSink>> frame;
  frame.emplace(sink);
  for (auto _ : state) {
    auto fit = frame->tuple(r.id, r.big, r.price, r.name, r.active, r.created, r.parent);
    if (!fit) state.SkipWithError("encode failed");
    if (!*fit) {
      frame.reset();  // finish: patch the length
      bytes += sink.size();
      benchmark::DoNotOptimize(sink.data());
      sink.clear();
      frame.emplace(sink);
      (void)frame->tuple(r.id, r.big, r.price, r.name, r.active, r.created, r.parent);
    }
  }
  frame.reset();
  bytes += sink.size();
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyTuple_FrameInSpanSink);

}  // namespace
