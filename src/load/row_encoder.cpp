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

Result<EncoderOptions> resolve_encoder_options(const TableSchema& schema, CopyFormat format,
                                              const std::vector<std::string>& maps, const std::string& jsonb_column,
                                              const std::string& rest_column) {
  EncoderOptions o;
  o.format = format;
  auto json_column = [&](const std::string& name, const char* flag) -> Result<std::size_t> {
    auto idx = schema.find(name);
    if (!idx) return make_error(ErrorCategory::config, std::string(flag) + " " + name + ": no such column in " + schema.qualified_name);
    const auto t = schema.columns[*idx].base_type_oid;
    if (t != oid::json && t != oid::jsonb && !is_text_type(t))
      return make_error(ErrorCategory::config, std::string(flag) + " " + name + ": the column is " +
                                                   schema.columns[*idx].type_name + ", not json, jsonb or text");
    return *idx;
  };
  if (!jsonb_column.empty()) {
    auto idx = json_column(jsonb_column, "--jsonb-column");
    if (!idx) return std::unexpected(idx.error());
    o.jsonb_column = *idx;
  }
  if (!rest_column.empty()) {
    auto idx = json_column(rest_column, "--rest-column");
    if (!idx) return std::unexpected(idx.error());
    if (o.jsonb_column == *idx) return make_error(ErrorCategory::config, "--rest-column and --jsonb-column name the same column");
    o.rest_column = *idx;
  }
  for (const std::string& m : maps) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(ErrorCategory::config, "--map " + m + ": expected COLUMN=/json/pointer");
    const std::string name = m.substr(0, eq), pointer = m.substr(eq + 1);
    auto idx = schema.find(name);
    if (!idx) return make_error(ErrorCategory::config, "--map " + m + ": no column " + name + " in " + schema.qualified_name);
    if (pointer.empty() || pointer[0] != '/')
      return make_error(ErrorCategory::config, "--map " + m + ": a JSON pointer starts with '/' (RFC 6901), e.g. /user/id");
    for (std::size_t i = 0; i < pointer.size(); ++i)
      if (pointer[i] == '~' && (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')))
        return make_error(ErrorCategory::config, "--map " + m + ": '~' in a JSON pointer must be ~0 or ~1");
    if (*idx == o.jsonb_column || *idx == o.rest_column)
      return make_error(ErrorCategory::config, "--map " + m + ": that column already holds the whole line or the rest");
    for (const auto& other : o.maps)
      if (other.column == *idx) return make_error(ErrorCategory::config, "--map " + m + ": column " + name + " is mapped twice");
    o.maps.push_back({*idx, pointer});
  }
  return o;
}

RowEncoder::RowEncoder(const TableSchema& schema, EncoderOptions options)
    : schema_(schema), options_(std::move(options)) {
  // simdjson's default depth (1024) is far below what the server takes (5000 levels load; its
  // own limit is its stack, ~10^5); past 100,000 the line is refused here as too deep.
  // (Should it fail, parse() allocates later with the default depth.)
  [[maybe_unused]] const auto allocated = validator_.allocate(4096, 100'000);
  cells_.resize(schema.columns.size());
  present_.resize(schema.columns.size());
  mapped_.resize(schema.columns.size());
  for (const auto& m : options_.maps) {
    mapped_[m.column] = true;
    // The pointer's first reference token, unescaped (~1 is '/', ~0 is '~').
    std::string root;
    const std::string_view p = std::string_view(m.pointer).substr(1);
    for (std::size_t i = 0; i < p.size() && p[i] != '/'; ++i) {
      if (p[i] == '~' && i + 1 < p.size()) root += p[++i] == '1' ? '/' : '~';
      else root += p[i];
    }
    map_roots_.push_back(std::move(root));
  }
}

std::map<std::string, std::uint64_t> RowEncoder::ignored_keys() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [key, info] : keys_)
    if (info.ignored) out.emplace(key, info.ignored);
  if (overflow_key_.ignored) out.emplace("(other keys)", overflow_key_.ignored);
  return out;
}

