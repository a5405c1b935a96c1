#include "pgstream/load/input_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

namespace pgstream::load {

namespace {

// The format is told by the first bytes, not the name: a compressed stream on stdin or a file
// without its extension reads the same. A JSON line never starts with either magic (0x1f is a
// control character, '(' is not JSON), so plain input is never taken for compressed.
constexpr unsigned char kGzipMagic[] = {0x1f, 0x8b};
constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};
constexpr std::size_t kSniffBytes = 4;

template <std::size_t N>
bool starts_with(const std::vector<char>& bytes, std::size_t size, const unsigned char (&magic)[N]) {
  return size >= N && std::memcmp(bytes.data(), magic, N) == 0;
}

// A zstd skippable frame (0x184D2A50..5F, little-endian), which pzstd writes before every frame.
bool starts_with_zstd_skippable(const std::vector<char>& bytes, std::size_t size) {
  return size >= 4 && (static_cast<unsigned char>(bytes[0]) & 0xf0) == 0x50 && static_cast<unsigned char>(bytes[1]) == 0x2a &&
         static_cast<unsigned char>(bytes[2]) == 0x4d && static_cast<unsigned char>(bytes[3]) == 0x18;
}

}  // namespace

struct InputReader::Impl {
  enum class Kind { plain, gzip, zstd } kind = Kind::plain;
  std::string path;
  int fd = -1;
  bool owns_fd = false;  // stdin is read, never closed
  std::uint64_t position = 0;  // bytes read from fd: the stored (compressed) bytes
  std::uint64_t size = 0;

  // Stored bytes read but not yet used: the sniffed magic for plain input, the compressed input
  // of the decoders.
  std::vector<char> in;
  std::size_t in_pos = 0, in_len = 0;
  bool eof = false;

  z_stream gz{};
  bool gz_ready = false;
  bool gz_member_open = false;  // inside a gzip member: the end of the input here is a truncation
  std::uint64_t gz_members = 0;

  ZSTD_DStream* zs = nullptr;
  std::size_t zstd_last_rc = 0;  // 0 once a zstd frame is complete

  ~Impl() {
    if (gz_ready) inflateEnd(&gz);
    if (zs) ZSTD_freeDStream(zs);
    if (owns_fd) ::close(fd);
  }

  std::unexpected<Error> io_error(const std::string& what) const {
    return make_error(ErrorCategory::io, path + ": " + what);
  }

  Result<std::size_t> read_fd(char* p, std::size_t n) {
    for (;;) {
      const ssize_t got = ::read(fd, p, n);
      if (got >= 0) {
        position += static_cast<std::uint64_t>(got);
        return static_cast<std::size_t>(got);
      }
      if (errno != EINTR) return io_error(std::strerror(errno));
    }
  }

  // Refills `in` once it is used up; false at the end of the input.
  Result<bool> refill() {
    if (in_pos < in_len) return true;
    if (eof) return false;
    auto n = read_fd(in.data(), in.size());
    if (!n) return std::unexpected(n.error());
    in_pos = 0;
    in_len = *n;
    if (*n == 0) eof = true;
    return *n != 0;
  }

  Result<std::size_t> read_plain(std::span<char> into) {
    if (in_pos < in_len) {  // the sniffed bytes first
      const std::size_t n = std::min(into.size(), in_len - in_pos);
      std::memcpy(into.data(), in.data() + in_pos, n);
      in_pos += n;
      return n;
    }
    if (eof) return std::size_t{0};  // the sniff saw the end: a terminal must not be read again
    return read_fd(into.data(), into.size());
  }

