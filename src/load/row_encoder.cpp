#include "pgstream/load/row_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pgstream/load/copy_text.hpp"
#include "pgstream/protocol/types/types.hpp"

namespace pgstream::load {
namespace {

namespace od = simdjson::ondemand;
namespace oid = protocol::oid;

bool has_binary_codec(std::uint32_t t) {
  switch (t) {
    case oid::bool_: case oid::int2: case oid::int4: case oid::int8: case oid::float4: case oid::float8:
    case oid::numeric: case oid::text: case oid::varchar: case oid::bpchar: case oid::name: case oid::json:
    case oid::jsonb: case oid::bytea: case oid::uuid: case oid::date: case oid::time: case oid::timestamp:
    case oid::timestamptz: case oid::interval: case oid::inet: case oid::cidr:
      return true;
    default:
      return false;
  }
}

bool is_text_type(std::uint32_t t) {
  return t == oid::text || t == oid::varchar || t == oid::bpchar || t == oid::name;
}

std::string_view trimmed(std::string_view raw) {
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
    raw.remove_suffix(1);
  return raw;
}

// The JSON text of any value: a scalar's token, or a whole object/array.
std::optional<std::string_view> raw_json_of(od::value& v, od::json_type type) {
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o) || o.raw_json().get(raw)) return std::nullopt;
    return raw;
  }
  if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a) || a.raw_json().get(raw)) return std::nullopt;
    return raw;
  }
  return trimmed(v.raw_json_token());
}

const char* json_type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "value";
}

std::string cannot(od::json_type t, const Column& c) {
  return std::string("a JSON ") + json_type_name(t) + " cannot go into column of type " + c.type_name;
}

}  // namespace

RowEncoder::RowEncoder(const TableSchema& schema, CopyFormat format, std::optional<std::size_t> jsonb_column)
    : schema_(schema), format_(format), jsonb_column_(jsonb_column) {
  cells_.resize(schema.columns.size());
  present_.resize(schema.columns.size());
}

bool RowEncoder::binary_supported(const TableSchema& schema) {
  for (const Column& c : schema.columns) {
    if (c.generated) continue;
    const std::uint32_t t = c.element_type_oid ? c.element_type_oid : c.base_type_oid;
    if (!has_binary_codec(t)) return false;
  }
  return true;
}

std::optional<std::size_t> RowEncoder::column_of(std::string_view key) {
  auto it = key_cache_.find(key);
  if (it != key_cache_.end()) return it->second;
  auto idx = schema_.find(key);
  key_cache_.emplace(std::string(key), idx);
  return idx;
}

std::optional<std::string> RowEncoder::convert_binary(od::value v, od::json_type type, std::uint32_t t,
                                                      const Column& c) {
  switch (t) {
    case oid::json:
    case oid::jsonb: {
      auto raw = raw_json_of(v, type);
      if (!raw) return "invalid JSON";
      if (t == oid::jsonb) protocol::put_u8(buf_, protocol::kJsonbVersion);
      buf_ += *raw;
      return std::nullopt;
    }
    case oid::bool_:
      if (type == od::json_type::boolean) {
        bool b = false;
        if (v.get_bool().get(b)) return "invalid JSON boolean";
        protocol::put_u8(buf_, b ? 1 : 0);
        return std::nullopt;
      }
      break;
    case oid::int2:
    case oid::int4:
    case oid::int8:
      if (type == od::json_type::number) {
        std::int64_t n = 0;
        if (v.get_int64().get(n)) return "not an integer in the range of " + c.type_name + ": " + std::string(trimmed(v.raw_json_token()));
        const auto lo = t == oid::int2 ? std::numeric_limits<std::int16_t>::min()
                        : t == oid::int4 ? std::numeric_limits<std::int32_t>::min() : std::numeric_limits<std::int64_t>::min();
        const auto hi = t == oid::int2 ? std::numeric_limits<std::int16_t>::max()
                        : t == oid::int4 ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int64_t>::max();
        if (n < lo || n > hi) return "value " + std::to_string(n) + " is out of range for type " + c.type_name;
        if (t == oid::int2) protocol::put_i16(buf_, static_cast<std::int16_t>(n));
        else if (t == oid::int4) protocol::put_i32(buf_, static_cast<std::int32_t>(n));
        else protocol::put_i64(buf_, n);
        return std::nullopt;
      }
      break;
    case oid::float4:
    case oid::float8:
      if (type == od::json_type::number) {
        double d = 0;
        if (v.get_double().get(d)) return "invalid number";
        if (t == oid::float4) protocol::Bindable<float>::encode(buf_, static_cast<float>(d));
        else protocol::Bindable<double>::encode(buf_, d);
        return std::nullopt;
      }
      break;
    case oid::numeric:
      if (type == od::json_type::number) {
        auto layout = protocol::analyze_numeric(trimmed(v.raw_json_token()));
        if (!layout) return layout.error().message();
        protocol::encode_numeric(buf_, *layout);
        return std::nullopt;
      }
      break;
    default:
      break;
  }
  if (is_text_type(t)) {
    if (type == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) return "invalid JSON string";
      buf_ += s;
      return std::nullopt;
    }
    auto raw = raw_json_of(v, type);  // numbers, booleans, objects, arrays: their JSON text
    if (!raw) return "invalid JSON";
    buf_ += *raw;
    return std::nullopt;
  }
  if (type == od::json_type::string) {
    std::string_view s;
    if (v.get_string().get(s)) return "invalid JSON string";
    if (auto r = protocol::encode_text_as_binary(buf_, t, s); !r) return r.error().message();
    return std::nullopt;
  }
  if (type == od::json_type::number || type == od::json_type::boolean) {
    // e.g. 1 for a bool column, or a number for a type read from text: the server's text rules.
    if (auto r = protocol::encode_text_as_binary(buf_, t, trimmed(v.raw_json_token())); !r) return r.error().message();
    return std::nullopt;
  }
  return cannot(type, c);
}