std::uint64_t RowEncoder::ignored_key_count() const noexcept {
  std::uint64_t n = overflow_key_.ignored;
  for (const auto& [key, info] : keys_) n += info.ignored;
  return n;
}

bool RowEncoder::binary_supported(const TableSchema& schema) {
  for (const Column& c : schema.columns) {
    if (c.generated) continue;
    const std::uint32_t t = c.element_type_oid ? c.element_type_oid : c.base_type_oid;
    if (!has_binary_codec(t)) return false;
  }
  return true;
}

RowEncoder::KeyInfo* RowEncoder::key_info(std::string_view key) {
  if (auto it = keys_.find(key); it != keys_.end()) return &it->second;
  KeyInfo info;
  auto idx = schema_.find(key);
  if (idx && !mapped_[*idx] && *idx != options_.jsonb_column && *idx != options_.rest_column) info.column = idx;
  for (const auto& root : map_roots_) info.map_root |= root == key;
  // A line with a new key name on every line must not grow memory without bound.
  if (keys_.size() >= kMaxDistinctKeys) {
    overflow_key_.column = info.column;
    overflow_key_.map_root = info.map_root;
    return &overflow_key_;
  }
  return &keys_.emplace(std::string(key), info).first->second;
}

void RowEncoder::add_cell(std::size_t column, std::size_t begin) {
  cells_[column] = Cell{static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(buf_.size()), false};
  present_[column] = true;
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
  if (options_.format == CopyFormat::text) return convert_text(v, type, c);
  if (c.element_type_oid != 0 && c.base_type_oid != oid::json && c.base_type_oid != oid::jsonb) {
    if (type != od::json_type::array) return "expected a JSON array for column of type " + c.type_name;
    return convert_binary_array(v, c);
  }
  return convert_binary(v, type, c.base_type_oid, c);
}

namespace {
// Columns whose conversion reads (and so validates) a JSON number or boolean token; others keep a
// scalar's raw text.
bool reads_scalars(const Column& c) {
  switch (c.base_type_oid) {
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::float4:
    case oid::float8:
    case oid::numeric:
    case oid::bool_: return true;
    default: return false;
  }
}
}  // namespace

