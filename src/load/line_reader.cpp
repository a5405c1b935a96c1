#include "pgstream/load/line_reader.hpp"

#include <chrono>
#include <cstring>

namespace pgstream::load {

LineReader::LineReader(InputReader& input, std::size_t chunk) : input_(input), buf_(chunk + padding) {}

Result<bool> LineReader::refill() {
  if (eof_) return false;
  // Keep the unfinished line, move it to the front; grow only for a line longer than the buffer.
  const std::size_t rest = end_ - pos_;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, rest);
    pos_ = 0;
    end_ = rest;
  }
  if (buf_.size() - end_ < padding + 4096) buf_.resize(buf_.size() * 2);
  const auto t0 = std::chrono::steady_clock::now();
  auto n = input_.read(std::span(buf_.data() + end_, buf_.size() - end_ - padding));
  read_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!n) return std::unexpected(n.error());
  if (*n == 0) {
    eof_ = true;
    return false;
  }
  end_ += *n;
  return true;
}

Result<std::optional<Line>> LineReader::next() {
  for (;;) {
    const char* start = buf_.data() + pos_;
    const void* nl = pos_ < end_ ? std::memchr(start, '\n', end_ - pos_) : nullptr;
    if (nl || (eof_ && pos_ < end_)) {
      const char* stop = nl ? static_cast<const char*>(nl) : buf_.data() + end_;
      std::size_t len = static_cast<std::size_t>(stop - start);
      const std::size_t advance = len + (nl ? 1 : 0);
      if (len > 0 && start[len - 1] == '\r') --len;
      std::size_t skip = 0;
      // A UTF-8 byte order mark (editors on Windows write one) is not part of the first line.
      if (line_number_ == 0 && len >= 3 && std::memcmp(start, "\xEF\xBB\xBF", 3) == 0) skip = 3;
      Line line{std::string_view(start + skip, len - skip), ++line_number_, offset_ + skip,
                buf_.size() - static_cast<std::size_t>(start + skip - buf_.data())};
      pos_ += advance;
      offset_ += advance;
      return line;
    }
    if (eof_) return std::optional<Line>{};
    auto more = refill();
    if (!more) return std::unexpected(more.error());
  }
}

}  // namespace pgstream::load
