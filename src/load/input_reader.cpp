#include "pgstream/load/input_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace pgstream::load {

struct InputReader::Impl {
  enum class Kind { plain, gzip, zstd } kind = Kind::plain;
  std::string path;
  int fd = -1;
  gzFile gz = nullptr;
  ZSTD_DStream* zs = nullptr;
  std::vector<char> zin;
  ZSTD_inBuffer zin_buf{nullptr, 0, 0};
  bool zeof = false;
  std::size_t last_rc = 0;  // 0 once a zstd frame is complete
  std::uint64_t position = 0;  // bytes read from fd (plain and zstd)
  std::uint64_t size = 0;

  ~Impl() {
    if (gz) gzclose(gz);
    if (zs) ZSTD_freeDStream(zs);
    if (fd > 0) ::close(fd);  // never close stdin
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

  Result<std::size_t> read_zstd(std::span<char> into) {
    ZSTD_outBuffer out{into.data(), into.size(), 0};
    while (out.pos == 0) {
      if (zin_buf.pos == zin_buf.size) {
        if (zeof) return std::size_t{0};
        auto n = read_fd(zin.data(), zin.size());
        if (!n) return n;
        if (*n == 0) {
          zeof = true;
          if (last_rc != 0) return io_error("zstd: truncated input (the last frame is incomplete)");
          continue;
        }
        zin_buf = {zin.data(), *n, 0};
      }
      const std::size_t rc = ZSTD_decompressStream(zs, &out, &zin_buf);
      if (ZSTD_isError(rc)) return io_error(std::string("zstd: ") + ZSTD_getErrorName(rc));
      last_rc = rc;
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
    struct stat st {};
    if (::fstat(impl->fd, &st) == 0 && S_ISREG(st.st_mode)) impl->size = static_cast<std::uint64_t>(st.st_size);
  }
  if (path.ends_with(".gz")) {
    impl->kind = Impl::Kind::gzip;
    impl->gz = gzdopen(impl->fd, "rb");
    if (!impl->gz) return impl->io_error("cannot start gzip decompression");
    impl->fd = -1;  // owned by gz now
    gzbuffer(impl->gz, 256 * 1024);
  } else if (path.ends_with(".zst")) {
    impl->kind = Impl::Kind::zstd;
    impl->zs = ZSTD_createDStream();
    if (!impl->zs) return impl->io_error("cannot start zstd decompression");
    impl->zin.resize(ZSTD_DStreamInSize() * 4);
  }
  return InputReader(std::move(impl));
}

InputReader::InputReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InputReader::InputReader(InputReader&&) noexcept = default;
InputReader& InputReader::operator=(InputReader&&) noexcept = default;
InputReader::~InputReader() = default;

const std::string& InputReader::path() const noexcept { return impl_->path; }

std::uint64_t InputReader::source_position() const noexcept {
  if (impl_->kind == Impl::Kind::gzip) {
    const auto off = gzoffset(impl_->gz);
    return off > 0 ? static_cast<std::uint64_t>(off) : 0;
  }
  return impl_->position;
}

std::uint64_t InputReader::source_size() const noexcept { return impl_->size; }

Result<std::size_t> InputReader::read(std::span<char> into) {
  switch (impl_->kind) {
    case Impl::Kind::plain: return impl_->read_fd(into.data(), into.size());
    case Impl::Kind::gzip: {
      const int n = gzread(impl_->gz, into.data(), static_cast<unsigned>(std::min<std::size_t>(into.size(), 1u << 30)));
      int err = Z_OK;
      if (n == 0) {  // the end, or a truncated file
        const char* msg = gzerror(impl_->gz, &err);
        if (err != Z_OK) return impl_->io_error(std::string("gzip: ") + (msg ? msg : "corrupt input"));
      }
      if (n < 0) {
        const char* msg = gzerror(impl_->gz, &err);
        return impl_->io_error(std::string("gzip: ") + (msg ? msg : "read error"));
      }
      return static_cast<std::size_t>(n);
    }
    case Impl::Kind::zstd: return impl_->read_zstd(into);
  }
  return std::size_t{0};
}

}  // namespace pgstream::load
