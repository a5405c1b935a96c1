// Binary decoders for the scalar types, and the array header reader.
#include "pgstream/protocol/types/decode.hpp"

#include <bit>
#include <cstring>
#include <string>

namespace pgstream::protocol {

using wire::load_be;

namespace {

Error decode_error(std::string message) { return Error(ErrorCategory::decode, std::move(message)); }

// Fixed-size types must match their size exactly.
Result<void> expect_size(Oid type, Bytes bytes, std::size_t size) {
  if (bytes.size() != size) {
    return std::unexpected(decode_error(oid::type_name(type) + " value must be " + std::to_string(size) +
                                        " bytes, got " + std::to_string(bytes.size())));
  }
  return {};
}

// Any integer column widened to int64 (int2, int4, int8, and the unsigned oid).
Result<std::int64_t> read_integer(Oid type, Bytes bytes) {
  switch (type) {
    case oid::int2:
      if (auto ok = expect_size(type, bytes, 2); !ok) return std::unexpected(ok.error());
      return load_be<std::int16_t>(bytes.data());
    case oid::int4:
      if (auto ok = expect_size(type, bytes, 4); !ok) return std::unexpected(ok.error());
      return load_be<std::int32_t>(bytes.data());
    case oid::oid:
      if (auto ok = expect_size(type, bytes, 4); !ok) return std::unexpected(ok.error());
      return static_cast<std::int64_t>(load_be<std::uint32_t>(bytes.data()));
    default:
      if (auto ok = expect_size(type, bytes, 8); !ok) return std::unexpected(ok.error());
      return load_be<std::int64_t>(bytes.data());
  }
}

bool is_text_like(Oid type) noexcept {
  switch (type) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::char_:
    case oid::unknown:
    case oid::json:
    case oid::jsonb:
    case oid::xml:
      return true;
    default:
      return false;
  }
}

// The text of a text-like value; for jsonb, after its version byte.
Result<std::string_view> read_text(Oid type, Bytes bytes) {
  if (type == oid::jsonb) {
    if (bytes.empty()) return std::unexpected(decode_error("jsonb value is empty (expected a version byte)"));
    const auto version = std::to_integer<unsigned>(bytes[0]);
    if (version != kJsonbVersion) {
      return std::unexpected(decode_error("unsupported jsonb binary version " + std::to_string(version) +
                                          " (expected 1)"));
    }
    bytes = bytes.subspan(1);
  }
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Result<NetAddress> read_net(Oid type, Bytes bytes, bool& is_cidr) {
  if (bytes.size() < 4) {
    return std::unexpected(decode_error(oid::type_name(type) + " value must be at least 4 bytes, got " +
                                        std::to_string(bytes.size())));
  }
  NetAddress n;
  const auto family = std::to_integer<unsigned>(bytes[0]);
  const auto bits = std::to_integer<unsigned>(bytes[1]);
  const auto cidr_flag = std::to_integer<unsigned>(bytes[2]);
  const auto size = std::to_integer<unsigned>(bytes[3]);
  if (family != static_cast<unsigned>(IpFamily::v4) && family != static_cast<unsigned>(IpFamily::v6)) {
    return std::unexpected(decode_error("invalid " + oid::type_name(type) + " address family " +
                                        std::to_string(family) + " (expected 2 or 3)"));
  }
  n.family = static_cast<IpFamily>(family);
  if (bits > n.max_bits()) {
    return std::unexpected(decode_error("invalid " + oid::type_name(type) + " prefix length " +
                                        std::to_string(bits)));
  }
  if (size != n.address_size() || bytes.size() != 4 + size) {
    return std::unexpected(decode_error("invalid " + oid::type_name(type) + " address length " +
                                        std::to_string(size) + " in a " + std::to_string(bytes.size()) +
                                        "-byte value"));
  }
  if (cidr_flag > 1) return std::unexpected(decode_error("invalid " + oid::type_name(type) + " is_cidr flag"));
  n.bits = static_cast<std::uint8_t>(bits);
  std::memcpy(n.address.data(), bytes.data() + 4, size);
  is_cidr = cidr_flag == 1 || type == oid::cidr;
  if (is_cidr && !n.host_bits_zero()) {
    return std::unexpected(decode_error("invalid cidr value: bits are set right of the prefix"));
  }
  return n;
}

}  // namespace

// ---- bool, integers, floats ----

bool Decoder<bool>::accepts(Oid type) noexcept { return type == oid::bool_; }
Result<bool> Decoder<bool>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 1); !ok) return std::unexpected(ok.error());
  return bytes[0] != std::byte{0};
}

bool Decoder<std::int16_t>::accepts(Oid type) noexcept { return type == oid::int2; }
Result<std::int16_t> Decoder<std::int16_t>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 2); !ok) return std::unexpected(ok.error());
  return load_be<std::int16_t>(bytes.data());
}

bool Decoder<std::int32_t>::accepts(Oid type) noexcept { return type == oid::int2 || type == oid::int4; }
Result<std::int32_t> Decoder<std::int32_t>::decode(Oid type, Bytes bytes) {
  auto v = read_integer(type, bytes);
  if (!v) return std::unexpected(std::move(v.error()));
  return static_cast<std::int32_t>(*v);  // int2/int4 only, so it fits
}