std::optional<std::string> RowEncoder::convert_binary_array(od::value v, const Column& c) {
  od::array arr;
  if (v.get_array().get(arr)) return "invalid JSON array";
  // ndim, has-null flag, element type, then (size, lower bound); both patched once counted.
  const std::size_t head = buf_.size();
  protocol::put_i32(buf_, 1);
  protocol::put_i32(buf_, 0);
  protocol::put_i32(buf_, static_cast<std::int32_t>(c.element_type_oid));
  const std::size_t size_at = buf_.size();
  protocol::put_i32(buf_, 0);
  protocol::put_i32(buf_, 1);
  std::int32_t count = 0;
  bool has_null = false;
  for (auto element_result : arr) {
    od::value e;
    if (element_result.get(e)) return "invalid JSON array element";
    od::json_type et;
    if (e.type().get(et)) return "invalid JSON array element";
    if (et == od::json_type::null) {
      protocol::put_i32(buf_, -1);
      has_null = true;
    } else if (et == od::json_type::array) {
      return "multi-dimensional arrays are not supported (column " + c.name + ")";
    } else {
      const std::size_t len_at = buf_.size();
      protocol::put_i32(buf_, 0);
      if (auto err = convert_binary(e, et, c.element_type_oid, c)) return "array element " + std::to_string(count + 1) + ": " + *err;
      protocol::patch_i32(buf_, len_at, static_cast<std::int32_t>(buf_.size() - len_at - 4));
    }
    ++count;
  }
  if (count == 0) {  // the empty array has no dimensions
    buf_.resize(head);
    protocol::put_i32(buf_, 0);
    protocol::put_i32(buf_, 0);
    protocol::put_i32(buf_, static_cast<std::int32_t>(c.element_type_oid));
    return std::nullopt;
  }
  protocol::patch_i32(buf_, head + 4, has_null ? 1 : 0);
  protocol::patch_i32(buf_, size_at, count);
  return std::nullopt;
}

std::optional<std::string> RowEncoder::convert_text(od::value v, od::json_type type, const Column& c) {
  switch (type) {
    case od::json_type::string: {
      if (c.kind == ColumnKind::json) break;  // a JSON string stays a JSON string, quotes and all
      std::string_view s;
      if (v.get_string().get(s)) return "invalid JSON string";
      append_copy_escaped(buf_, s);
      return std::nullopt;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b)) return "invalid JSON boolean";
      buf_ += b ? "true" : "false";
      return std::nullopt;
    }
    case od::json_type::array:
      if (c.kind == ColumnKind::array) {
        scratch_.clear();
        if (auto err = append_array_literal(scratch_, v)) return err;
        append_copy_escaped(buf_, scratch_);
        return std::nullopt;
      }
      [[fallthrough]];
    case od::json_type::object:
      if (c.kind != ColumnKind::json && c.kind != ColumnKind::text) return cannot(type, c);
      break;
    default:
      break;
  }
  auto raw = raw_json_of(v, type);
  if (!raw) return "invalid JSON";
  append_copy_escaped(buf_, *raw);
  return std::nullopt;
}

