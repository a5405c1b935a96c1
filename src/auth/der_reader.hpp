#pragma once
// A minimal DER reader: just enough to walk a certificate's outer structure and an
// AlgorithmIdentifier. It reads from a span and never past its end; every element it returns
// lies wholly inside the span it came from, so a hostile certificate cannot make it read
// out of bounds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace pgstream::auth::der {

inline constexpr std::uint8_t k_integer = 0x02;
inline constexpr std::uint8_t k_bit_string = 0x03;
inline constexpr std::uint8_t k_null = 0x05;
inline constexpr std::uint8_t k_oid = 0x06;
inline constexpr std::uint8_t k_sequence = 0x30;
// [n] EXPLICIT, constructed, context-specific.
[[nodiscard]] constexpr std::uint8_t context(std::uint8_t n) noexcept { return static_cast<std::uint8_t>(0xA0 | n); }

struct Element {
  std::uint8_t tag = 0;
  std::span<const std::byte> body;  // a view into the reader's input
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) noexcept : rest_(in) {}

  [[nodiscard]] bool empty() const noexcept { return rest_.empty(); }

  // The tag of the next element, without consuming it.
  [[nodiscard]] std::optional<std::uint8_t> peek_tag() const noexcept {
    if (rest_.empty()) return std::nullopt;
    return std::to_integer<std::uint8_t>(rest_[0]);
  }

  // Consumes the next element. nullopt (and nothing consumed) if the input ends inside its
  // header or body, or the header is not one DER allows for the structures we read:
  // high-tag-number form, indefinite length, or a length of more than four octets.
  [[nodiscard]] std::optional<Element> next() noexcept {
    if (rest_.size() < 2) return std::nullopt;
    const auto tag = std::to_integer<std::uint8_t>(rest_[0]);
    if ((tag & 0x1F) == 0x1F) return std::nullopt;
    const auto first = std::to_integer<std::uint8_t>(rest_[1]);
    std::size_t header = 2;
    std::size_t length = first;
    if (first & 0x80) {
      const std::size_t octets = first & 0x7F;
      if (octets == 0 || octets > 4 || rest_.size() - 2 < octets) return std::nullopt;
      length = 0;
      for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | std::to_integer<std::uint8_t>(rest_[2 + i]);
      header += octets;
    }
    if (rest_.size() - header < length) return std::nullopt;
    Element e{tag, rest_.subspan(header, length)};
    rest_ = rest_.subspan(header + length);
    return e;
  }

  // Consumes the next element only if it has this tag.
  [[nodiscard]] std::optional<Element> next(std::uint8_t tag) noexcept {
    if (peek_tag() != tag) return std::nullopt;
    return next();
  }

 private:
  std::span<const std::byte> rest_;
};

}  // namespace pgstream::auth::der
