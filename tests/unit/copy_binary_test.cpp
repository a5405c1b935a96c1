// Binary COPY: header, tuples and trailer byte-exact (layout from the COPY reference page, "Binary
// Format"), and CopyDataFrame filling fixed buffers with whole tuples only.

#include "pgstream/protocol/copy_binary.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/protocol/frontend.hpp"

namespace {

struct TestInt {
  std::int32_t v;
};
struct TestText {
  std::string_view v;
};
struct TestNullableInt {
  std::optional<std::int32_t> v;
};
struct TestHuge {
  std::size_t size;
};

}  // namespace

namespace pgstream::protocol {
template <>
struct Bindable<TestInt> {
  static constexpr Oid oid = 23;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const TestInt& x) {
    put_i32(s, x.v);
  }
};
template <>
struct Bindable<TestText> {
  static constexpr Oid oid = 25;
  static constexpr Format format = Format::binary;  // text's binary form is its bytes
  template <ByteSink S>
  static void encode(S& s, const TestText& x) {
    put_string(s, x.v);
  }
};
template <>
struct Bindable<TestNullableInt> {
  static constexpr Oid oid = 23;
  static constexpr Format format = Format::binary;
  static bool is_null(const TestNullableInt& x) noexcept { return !x.v; }
  template <ByteSink S>
  static void encode(S& s, const TestNullableInt& x) {
    put_i32(s, *x.v);
  }
};
template <>
struct Bindable<TestHuge> {
  static constexpr Oid oid = 17;
  static constexpr Format format = Format::binary;
  template <ByteSink S>
  static void encode(S& s, const TestHuge& x) {
    static constexpr char chunk[64] = {};
    std::size_t left = x.size;
    while (left > 0) {
      const std::size_t n = left < (std::size_t{1} << 30) ? left : (std::size_t{1} << 30);
      s.append(chunk, n);
      left -= n;
    }
  }
};
}  // namespace pgstream::protocol

namespace {

namespace pp = pgstream::protocol;
using pgstream::ErrorCategory;
using pp::CopyDataFrame;
using pp::SpanSink;

std::string hex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

std::string written(const SpanSink& sink) {
  return std::string(reinterpret_cast<const char*>(sink.data()), sink.size());
}

// Concatenates the payloads of a run of CopyData messages, checking each frame's length.
std::string copy_payloads(std::string_view messages) {
  std::string out;
  while (!messages.empty()) {
    EXPECT_GE(messages.size(), 5u);
    EXPECT_EQ(messages[0], 'd');
    const auto* p = reinterpret_cast<const unsigned char*>(messages.data());
    const std::size_t length =
        (std::size_t{p[1]} << 24) | (std::size_t{p[2]} << 16) | (std::size_t{p[3]} << 8) | p[4];
    EXPECT_GE(length, 4u);
    EXPECT_LE(1 + length, messages.size());
    if (length < 4 || 1 + length > messages.size()) return out;
    out.append(messages.substr(5, length - 4));
    messages.remove_prefix(1 + length);
  }
  return out;
}

// Counts bytes and stores only the first 64 of each append, over 4 GiB of address space reserved
// without memory behind it: back-patches anywhere land on a page that is only then committed.
// Lets a test reach the 2 GiB protocol limits cheaply.
class CountingSink {
 public:
  using value_type = char;
  CountingSink() {
    void* p = ::mmap(nullptr, kSpan, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of 4 GiB address space failed");
    base_ = static_cast<char*>(p);
  }
  CountingSink(const CountingSink&) = delete;
  CountingSink& operator=(const CountingSink&) = delete;
  ~CountingSink() { ::munmap(base_, kSpan); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] char* data() noexcept { return base_; }
  void append(const char* p, std::size_t n) {
    std::memcpy(base_ + size_, p, n < 64 ? n : 64);
    size_ += n;
  }
  void resize(std::size_t n) { size_ = n; }

 private:
  static constexpr std::size_t kSpan = std::size_t{1} << 32;
  char* base_ = nullptr;
  std::size_t size_ = 0;
};

const std::string kHeader = hex("50 47 43 4f 50 59 0a ff 0d 0a 00  00 00 00 00  00 00 00 00");
const std::string kTuple = hex("00 03  00 00 00 04 00 00 00 01  00 00 00 02 68 69  ff ff ff ff");
const std::string kTrailer = hex("ff ff");

TEST(CopyBinary, HeaderAndTrailerBytes) {
  std::string buf;
  pp::copy_binary_header(buf);
  pp::copy_binary_trailer(buf);
  EXPECT_EQ(buf, kHeader + kTrailer);
  EXPECT_EQ(kHeader.size(), 19u);
}

TEST(CopyBinary, TypedTupleWithNull) {
  std::string buf;
  ASSERT_TRUE(pp::copy_tuple(buf, TestInt{1}, TestText{"hi"}, TestNullableInt{}));
  EXPECT_EQ(buf, kTuple);
}

TEST(CopyBinary, EncodedTupleMatchesTypedTuple) {
  std::string buf;
  const std::string one = hex("00 00 00 01");
  const std::vector<pp::EncodedValue> fields = {pp::bytes_of(one), pp::bytes_of("hi"),
                                                std::nullopt};
  ASSERT_TRUE(pp::copy_tuple_encoded(buf, fields));
  EXPECT_EQ(buf, kTuple);
}

TEST(CopyBinary, TupleWithoutFields) {
  std::string buf;
  ASSERT_TRUE(pp::copy_tuple(buf));
  ASSERT_TRUE(pp::copy_tuple_encoded(buf, {}));
  EXPECT_EQ(buf, hex("00 00 00 00"));
}

TEST(CopyBinary, EncodedTupleRejectsMoreThan32767Fields) {
  std::string buf = "x";
  auto r = pp::copy_tuple_encoded(buf, std::vector<pp::EncodedValue>(32768, std::nullopt));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(),
            "COPY tuple: 32768 fields, more than the protocol's limit of 32767");
  EXPECT_EQ(buf, "x");
}

TEST(CopyBinary, FieldLongerThanInt32IsRejectedAndRolledBack) {
  CountingSink sink;
  sink.append("ab", 2);
  auto r = pp::copy_tuple(sink, TestInt{1}, TestHuge{std::size_t{1} << 31});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "COPY tuple: a field is longer than the protocol's limit of 2147483647 bytes");
  EXPECT_EQ(sink.size(), 2u);
}