std::optional<std::string> RowEncoder::convert(od::value v, const Column& c) {
  od::json_type type;
  if (v.type().get(type)) return "invalid JSON value";
  if (type == od::json_type::null) return std::nullopt;  // the caller marks the cell NULL
  if (format_ == CopyFormat::text) return convert_text(v, type, c);
  if (c.element_type_oid != 0 && c.base_type_oid != oid::json && c.base_type_oid != oid::jsonb) {
    if (type != od::json_type::array) return "expected a JSON array for column of type " + c.type_name;
    return convert_binary_array(v, c);
  }
  return convert_binary(v, type, c.base_type_oid, c);
}

std::optional<LineReject> RowEncoder::encode(std::string_view line, std::size_t capacity) {
  std::fill(present_.begin(), present_.end(), false);
  buf_.clear();
  od::document doc;
  if (auto err = parser_.iterate(line.data(), line.size(), capacity).get(doc))
    return LineReject{"", std::string("invalid JSON: ") + simdjson::error_message(err)};
  od::object obj;
  if (doc.get_object().get(obj)) return LineReject{"", "the line is not a JSON object"};
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field))
      return LineReject{"", std::string("invalid JSON: ") + simdjson::error_message(err)};
    std::string_view key;
    if (field.unescaped_key().get(key)) return LineReject{"", "invalid JSON object key"};
    auto idx = column_of(key);
    if (!idx || (jsonb_column_ && *idx == *jsonb_column_)) {
      ++ignored_[std::string(key)];
      continue;  // On-Demand skips the unread value when it moves on
    }
    if (present_[*idx]) return LineReject{std::string(key), "duplicate key \"" + std::string(key) + "\""};
    const Column& c = schema_.columns[*idx];
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type)) return LineReject{c.name, "invalid JSON value"};
    Cell cell;
    cell.begin = static_cast<std::uint32_t>(buf_.size());
    if (type == od::json_type::null) {
      cell.null = true;
    } else if (auto err = convert(value, c)) {
      return LineReject{c.name, *err};
    }
    cell.end = static_cast<std::uint32_t>(buf_.size());
    cells_[*idx] = cell;
    present_[*idx] = true;
  }
  // In bounds after the object means more tokens follow it on this line.
  if (!doc.current_location().error()) return LineReject{"", "invalid JSON: trailing content after the object"};
  if (jsonb_column_) {
    Cell cell;
    cell.begin = static_cast<std::uint32_t>(buf_.size());
    if (format_ == CopyFormat::binary) {
      if (schema_.columns[*jsonb_column_].base_type_oid == oid::jsonb) protocol::put_u8(buf_, protocol::kJsonbVersion);
      buf_ += line;
    } else {
      append_copy_escaped(buf_, line);
    }
    cell.end = static_cast<std::uint32_t>(buf_.size());
    cells_[*jsonb_column_] = cell;
    present_[*jsonb_column_] = true;
  }
  signature_.assign((present_.size() + 63) / 64, 0);
  for (std::size_t i = 0; i < present_.size(); ++i)
    if (present_[i]) signature_[i / 64] |= std::uint64_t{1} << (i % 64);
  return std::nullopt;
}

void RowEncoder::append_row(std::string& out) const {
  if (format_ == CopyFormat::binary) {
    std::int16_t count = 0;
    for (bool p : present_) count = static_cast<std::int16_t>(count + (p ? 1 : 0));
    protocol::put_i16(out, count);
    for (std::size_t i = 0; i < present_.size(); ++i) {
      if (!present_[i]) continue;
      const Cell& c = cells_[i];
      if (c.null) {
        protocol::put_i32(out, -1);
      } else {
        protocol::put_i32(out, static_cast<std::int32_t>(c.end - c.begin));
        out.append(buf_, c.begin, c.end - c.begin);
      }
    }
    return;
  }
  bool first = true;
  for (std::size_t i = 0; i < present_.size(); ++i) {
    if (!present_[i]) continue;
    if (!first) out += '\t';
    first = false;
    const Cell& c = cells_[i];
    if (c.null) out += "\\N";
    else out.append(buf_, c.begin, c.end - c.begin);
  }
  out += '\n';
}

}  // namespace pgstream::load