  Result<std::size_t> read_gzip(std::span<char> into) {
    const auto room = static_cast<uInt>(std::min<std::size_t>(into.size(), UINT_MAX));
    gz.next_out = reinterpret_cast<Bytef*>(into.data());
    gz.avail_out = room;
    while (gz.avail_out == room) {
      auto more = refill();
      if (!more) return std::unexpected(more.error());
      if (!*more) {
        if (gz_member_open) return io_error("gzip: truncated input (the stream ends inside a member)");
        break;
      }
      gz.next_in = reinterpret_cast<Bytef*>(in.data() + in_pos);
      gz.avail_in = static_cast<uInt>(in_len - in_pos);
      const int rc = inflate(&gz, Z_NO_FLUSH);
      in_pos = in_len - gz.avail_in;
      if (rc == Z_STREAM_END) {
        // Concatenated members (pigz, `cat a.gz b.gz`) are one stream, as gzip -d reads them.
        gz_member_open = false;
        ++gz_members;
        inflateReset(&gz);
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        const std::string why = gz.msg ? gz.msg : "corrupt input";
        if (!gz_member_open && gz_members > 0)
          return io_error("gzip: data after the end of the compressed stream (" + why + ")");
        return io_error("gzip: " + why);
      }
      gz_member_open = true;
    }
    return static_cast<std::size_t>(room - gz.avail_out);
  }

  Result<std::size_t> read_zstd(std::span<char> into) {
    ZSTD_outBuffer out{into.data(), into.size(), 0};
    while (out.pos == 0) {
      auto more = refill();
      if (!more) return std::unexpected(more.error());
      if (!*more) {
        if (zstd_last_rc != 0) return io_error("zstd: truncated input (the last frame is incomplete)");
        break;
      }
      ZSTD_inBuffer src{in.data(), in_len, in_pos};
      const std::size_t rc = ZSTD_decompressStream(zs, &out, &src);
      in_pos = src.pos;
      if (ZSTD_isError(rc)) return io_error(std::string("zstd: ") + ZSTD_getErrorName(rc));
      zstd_last_rc = rc;
    }
    return out.pos;
  }
};

Result<InputReader> InputReader::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    impl->fd = 0;
  } else {
    impl->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (impl->fd < 0) return impl->io_error(std::strerror(errno));
    impl->owns_fd = true;
    struct stat st {};
    if (::fstat(impl->fd, &st) == 0 && S_ISREG(st.st_mode)) impl->size = static_cast<std::uint64_t>(st.st_size);
  }
  // Sniff the first bytes (a pipe may hand them over a few at a time).
  impl->in.resize(256 * 1024);
  while (impl->in_len < kSniffBytes) {
    auto n = impl->read_fd(impl->in.data() + impl->in_len, kSniffBytes - impl->in_len);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) {
      impl->eof = true;
      break;
    }
    impl->in_len += *n;
  }
  if (starts_with(impl->in, impl->in_len, kGzipMagic)) {
    impl->kind = Impl::Kind::gzip;
    if (inflateInit2(&impl->gz, 15 + 16) != Z_OK) return impl->io_error("cannot start gzip decompression");  // 16: gzip framing
    impl->gz_ready = true;
  } else if (starts_with(impl->in, impl->in_len, kZstdMagic) || starts_with_zstd_skippable(impl->in, impl->in_len)) {
    impl->kind = Impl::Kind::zstd;
    impl->zs = ZSTD_createDStream();
    if (!impl->zs) return impl->io_error("cannot start zstd decompression");
  }
  return InputReader(std::move(impl));
}

InputReader::InputReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InputReader::InputReader(InputReader&&) noexcept = default;
InputReader& InputReader::operator=(InputReader&&) noexcept = default;
InputReader::~InputReader() = default;

const std::string& InputReader::path() const noexcept { return impl_->path; }

std::uint64_t InputReader::source_position() const noexcept { return impl_->position; }

std::uint64_t InputReader::source_size() const noexcept { return impl_->size; }

Result<std::size_t> InputReader::read(std::span<char> into) {
  if (into.empty()) return std::size_t{0};  // the decoders wait for room to make progress
  switch (impl_->kind) {
    case Impl::Kind::plain: return impl_->read_plain(into);
    case Impl::Kind::gzip: return impl_->read_gzip(into);
    case Impl::Kind::zstd: return impl_->read_zstd(into);
  }
  return std::size_t{0};
}

}  // namespace pgstream::load
