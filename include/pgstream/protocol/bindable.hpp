#pragma once
// How a C++ value becomes a Bind parameter or a binary COPY field.
//
// Bindable<T> is specialised per type (protocol/types/ provides the built-in ones):
//
//   template <> struct Bindable<T> {
//     static constexpr Oid oid = ...;             // the parameter's type (0 = let the server infer)
//     static constexpr Format format = ...;       // binary for every codec we have
//     static bool is_null(const T&) noexcept;     // optional: absent means never NULL
//     template <ByteSink S> static void encode(S&, const T&);  // value bytes, no length prefix
//   };
//
// The Bind builder and the COPY writer write the 4-byte length (or -1 for NULL) themselves,
// back-patching it after encode(), so a codec never needs to know its size in advance.

#include <concepts>
#include <string>

#include "pgstream/protocol/byte_sink.hpp"
#include "pgstream/protocol/format.hpp"

namespace pgstream::protocol {

template <class T>
struct Bindable;  // no primary definition: an unsupported type fails to compile, naming T

template <class T>
concept BindableValue = requires(const T& v, std::string& sink) {
  { Bindable<T>::oid } -> std::convertible_to<Oid>;
  { Bindable<T>::format } -> std::convertible_to<Format>;
  Bindable<T>::encode(sink, v);
};

template <class T>
[[nodiscard]] constexpr bool bindable_is_null(const T& v) noexcept {
  if constexpr (requires { Bindable<T>::is_null(v); }) {
    return Bindable<T>::is_null(v);
  } else {
    return false;
  }
}

}  // namespace pgstream::protocol