TEST(CopyBinary, RawTupleThatOverflowsASpanSinkIsDropped) {
  std::array<std::byte, 30> region{};
  SpanSink sink(region);
  ASSERT_TRUE(pp::copy_tuple(sink, TestInt{1}, TestText{"hi"}, TestNullableInt{}));  // 20 bytes
  ASSERT_TRUE(pp::copy_tuple(sink, TestInt{1}, TestText{"hi"}, TestNullableInt{}));  // does not fit
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(written(sink), kTuple);
}

// ---------------------------------------------------------------- CopyDataFrame

TEST(CopyDataFrame, HeaderTupleTrailerInOneMessage) {
  std::string buf;
  {
    CopyDataFrame frame(buf);
    ASSERT_TRUE(frame.header());
    auto fit = frame.tuple(TestInt{1}, TestText{"hi"}, TestNullableInt{});
    ASSERT_TRUE(fit);
    EXPECT_TRUE(*fit);
    ASSERT_TRUE(frame.trailer());
    EXPECT_EQ(frame.tuples(), 1u);
    EXPECT_EQ(frame.payload_size(), 41u);
  }
  EXPECT_EQ(buf, hex("64 00 00 00 2d") + kHeader + kTuple + kTrailer);
}

TEST(CopyDataFrame, FinishIsIdempotentAndAnEmptyFrameIsRemoved) {
  std::string buf = "s";
  {
    CopyDataFrame frame(buf);
    frame.finish();
    EXPECT_FALSE(frame.is_open());
  }
  EXPECT_EQ(buf, "s");

  CopyDataFrame frame(buf);
  ASSERT_TRUE(frame.tuple_encoded({pp::bytes_of("z")}).value());
  frame.finish();
  frame.finish();
  EXPECT_EQ(buf, "s" + hex("64 00 00 00 0b  00 01 00 00 00 01 7a"));
  EXPECT_FALSE(frame.tuple(TestInt{1}).value());  // a finished frame takes nothing more
}

TEST(CopyDataFrame, FillsASpanSinkWithWholeTuplesOnly) {
  std::array<std::byte, 100> region{};
  SpanSink sink(region);
  CopyDataFrame frame(sink);
  ASSERT_TRUE(frame.header());
  std::size_t written_tuples = 0;
  for (;;) {
    auto fit = frame.tuple(TestInt{1}, TestText{"hi"}, TestNullableInt{});
    ASSERT_TRUE(fit);
    if (!*fit) break;
    ++written_tuples;
  }
  // 5 (CopyData head) + 19 (COPY header) + 3 * 20 = 84; a fourth tuple would need 104.
  EXPECT_EQ(written_tuples, 3u);
  EXPECT_FALSE(sink.overflowed());
  EXPECT_TRUE(frame.trailer());  // the 2-byte trailer still fits
  frame.finish();
  EXPECT_EQ(written(sink), hex("64 00 00 00 55") + kHeader + kTuple + kTuple + kTuple + kTrailer);
}

