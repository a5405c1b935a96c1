#pragma once
// Bindable for one-dimensional arrays: std::vector<T> and std::span<const T>, where T is any
// bindable element type with a known array type (std::optional<T> elements may be NULL).
//
// Binary layout (array_send): ndim i32 (0 for an empty array, else 1), has-null flag i32,
// element oid u32, then per dimension size i32 and lower bound i32 (1), then per element its
// length i32 (-1 for NULL) and bytes. Element lengths are back-patched, so nothing is measured
// twice and nothing allocates.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "pgstream/protocol/bindable.hpp"
#include "pgstream/protocol/types/bindable_scalars.hpp"
#include "pgstream/protocol/types/oid.hpp"

namespace pgstream::protocol {

namespace detail {

template <class E>
concept ArrayElement = BindableValue<E> && (oid::array_oid_of(Bindable<E>::oid) != 0) &&
                       (Bindable<E>::format == Format::binary);

template <class E, ByteSink S, class Range>
void encode_array(S& sink, const Range& elements) {
  const std::size_t count = std::size(elements);
  bool has_null = false;
  for (const auto& e : elements) {
    if (bindable_is_null<E>(e)) {
      has_null = true;
      break;
    }
  }
  put_i32(sink, count == 0 ? 0 : 1);
  put_i32(sink, has_null ? 1 : 0);
  put_be<std::uint32_t>(sink, Bindable<E>::oid);
  if (count == 0) return;
  put_i32(sink, static_cast<std::int32_t>(count));
  put_i32(sink, 1);
  for (const auto& e : elements) {
    if (bindable_is_null<E>(e)) {
      put_i32(sink, -1);
      continue;
    }
    const std::size_t at = static_cast<std::size_t>(sink.size());
    put_i32(sink, 0);
    Bindable<E>::encode(sink, e);
    patch_i32(sink, at, static_cast<std::int32_t>(static_cast<std::size_t>(sink.size()) - at - 4));
  }
}

template <class E>
struct BindableArray {
  static_assert(oid::array_oid_of(Bindable<E>::oid) != 0,
                "no array type is known for this element type (nested arrays are not supported)");
  static constexpr Oid oid = oid::array_oid_of(Bindable<E>::oid);
  static constexpr Format format = Format::binary;
};

}  // namespace detail

template <detail::ArrayElement E, class Alloc>
struct Bindable<std::vector<E, Alloc>> : detail::BindableArray<E> {
  template <ByteSink S>
  static void encode(S& sink, const std::vector<E, Alloc>& v) {
    detail::encode_array<E>(sink, v);
  }
};

template <detail::ArrayElement E>
struct Bindable<std::span<const E>> : detail::BindableArray<E> {
  template <ByteSink S>
  static void encode(S& sink, std::span<const E> v) {
    detail::encode_array<E>(sink, v);
  }
};

}  // namespace pgstream::protocol
