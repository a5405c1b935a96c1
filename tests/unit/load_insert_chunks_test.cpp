// The pieces of `pgstream load --mode insert` that need no server: the key hash that routes rows
// of one key to one connection, and the chunking of a batch into messages that fit a send buffer
// (every row sent exactly once, Parse only when asked, the rows to blame for a failed chunk).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "load/insert_chunks.hpp"
#include "pgstream/load/insert_batch.hpp"

namespace pgstream::load {
namespace {

std::string be32(std::int32_t v) {
  const auto u = static_cast<std::uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
}

// A binary COPY tuple.
std::string tuple(const std::vector<std::optional<std::string>>& fields) {
  std::string t;
  t += static_cast<char>(fields.size() >> 8);
  t += static_cast<char>(fields.size() & 0xff);
  for (const auto& f : fields) {
    if (!f) {
      t += be32(-1);
      continue;
    }
    t += be32(static_cast<std::int32_t>(f->size()));
    t += *f;
  }
  return t;
}

TEST(TupleKeyHash, EqualKeysHashEquallyWhateverTheOtherFields) {
  const std::array<std::size_t, 1> key{1};
  const auto a = tuple_key_hash(tuple({"x", "key-1", "a"}), CopyFormat::binary, key);
  const auto b = tuple_key_hash(tuple({"y", "key-1", std::nullopt}), CopyFormat::binary, key);
  const auto c = tuple_key_hash(tuple({"x", "key-2", "a"}), CopyFormat::binary, key);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(tuple_key_hash("x\tkey-1\ta\n", CopyFormat::text, key), tuple_key_hash("zz\tkey-1\t\\N\n", CopyFormat::text, key));
  EXPECT_NE(tuple_key_hash("x\tkey-1\ta\n", CopyFormat::text, key), tuple_key_hash("x\tkey-2\ta\n", CopyFormat::text, key));
}

TEST(TupleKeyHash, TwoColumnKeysKeepTheirFieldsApart) {
  const std::array<std::size_t, 2> key{0, 1};
  EXPECT_NE(tuple_key_hash(tuple({"ab", "c"}), CopyFormat::binary, key), tuple_key_hash(tuple({"a", "bc"}), CopyFormat::binary, key));
}

TEST(TupleKeyHash, NullKeysAndBrokenTuplesHaveNoHash) {
  const std::array<std::size_t, 1> key{0};
  EXPECT_FALSE(tuple_key_hash(tuple({std::nullopt, "v"}), CopyFormat::binary, key));
  EXPECT_FALSE(tuple_key_hash("\\N\tv\n", CopyFormat::text, key));
  EXPECT_FALSE(tuple_key_hash(tuple({"abc"}).substr(0, 5), CopyFormat::binary, key));  // truncated
  EXPECT_FALSE(tuple_key_hash("no newline", CopyFormat::text, key));
  const std::array<std::size_t, 1> beyond{5};
  EXPECT_FALSE(tuple_key_hash(tuple({"a", "b"}), CopyFormat::binary, beyond));
  EXPECT_FALSE(tuple_key_hash(tuple({"a"}), CopyFormat::binary, {}));
}

InsertStatement statement(InsertShape shape) {
  InsertStatement s;
  s.sql = "INSERT INTO t (id, v) SELECT * FROM unnest($1::int8[], $2::text[])";
  s.shape = shape;
  s.mode = InsertMode::update;
  s.format = CopyFormat::binary;
  s.columns = {0, 1};
  s.element_oids = {20, 25};
  s.key_positions = {0};
  return s;
}

std::uint32_t read32(const std::byte* p) {
  std::uint32_t u;
  std::memcpy(&u, p, 4);
  return __builtin_bswap32(u);
}

struct Sent {
  int parses = 0, binds = 0, syncs = 0;
  std::size_t rows = 0;  // array elements (unnest) or Binds (values)
};

// Walks the messages in `bytes`.
Sent decode(std::span<const std::byte> bytes, InsertShape shape) {
  Sent s;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const char type = static_cast<char>(bytes[at]);
    const std::size_t len = read32(bytes.data() + at + 1);
    const std::byte* body = bytes.data() + at + 5;
    if (type == 'P') ++s.parses;
    if (type == 'S') ++s.syncs;
    if (type == 'B') {
      ++s.binds;
      if (shape == InsertShape::values) {
        ++s.rows;
      } else {
        std::size_t p = 0;
        while (body[p] != std::byte{0}) ++p;  // portal
        ++p;
        while (body[p] != std::byte{0}) ++p;  // statement
        ++p;
        p += 2 + 2 + 2;  // format count, format, parameter count
        p += 4 + 4 + 4 + 4;  // array length, ndim, has-null, element oid
        s.rows += read32(body + p);
      }
    }
    at += 1 + len;
  }
  return s;
}

class InsertChunksShapes : public ::testing::TestWithParam<InsertShape> {};

TEST_P(InsertChunksShapes, EveryRowGoesOnceInChunksThatFitTheSink) {
  const InsertStatement st = statement(GetParam());
  InsertChunks chunks;
  chunks.reset(st);
  constexpr int rows = 500;
  for (int i = 0; i < rows; ++i) {
    std::string id(8, '\0');
    id[7] = static_cast<char>(i & 0xff);
    id[6] = static_cast<char>(i >> 8);
    ASSERT_TRUE(chunks.add_row(tuple({id, std::string(static_cast<std::size_t>(i % 97), 'v')})));
  }
  std::vector<std::byte> area(4096);
  Sent total;
  int sinks = 0;
  bool parse = true;
  while (!chunks.all_sent()) {
    protocol::SpanSink sink(area);
    for (;;) {
      auto w = chunks.write_next(sink, "s1", parse);
      ASSERT_TRUE(w) << w.error().to_string();
      if (*w != InsertChunks::Write::wrote) break;
      parse = false;
    }
    ASSERT_GT(sink.size(), 0u) << "a row did not fit an empty sink";
    ASSERT_FALSE(sink.overflowed());
    const Sent s = decode(std::span(area).first(sink.size()), GetParam());
    total.parses += s.parses;
    total.binds += s.binds;
    total.syncs += s.syncs;
    total.rows += s.rows;
    ++sinks;
  }
  EXPECT_GT(sinks, 3);  // the batch needed several buffers
  EXPECT_EQ(total.parses, 1);
  EXPECT_EQ(total.rows, static_cast<std::size_t>(rows));
  EXPECT_GE(total.syncs, sinks);
}

INSTANTIATE_TEST_SUITE_P(Shapes, InsertChunksShapes, ::testing::Values(InsertShape::unnest, InsertShape::values),
                         [](const auto& p) { return p.param == InsertShape::values ? "Values" : "Unnest"; });

// Frames as the reactor hands them over.
struct FrameBytes {
  std::string bytes;
  protocol::Frame frame() const {
    protocol::Frame f;
    f.type = bytes[0];
    f.length = static_cast<std::int32_t>(bytes.size() - 1);
    f.body = std::as_bytes(std::span(bytes)).subspan(5);
    return f;
  }
};
FrameBytes message(char type, const std::string& body) {
  return {std::string(1, type) + be32(static_cast<std::int32_t>(body.size() + 4)) + body};
}

TEST(InsertChunks, AFailedChunkBlamesItsRowsInAddOrderAfterDedupe) {
  const InsertStatement st = statement(InsertShape::unnest);
  InsertChunks chunks;
  chunks.reset(st);
  // Rows 0..9, key of row 3 repeated by row 4 (row 3 superseded).
  for (int i = 0; i < 10; ++i) {
    const std::string id = std::string(7, '\0') + static_cast<char>(i == 4 ? 3 : i);
    ASSERT_TRUE(chunks.add_row(tuple({id, std::string(200, 'x')})));
  }
  EXPECT_EQ(chunks.dedupe(), 1u);
  std::vector<std::byte> area(InsertChunks::chunk_overhead(st, 2) + 4 * (tuple({std::string(8, 0), std::string(200, 0)}).size() + InsertChunks::row_overhead(2, 2)));
  int sent = 0;
  while (!chunks.all_sent()) {
    protocol::SpanSink sink(area);
    while (true) {
      auto w = chunks.write_next(sink, "s1", sent == 0);
      ASSERT_TRUE(w);
      if (*w != InsertChunks::Write::wrote) break;
      ++sent;
    }
  }
  ASSERT_GE(sent, 2);
  // The first chunk (batch rows 0..3 = add order 0, 1, 2, 4) succeeds, the second fails.
  const auto counts = message('D', std::string("\0\2", 2) + be32(1) + "3" + be32(1) + "4");
  ASSERT_TRUE(chunks.on_frame(counts.frame()));
  chunks.on_complete(true);
  EXPECT_EQ(chunks.counts().inserted, 3u);
  EXPECT_EQ(chunks.counts().updated, 1u);
  const auto error = message('E', std::string("SERROR") + '\0' + "C23505" + '\0' + "Mdup" + '\0' + '\0');
  ASSERT_TRUE(chunks.on_frame(error.frame()));
  chunks.on_complete(false);
  ASSERT_TRUE(chunks.blame());
  EXPECT_EQ(chunks.blame()->first, 5u);  // batch row 4 is the fifth row added (row 3 was dropped)
  EXPECT_GT(chunks.blame()->second, 5u);
}

TEST(InsertChunks, TheValuesFormBlamesTheOneRowWhoseExecuteFailed) {
  const InsertStatement st = statement(InsertShape::values);
  InsertChunks chunks;
  chunks.reset(st);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(chunks.add_row(tuple({std::string(7, '\0') + static_cast<char>(i), "v"})));
  std::vector<std::byte> area(1 << 16);
  protocol::SpanSink sink(area);
  auto w = chunks.write_next(sink, "s1", true);
  ASSERT_TRUE(w && *w == InsertChunks::Write::wrote);
  ASSERT_TRUE(chunks.all_sent());
  ASSERT_TRUE(chunks.on_frame(message('1', "").frame()));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(chunks.on_frame(message('D', std::string("\0\1", 2) + be32(1) + "t").frame()));
    ASSERT_TRUE(chunks.on_frame(message('C', std::string("INSERT 0 1") + '\0').frame()));
  }
  ASSERT_TRUE(chunks.on_frame(message('E', std::string("SERROR") + '\0' + "C22001" + '\0' + '\0').frame()));
  chunks.on_complete(false);
  EXPECT_TRUE(chunks.parse_confirmed());
  ASSERT_TRUE(chunks.blame());
  EXPECT_EQ(*chunks.blame(), std::make_pair(std::size_t{2}, std::size_t{3}));
}

}  // namespace
}  // namespace pgstream::load