// Streams rows through buffers of every size from "one tuple" up: whatever the split, the payloads
// reassemble to exactly the raw COPY stream.
TEST(CopyDataFrame, ReassemblesToTheRawStreamAtEveryBufferSize) {
  constexpr int rows = 40;
  std::string raw;
  pp::copy_binary_header(raw);
  for (int i = 0; i < rows; ++i) {
    ASSERT_TRUE(pp::copy_tuple(
        raw, TestInt{i}, TestText{std::string_view("abcdefgh", static_cast<std::size_t>(i % 9))},
        TestNullableInt{i % 3 == 0 ? std::nullopt : std::optional<std::int32_t>(i)}));
  }
  pp::copy_binary_trailer(raw);

  for (std::size_t capacity = 5 + 30; capacity <= 400;
       ++capacity) {  // the widest tuple is 30 bytes
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    std::vector<std::byte> region(capacity);
    SpanSink sink(region);
    std::string sent;
    bool header_done = false;
    bool trailer_done = false;
    int next = 0;
    int rounds = 0;
    while (!trailer_done) {
      ASSERT_LT(++rounds, 1000) << "no progress";
      sink.clear();
      {
        CopyDataFrame frame(sink);
        if (!header_done) header_done = frame.header();
        while (header_done && next < rows) {
          const int i = next;
          auto fit = frame.tuple(
              TestInt{i}, TestText{std::string_view("abcdefgh", static_cast<std::size_t>(i % 9))},
              TestNullableInt{i % 3 == 0 ? std::nullopt : std::optional<std::int32_t>(i)});
          ASSERT_TRUE(fit) << fit.error().message();
          if (!*fit) break;
          ++next;
        }
        if (next == rows) trailer_done = frame.trailer();
      }
      EXPECT_FALSE(sink.overflowed());
      sent += written(sink);
    }
    EXPECT_EQ(copy_payloads(sent), raw);
  }
}

TEST(CopyDataFrame, TupleLargerThanAnEmptyBufferIsAnError) {
  std::array<std::byte, 20> region{};
  SpanSink sink(region);
  CopyDataFrame frame(sink);
  auto r = frame.tuple(TestInt{1}, TestText{"hi"}, TestNullableInt{});  // 5 + 20 > 20
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), ErrorCategory::encode);
  EXPECT_EQ(r.error().message(),
            "COPY tuple: does not fit even in an empty 20-byte send buffer; use a larger buffer "
            "for rows this wide");
  EXPECT_EQ(frame.tuples(), 0u);
  frame.finish();
  EXPECT_EQ(sink.size(), 0u);
  EXPECT_FALSE(sink.overflowed());
}

TEST(CopyDataFrame, OnAnAlreadyOverflowedSinkTakesNothingAndKeepsTheFlag) {
  std::array<std::byte, 8> region{};
  SpanSink sink(region);
  pgstream::protocol::frontend::sync(sink);
  pgstream::protocol::frontend::sync(sink);  // dropped: the sink is now overflowed
  ASSERT_TRUE(sink.overflowed());
  {
    CopyDataFrame frame(sink);
    EXPECT_FALSE(frame.tuple(TestInt{1}).value());
    EXPECT_FALSE(frame.header());
  }
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.size(), 5u);
}

TEST(CopyDataFrame, StopsBeforeTheMessageOutgrowsAnInt32Length) {
  CountingSink sink;
  CopyDataFrame frame(sink);
  ASSERT_TRUE(frame.tuple(TestHuge{std::size_t{1} << 30}).value());
  auto second = frame.tuple(TestHuge{std::size_t{1} << 30});
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);  // full: send this frame, put the tuple into the next
  EXPECT_EQ(sink.size(), 5u + 6u + (std::size_t{1} << 30));
  frame.finish();
  EXPECT_EQ(std::string_view(sink.data(), 5), hex("64 40 00 00 0a"));
}

TEST(CopyDataFrame, TupleThatCanNeverFitOneMessageIsAnError) {
  CountingSink sink;
  CopyDataFrame frame(sink);
  auto r = frame.tuple(TestHuge{(std::size_t{1} << 31) - 5});
  ASSERT_FALSE(r);
  EXPECT_EQ(
      r.error().message(),
      "COPY tuple: 2147483649 bytes does not fit in one CopyData message (limit 2147483643 bytes)");
  EXPECT_EQ(sink.size(), 5u);
}

}  // namespace
