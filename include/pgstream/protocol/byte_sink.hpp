#pragma once
// Where encoders write: any contiguous byte buffer that can grow at its end.
//
// Satisfied by std::string, std::vector<std::byte>, std::vector<char>, std::vector<unsigned char>,
// and by SpanSink (a fixed region such as an io_uring registered buffer). Encoders append a whole
// framed message in one pass and back-patch its length through data(); nothing here allocates
// beyond what the sink itself does when it grows.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace pgstream::protocol {

namespace detail {
template <class S>
concept HasAppendCharPtr = requires(S& s, const char* p, std::size_t n) { s.append(p, n); };
template <class S>
concept HasInsertRange = requires(S& s, const typename S::value_type* p) {
  s.insert(s.end(), p, p);
};
}  // namespace detail

template <class S>
concept ByteSink = requires(S& s) {
  { s.size() } -> std::convertible_to<std::size_t>;
  { s.data() };
  requires sizeof(*s.data()) == 1;
} && (detail::HasAppendCharPtr<S> || detail::HasInsertRange<S>);

// A fixed-capacity sink over memory it does not own (a registered send buffer, a stack array).
// Writing past the end does not write: it marks the sink overflowed, and the caller that sized
// the region checks overflowed() once per batch instead of once per byte.
class SpanSink {
 public:
  using value_type = std::byte;
  explicit SpanSink(std::span<std::byte> region) noexcept : region_(region) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return region_.size(); }
  [[nodiscard]] std::size_t remaining() const noexcept { return region_.size() - size_; }
  [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }
  [[nodiscard]] std::byte* data() noexcept { return region_.data(); }
  [[nodiscard]] const std::byte* data() const noexcept { return region_.data(); }
  [[nodiscard]] std::span<const std::byte> written() const noexcept { return region_.first(size_); }

  void append(const char* p, std::size_t n) noexcept {
    if (overflowed_ || n > remaining()) {
      overflowed_ = true;
      return;
    }
    if (n != 0) std::memcpy(region_.data() + size_, p, n);
    size_ += n;
  }
  // Forget what was written (e.g. after the region was handed to the kernel and sent).
  void clear() noexcept {
    size_ = 0;
    overflowed_ = false;
  }
  // Roll back to an earlier size, e.g. to drop a half-written message after an encode error.
  void truncate(std::size_t new_size) noexcept {
    if (new_size < size_) size_ = new_size;
    overflowed_ = false;
  }

 private:
  std::span<std::byte> region_;
  std::size_t size_ = 0;
  bool overflowed_ = false;
};

// ---- primitive writes (network byte order) ----

template <ByteSink S>
inline void put_bytes(S& sink, const void* p, std::size_t n) {
  if constexpr (detail::HasAppendCharPtr<S>) {
    sink.append(static_cast<const char*>(p), n);
  } else {
    using V = typename S::value_type;
    const V* first = static_cast<const V*>(p);
    sink.insert(sink.end(), first, first + n);
  }
}

template <ByteSink S>
inline void put_u8(S& sink, std::uint8_t v) {
  put_bytes(sink, &v, 1);
}

template <std::integral T, ByteSink S>
inline void put_be(S& sink, T v) {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) u = std::byteswap(u);
  put_bytes(sink, &u, sizeof(U));
}

template <ByteSink S>
inline void put_i16(S& sink, std::int16_t v) { put_be(sink, v); }
template <ByteSink S>
inline void put_i32(S& sink, std::int32_t v) { put_be(sink, v); }
template <ByteSink S>
inline void put_i64(S& sink, std::int64_t v) { put_be(sink, v); }

// Bytes of a string without terminator.
template <ByteSink S>
inline void put_string(S& sink, std::string_view s) {
  put_bytes(sink, s.data(), s.size());
}

// Overwrite 4 already-written bytes at offset with a big-endian int32 (length back-patching).
// A no-op when those bytes were never written (an overflowed SpanSink).
template <ByteSink S>
inline void patch_i32(S& sink, std::size_t offset, std::int32_t v) {
  if (offset + 4 > static_cast<std::size_t>(sink.size())) return;
  std::uint32_t u = static_cast<std::uint32_t>(v);
  if constexpr (std::endian::native == std::endian::little) u = std::byteswap(u);
  std::memcpy(reinterpret_cast<unsigned char*>(sink.data()) + offset, &u, 4);
}

}  // namespace pgstream::protocol