bool Decoder<std::int64_t>::accepts(Oid type) noexcept {
  return type == oid::int2 || type == oid::int4 || type == oid::int8 || type == oid::oid;
}
Result<std::int64_t> Decoder<std::int64_t>::decode(Oid type, Bytes bytes) { return read_integer(type, bytes); }

bool Decoder<float>::accepts(Oid type) noexcept { return type == oid::float4; }
Result<float> Decoder<float>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 4); !ok) return std::unexpected(ok.error());
  return std::bit_cast<float>(load_be<std::uint32_t>(bytes.data()));
}

bool Decoder<double>::accepts(Oid type) noexcept { return type == oid::float4 || type == oid::float8; }
Result<double> Decoder<double>::decode(Oid type, Bytes bytes) {
  if (type == oid::float4) {
    if (auto ok = expect_size(type, bytes, 4); !ok) return std::unexpected(ok.error());
    return static_cast<double>(std::bit_cast<float>(load_be<std::uint32_t>(bytes.data())));
  }
  if (auto ok = expect_size(type, bytes, 8); !ok) return std::unexpected(ok.error());
  return std::bit_cast<double>(load_be<std::uint64_t>(bytes.data()));
}

// ---- text, bytea, json ----

bool Decoder<std::string_view>::accepts(Oid type) noexcept { return is_text_like(type); }
Result<std::string_view> Decoder<std::string_view>::decode(Oid type, Bytes bytes) { return read_text(type, bytes); }

bool Decoder<std::string>::accepts(Oid type) noexcept { return is_text_like(type); }
Result<std::string> Decoder<std::string>::decode(Oid type, Bytes bytes) {
  auto v = read_text(type, bytes);
  if (!v) return std::unexpected(std::move(v.error()));
  return std::string(*v);
}

bool Decoder<Bytea>::accepts(Oid type) noexcept { return type == oid::bytea; }
Result<Bytea> Decoder<Bytea>::decode(Oid, Bytes bytes) { return Bytea{bytes}; }

bool Decoder<std::vector<std::byte>>::accepts(Oid type) noexcept { return type == oid::bytea; }
Result<std::vector<std::byte>> Decoder<std::vector<std::byte>>::decode(Oid, Bytes bytes) {
  return std::vector<std::byte>(bytes.begin(), bytes.end());
}

bool Decoder<Json>::accepts(Oid type) noexcept { return type == oid::json || type == oid::jsonb; }
Result<Json> Decoder<Json>::decode(Oid type, Bytes bytes) {
  auto v = read_text(type, bytes);
  if (!v) return std::unexpected(std::move(v.error()));
  return Json{*v};
}

bool Decoder<Jsonb>::accepts(Oid type) noexcept { return type == oid::json || type == oid::jsonb; }
Result<Jsonb> Decoder<Jsonb>::decode(Oid type, Bytes bytes) {
  auto v = read_text(type, bytes);
  if (!v) return std::unexpected(std::move(v.error()));
  return Jsonb{*v};
}

// ---- uuid, date/time, numeric, network ----

bool Decoder<Uuid>::accepts(Oid type) noexcept { return type == oid::uuid; }
Result<Uuid> Decoder<Uuid>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 16); !ok) return std::unexpected(ok.error());
  Uuid u;
  std::memcpy(u.bytes.data(), bytes.data(), 16);
  return u;
}

bool Decoder<Date>::accepts(Oid type) noexcept { return type == oid::date; }
Result<Date> Decoder<Date>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 4); !ok) return std::unexpected(ok.error());
  return Date{load_be<std::int32_t>(bytes.data())};
}

bool Decoder<Time>::accepts(Oid type) noexcept { return type == oid::time; }
Result<Time> Decoder<Time>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 8); !ok) return std::unexpected(ok.error());
  const auto us = load_be<std::int64_t>(bytes.data());
  if (us < 0 || us > kMicrosPerDay) {
    return std::unexpected(decode_error("time value " + std::to_string(us) +
                                        " is out of range 0..86400000000 microseconds"));
  }
  return Time{us};
}

bool Decoder<Timestamp>::accepts(Oid type) noexcept { return type == oid::timestamp; }
Result<Timestamp> Decoder<Timestamp>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 8); !ok) return std::unexpected(ok.error());
  return Timestamp{load_be<std::int64_t>(bytes.data())};
}

bool Decoder<TimestampTz>::accepts(Oid type) noexcept { return type == oid::timestamptz; }
Result<TimestampTz> Decoder<TimestampTz>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 8); !ok) return std::unexpected(ok.error());
  return TimestampTz{load_be<std::int64_t>(bytes.data())};
}

bool Decoder<Interval>::accepts(Oid type) noexcept { return type == oid::interval; }
Result<Interval> Decoder<Interval>::decode(Oid type, Bytes bytes) {
  if (auto ok = expect_size(type, bytes, 16); !ok) return std::unexpected(ok.error());
  return Interval{load_be<std::int64_t>(bytes.data()), load_be<std::int32_t>(bytes.data() + 8),
                  load_be<std::int32_t>(bytes.data() + 12)};
}