std::optional<LineReject> RowEncoder::encode(std::string_view line, std::size_t capacity) {
  std::fill(present_.begin(), present_.end(), false);
  unchecked_ = false;
  buf_.clear();
  if (options_.rest_column) rest_.assign("{");
  od::document doc;
  if (auto err = parser_.iterate(line.data(), line.size(), capacity).get(doc))
    return LineReject{"", std::string("invalid JSON: ") + simdjson::error_message(err)};
  od::object obj;
  if (doc.get_object().get(obj)) return LineReject{"", "the line is not a JSON object"};
  std::size_t position = 0;
  for (auto field_result : obj) {
    od::field field;
    if (auto err = std::move(field_result).get(field))
      return LineReject{"", std::string("invalid JSON: ") + simdjson::error_message(err)};
    std::string_view key;
    if (field.unescaped_key().get(key)) return LineReject{"", "invalid JSON object key"};
    // Lines of one file mostly repeat their keys in the same order: compare with the key seen at
    // this position last time before hashing.
    KeyInfo* info;
    if (position < recent_keys_.size() && recent_keys_[position].first == key) {
      info = recent_keys_[position].second;
    } else {
      info = key_info(key);
      if (position < kRecentKeys && info != &overflow_key_) {  // that one is reused for other keys
        if (position >= recent_keys_.size()) recent_keys_.resize(position + 1);
        recent_keys_[position].first.assign(key);
        recent_keys_[position].second = info;
      }
    }
    ++position;
    if (!info->column) {
      unchecked_ = true;
      if (info->map_root) continue;  // read through its --map pointer below
      if (!options_.rest_column) {
        ++info->ignored;
        continue;  // On-Demand skips the unread value when it moves on
      }
      od::value value = field.value();
      od::json_type type;
      if (value.type().get(type)) return LineReject{std::string(key), "invalid JSON value"};
      auto raw = raw_json_of(value, type);
      if (!raw) return LineReject{std::string(key), "invalid JSON value"};
      if (rest_.size() > 1) rest_ += ',';
      append_json_string(rest_, key);
      rest_ += ':';
      rest_ += *raw;
      continue;
    }
    const std::size_t idx = *info->column;
    if (present_[idx]) return LineReject{std::string(key), "duplicate key \"" + std::string(key) + "\""};
    const Column& c = schema_.columns[idx];
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type)) return LineReject{c.name, "invalid JSON value"};
    // json/jsonb columns (objects, arrays, the rest column, --jsonb-column) are validated by the
    // server's input function, which refuses the row; a scalar's raw text into another column
    // (a number into text) is not, and needs the check here.
    if ((type == od::json_type::number || type == od::json_type::boolean) && !reads_scalars(c) &&
        c.kind != ColumnKind::json)
      unchecked_ = true;
    const std::size_t begin = buf_.size();
    if (type != od::json_type::null) {
      if (auto err = convert(value, c)) return LineReject{c.name, *err};
    }
    add_cell(idx, begin);
    cells_[idx].null = type == od::json_type::null;
  }
  // In bounds after the object means more tokens follow it on this line.
  if (!doc.current_location().error()) return LineReject{"", "invalid JSON: trailing content after the object"};
  if (!options_.maps.empty()) {
    if (auto rej = encode_maps(doc)) return rej;
  }
  if (unchecked_) {
    if (auto err = validator_.parse(line.data(), line.size(), false).error())
      return LineReject{"", std::string("invalid JSON: ") + simdjson::error_message(err)};
  }
  const bool binary = options_.format == CopyFormat::binary;
  auto put_json = [&](std::size_t column, std::string_view text) {
    const std::size_t begin = buf_.size();
    if (binary) {
      if (schema_.columns[column].base_type_oid == oid::jsonb) protocol::put_u8(buf_, protocol::kJsonbVersion);
      buf_ += text;
    } else {
      append_copy_escaped(buf_, text);
    }
    add_cell(column, begin);
  };
  if (options_.jsonb_column) put_json(*options_.jsonb_column, line);
  if (options_.rest_column) {
    rest_ += '}';
    put_json(*options_.rest_column, rest_);
  }
  signature_.assign((present_.size() + 63) / 64, 0);
  for (std::size_t i = 0; i < present_.size(); ++i)
    if (present_[i]) signature_[i / 64] |= std::uint64_t{1} << (i % 64);
  return std::nullopt;
}

std::optional<LineReject> RowEncoder::encode_maps(od::document& doc) {
  for (const auto& m : options_.maps) {
    const Column& c = schema_.columns[m.column];
    od::value value;
    const auto err = doc.at_pointer(m.pointer).get(value);
    // A path that is not there leaves the column to its DEFAULT, like an absent key.
    if (err == simdjson::NO_SUCH_FIELD || err == simdjson::INDEX_OUT_OF_BOUNDS) continue;
    if (err == simdjson::INCORRECT_TYPE || err == simdjson::INVALID_JSON_POINTER)
      return LineReject{c.name, "--map " + m.pointer + ": the path goes through a value that is not an object or array"};
    if (err) return LineReject{c.name, "--map " + m.pointer + ": " + simdjson::error_message(err)};
    od::json_type type;
    if (value.type().get(type)) return LineReject{c.name, "invalid JSON value"};
    const std::size_t begin = buf_.size();
    if (type != od::json_type::null) {
      if (auto e = convert(value, c)) return LineReject{c.name, *e};
    }
    add_cell(m.column, begin);
    cells_[m.column].null = type == od::json_type::null;
  }
  return std::nullopt;
}

void RowEncoder::append_row(std::string& out) const {
  if (options_.format == CopyFormat::binary) {
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
