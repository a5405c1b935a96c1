// InputReader tells plain, gzip and zstd input by its first bytes, from files of any name and from
// pipes, and names a damaged stream instead of returning part of it as if it were whole.
#include "pgstream/load/input_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace pgstream::load {
namespace {

namespace fs = std::filesystem;

std::string gzip_bytes(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd_bytes(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "{\"id\":" + std::to_string(i) + ",\"v\":\"line " + std::to_string(i) + "\"}\n";
  return s;
}

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& bytes, const std::string& name = "input") {
    path = fs::temp_directory_path() /
           ("pgstream-input-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + name);
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~TempFile() { fs::remove(path); }
};

// Everything the reader gives, in reads of `chunk` bytes; the error message if it fails.
Result<std::string> read_all(const std::string& path, std::size_t chunk = 4096) {
  auto r = InputReader::open(path);
  if (!r) return std::unexpected(r.error());
  std::string all, buf(chunk, '\0');
  for (;;) {
    auto n = r->read(buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return all;
    all.append(buf.data(), *n);
  }
}

// The bytes as a pipe delivers them (a few at a time), read through /dev/fd: what stdin is.
Result<std::string> read_through_pipe(const std::string& bytes) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    for (std::size_t at = 0; at < bytes.size();) {  // the magic arrives split over writes
      const std::size_t n = std::min<std::size_t>(at < 8 ? 1 : 65536, bytes.size() - at);
      const ssize_t w = ::write(fds[1], bytes.data() + at, n);
      if (w <= 0) break;
      at += static_cast<std::size_t>(w);
    }
    ::close(fds[1]);
  });
  auto all = read_all("/dev/fd/" + std::to_string(fds[0]));
  writer.join();
  ::close(fds[0]);
  return all;
}

TEST(InputReader, GzipIsToldByItsBytesNotItsName) {
  const std::string text = lines(20000);
  TempFile f(gzip_bytes(text), "no-extension");
  auto all = read_all(f.path.string());
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(*all, text);
}

TEST(InputReader, ZstdIsToldByItsBytesNotItsName) {
  const std::string text = lines(20000);
  TempFile f(zstd_bytes(text), "data.jsonl");
  auto all = read_all(f.path.string());
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(*all, text);
}

// pzstd writes a skippable frame before every frame: the input starts with that magic instead.
TEST(InputReader, ZstdStartingWithASkippableFrameIsZstd) {
  const std::string text = lines(3000);
  std::string skippable("\x5e\x2a\x4d\x18\x03\x00\x00\x00" "abc", 11);
  TempFile f(skippable + zstd_bytes(text));
  auto all = read_all(f.path.string());
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(*all, text);
}

TEST(InputReader, CompressedStreamsOnAPipeAreDecompressed) {
  const std::string text = lines(5000);
  for (const auto& bytes : {gzip_bytes(text), zstd_bytes(text), text}) {
    auto all = read_through_pipe(bytes);
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(*all, text);
  }
}

TEST(InputReader, PlainInputShorterThanAMagicIsReadWhole) {
  for (std::string text : {"", "{", "{}\n", "\x1f"}) {
    TempFile f(text);
    auto all = read_all(f.path.string(), 1);
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(*all, text);
  }
}

TEST(InputReader, ConcatenatedGzipMembersReadAsOneStream) {
  const std::string a = lines(100), b = lines(3000);
  TempFile f(gzip_bytes(a) + gzip_bytes(b));
  auto all = read_all(f.path.string(), 1000);
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(*all, a + b);
}

TEST(InputReader, TruncatedGzipIsAnErrorNamingTheFile) {
  const std::string gz = gzip_bytes(lines(20000));
  TempFile f(gz.substr(0, gz.size() / 2));
  auto all = read_all(f.path.string());
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find("truncated"), std::string::npos) << all.error().message();
  EXPECT_NE(all.error().message().find(f.path.string()), std::string::npos) << all.error().message();
}

TEST(InputReader, CorruptGzipIsAnError) {
  std::string gz = gzip_bytes(lines(20000));
  for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  TempFile f(gz);
  auto all = read_all(f.path.string());
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find("gzip"), std::string::npos) << all.error().message();
}

TEST(InputReader, GarbageAfterAGzipStreamIsAnError) {
  TempFile f(gzip_bytes(lines(10)) + "not gzip at all");
  auto all = read_all(f.path.string());
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find("after the end"), std::string::npos) << all.error().message();
}

TEST(InputReader, TruncatedZstdIsAnError) {
  const std::string zs = zstd_bytes(lines(20000));
  TempFile f(zs.substr(0, zs.size() - 10));
  auto all = read_all(f.path.string());
  ASSERT_FALSE(all);
  EXPECT_NE(all.error().message().find("zstd"), std::string::npos) << all.error().message();
}

TEST(InputReader, SourcePositionCountsStoredBytes) {
  const std::string gz = gzip_bytes(lines(20000));
  TempFile f(gz);
  auto r = InputReader::open(f.path.string());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->source_size(), gz.size());
  std::string buf(1 << 16, '\0');
  while (true) {
    auto n = r->read(buf);
    ASSERT_TRUE(n);
    if (*n == 0) break;
  }
  EXPECT_EQ(r->source_position(), gz.size());
}

}  // namespace
}  // namespace pgstream::load