bool Decoder<Numeric>::accepts(Oid type) noexcept {
  return type == oid::numeric || type == oid::int2 || type == oid::int4 || type == oid::int8;
}
Result<Numeric> Decoder<Numeric>::decode(Oid type, Bytes bytes) {
  if (type == oid::numeric) return decode_numeric(bytes);
  auto v = read_integer(type, bytes);
  if (!v) return std::unexpected(std::move(v.error()));
  return Numeric::from_integer(*v);
}

bool Decoder<Inet>::accepts(Oid type) noexcept { return type == oid::inet || type == oid::cidr; }
Result<Inet> Decoder<Inet>::decode(Oid type, Bytes bytes) {
  bool is_cidr = false;
  auto n = read_net(type, bytes, is_cidr);
  if (!n) return std::unexpected(std::move(n.error()));
  Inet v;
  static_cast<NetAddress&>(v) = *n;
  v.is_cidr = is_cidr;
  return v;
}

bool Decoder<Cidr>::accepts(Oid type) noexcept { return type == oid::cidr; }
Result<Cidr> Decoder<Cidr>::decode(Oid type, Bytes bytes) {
  bool is_cidr = true;
  auto n = read_net(type, bytes, is_cidr);
  if (!n) return std::unexpected(std::move(n.error()));
  Cidr v;
  static_cast<NetAddress&>(v) = *n;
  return v;
}

// ---- errors shared with the templates, and arrays ----

namespace detail {

Error type_mismatch(Oid actual, std::string_view cpp_name) {
  return decode_error("cannot decode a " + oid::type_name(actual) + " value as " + std::string(cpp_name));
}

Error unexpected_null(Oid column_type, std::string_view cpp_name) {
  return decode_error("unexpected NULL in a " + oid::type_name(column_type) + " column; decode into std::optional<" +
                      std::string(cpp_name) + "> to accept NULL");
}

Error array_null_element(std::int32_t index, std::string_view cpp_name) {
  return decode_error("array element " + std::to_string(index + 1) + " is NULL; decode into std::vector<std::optional<" +
                      std::string(cpp_name) + ">> to accept NULL elements");
}

Error array_trailing_bytes(std::size_t n) {
  return decode_error("array value has " + std::to_string(n) + " bytes after its last element");
}

Result<ArrayHeader> read_array_header(Bytes bytes, Oid expected_element) {
  if (bytes.size() < 12) {
    return std::unexpected(decode_error("array value must be at least 12 bytes, got " + std::to_string(bytes.size())));
  }
  wire::Cursor c(bytes);
  const auto ndim = c.take<std::int32_t>();
  const auto flags = c.take<std::int32_t>();
  ArrayHeader h;
  h.element_type = c.take<std::uint32_t>();
  if (ndim < 0 || ndim > 1) {
    return std::unexpected(decode_error("array has " + std::to_string(ndim) +
                                        " dimensions; only one-dimensional arrays are supported"));
  }
  if (flags != 0 && flags != 1) {
    return std::unexpected(decode_error("invalid array flags " + std::to_string(flags)));
  }
  if (expected_element != 0 && h.element_type != expected_element) {
    return std::unexpected(decode_error("array elements are " + oid::type_name(h.element_type) + ", expected " +
                                        oid::type_name(expected_element)));
  }
  if (ndim == 0) {
    if (c.remaining() != 0) return std::unexpected(array_trailing_bytes(c.remaining()));
    return h;
  }
  if (c.remaining() < 8) return std::unexpected(decode_error("array value ends inside its dimension header"));
  h.count = c.take<std::int32_t>();
  (void)c.take<std::int32_t>();  // the lower bound does not change a vector
  // Every element takes at least its 4-byte length, which bounds a hostile count.
  if (h.count < 0 || static_cast<std::size_t>(h.count) > c.remaining() / 4) {
    return std::unexpected(decode_error("array declares " + std::to_string(h.count) + " elements but carries " +
                                        std::to_string(c.remaining()) + " bytes"));
  }
  h.elements = c.take_bytes(c.remaining());
  return h;
}

Result<std::optional<Bytes>> next_array_element(wire::Cursor& c, std::int32_t index) {
  if (c.remaining() < 4) {
    return std::unexpected(decode_error("array value ends before element " + std::to_string(index + 1)));
  }
  const auto len = c.take<std::int32_t>();
  if (len == -1) return std::optional<Bytes>{};
  if (len < 0 || static_cast<std::size_t>(len) > c.remaining()) {
    return std::unexpected(decode_error("array element " + std::to_string(index + 1) + " has length " +
                                        std::to_string(len) + " but " + std::to_string(c.remaining()) +
                                        " bytes remain"));
  }
  return std::optional<Bytes>(c.take_bytes(static_cast<std::size_t>(len)));
}

}  // namespace detail

}  // namespace pgstream::protocol
