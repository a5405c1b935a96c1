// The loader's JSON-line to row converter (load::RowEncoder) for a table with one column of every
// type it supports, in binary and COPY text format, with and without --jsonb-column, --rest-column
// and --map; plus the public JSON-to-text pieces (load/copy_text.hpp) on the same bytes.
//
// Input layout: one options byte (bit 0: COPY text format; bit 1: --jsonb-column doc; bit 2:
// --rest-column extra; bit 3: --map mapped=/user/id and deep=/a/b~1c/0), then lines separated by
// '\n', each encoded with the same encoder, as the loader does. Each line is handed over in a
// buffer of exactly its size + SIMDJSON_PADDING (the encode() contract), so ASan sees any read
// past that.
//
// Invariants:
// - encode() either rejects with a reason, or the appended row is exactly one COPY tuple with one
//   field per column of its signature (InsertBatch::commit_row accepts it, and a walker here
//   agrees), each field well-formed for its column's type: fixed widths, numeric and array
//   headers, inet lengths, valid UTF-8 for text, UTF-8 starting like JSON for json/jsonb;
//   in text format no raw tab or line break inside a field.
// - The outcome of a line does not depend on the lines before it: the lines encoded again in
//   reverse order give the same rejects, signatures and rows.
// - COPY escaping leaves no raw tab or line break and undoes to the input; a JSON string written
//   by append_json_string reads back to the same text; an array literal is braced.

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "pgstream/load/copy_text.hpp"
#include "pgstream/load/insert_batch.hpp"
#include "pgstream/load/insert_statement.hpp"
#include "pgstream/load/row_encoder.hpp"
#include "pgstream/load/table_schema.hpp"
#include "pgstream/protocol/types/oid.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pl = pgstream::load;
namespace od = simdjson::ondemand;
namespace oid = pgstream::protocol::oid;

// ---- the copy_text pieces ----

std::string copy_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    PGSTREAM_FUZZ_CHECK(i + 1 < s.size());
    const char c = s[++i];
    out += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
  }
  return out;
}

void check_text(std::string_view s) {
  std::string copy;
  pl::append_copy_escaped(copy, s);
  PGSTREAM_FUZZ_CHECK(copy.find_first_of("\n\r\t") == std::string::npos);
  PGSTREAM_FUZZ_CHECK(copy_unescape(copy) == s);

  std::string json;
  pl::append_json_string(json, s);
  PGSTREAM_FUZZ_CHECK(json.size() >= 2 && json.front() == '"' && json.back() == '"');
  if (simdjson::validate_utf8(s.data(), s.size())) {
    od::parser parser;
    simdjson::padded_string padded(json);
    od::document doc;
    PGSTREAM_FUZZ_CHECK(!parser.iterate(padded).get(doc));
    std::string_view back;
    PGSTREAM_FUZZ_CHECK(!doc.get_string().get(back));
    PGSTREAM_FUZZ_CHECK(back == s);
  }
}

void visit(od::value v, int depth) {
  od::json_type type;
  if (v.type().get(type)) return;
  switch (type) {
    case od::json_type::array: {
      std::string out = "x";
      if (auto err = pl::append_array_literal(out, v)) {
        pf::touch(*err);
      } else {
        PGSTREAM_FUZZ_CHECK(out.size() >= 3 && out[1] == '{' && out.back() == '}');
      }
      break;
    }
    case od::json_type::object: {
      od::object obj;
      if (v.get_object().get(obj)) return;
      for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return;
        check_text(key);
        od::value child;
        if (field.value().get(child)) return;
        if (depth < 4) visit(child, depth + 1);
      }
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      if (!v.get_string().get(s)) check_text(s);
      break;
    }
    default: {
      std::string_view raw = v.raw_json_token();
      pf::touch(raw);
      break;
    }
  }
}

void fuzz_copy_text(std::string_view text) {
  check_text(text);  // any bytes at all, as a value the loader writes into COPY text
  static od::parser parser;  // one parser for every line, as the loader does
  simdjson::padded_string line(text);
  od::document doc;
  if (parser.iterate(line).get(doc)) return;
  od::value root;
  if (doc.get_value().get(root)) return;
  visit(root, 0);
}

// ---- the row encoder ----

pl::Column column(std::string name, std::uint32_t type, std::string type_name, pl::ColumnKind kind,
                  std::uint32_t element = 0, std::uint32_t base = 0) {
  pl::Column c;
  c.name = std::move(name);
  c.type_oid = type;
  c.base_type_oid = base ? base : type;
  c.element_type_oid = element;
  c.type_name = std::move(type_name);
  c.kind = kind;
  return c;
}

constexpr std::uint32_t kMoodOid = 90001;    // an enum: no binary codec
constexpr std::uint32_t kDomainOid = 90002;  // a domain over bigint

// One column of every type the encoder knows, as read_table_schema would describe them. The enum
// has no binary codec: the binary table leaves it out (marked generated: never loaded), as the
// loader only writes binary for tables whose every column has a codec.
pl::TableSchema make_schema(bool binary) {
  using K = pl::ColumnKind;
  pl::TableSchema s;
  s.qualified_name = binary ? "fuzz_binary" : "fuzz_text";
  auto& c = s.columns;
  c.push_back(column("i2", oid::int2, "smallint", K::number));
  c.push_back(column("i4", oid::int4, "integer", K::number));
  c.push_back(column("i8", oid::int8, "bigint", K::number));
  c.push_back(column("f4", oid::float4, "real", K::number));
  c.push_back(column("f8", oid::float8, "double precision", K::number));
  c.push_back(column("num", oid::numeric, "numeric(10,2)", K::number));
  c.push_back(column("b", oid::bool_, "boolean", K::boolean));
  c.push_back(column("t", oid::text, "text", K::text));
  c.push_back(column("vc", oid::varchar, "character varying(5)", K::text));
  c.push_back(column("ch", oid::bpchar, "character(3)", K::text));
  c.push_back(column("nm", oid::name, "name", K::text));
  c.push_back(column("MixedCase", oid::text, "text", K::text));
  c.push_back(column("u", oid::uuid, "uuid", K::other));
  c.push_back(column("d", oid::date, "date", K::other));
  c.push_back(column("tm", oid::time, "time without time zone", K::other));
  c.push_back(column("ts", oid::timestamp, "timestamp without time zone", K::other));
  c.push_back(column("tz", oid::timestamptz, "timestamp with time zone", K::other));
  c.push_back(column("iv", oid::interval, "interval", K::other));
  c.push_back(column("by", oid::bytea, "bytea", K::other));
  c.push_back(column("j", oid::json, "json", K::json));
  c.push_back(column("jb", oid::jsonb, "jsonb", K::json));
  c.push_back(column("ip", oid::inet, "inet", K::other));
  c.push_back(column("net", oid::cidr, "cidr", K::other));
  c.push_back(column("ai", oid::int4_array, "integer[]", K::array, oid::int4));
  c.push_back(column("at", oid::text_array, "text[]", K::array, oid::text));
  c.push_back(column("anum", oid::numeric_array, "numeric[]", K::array, oid::numeric));
  c.push_back(column("atz", oid::timestamptz_array, "timestamp with time zone[]", K::array, oid::timestamptz));
  c.push_back(column("ab", oid::bool_array, "boolean[]", K::array, oid::bool_));
  c.push_back(column("ajb", oid::jsonb_array, "jsonb[]", K::array, oid::jsonb));
  c.push_back(column("dom", kDomainOid, "positive_bigint", K::number, 0, oid::int8));
  c.push_back(column("mood", kMoodOid, "mood", K::other));
  c.back().generated = binary;
  c.push_back(column("gen", oid::int8, "bigint", K::number));
  c.back().generated = true;
  c.push_back(column("doc", oid::jsonb, "jsonb", K::json));
  c.push_back(column("extra", oid::json, "json", K::json));
  c.push_back(column("mapped", oid::int8, "bigint", K::number));
  c.push_back(column("deep", oid::text, "text", K::text));
  return s;
}

const pl::TableSchema& schema_for(pl::CopyFormat format) {
  static const pl::TableSchema binary = make_schema(true);
  static const pl::TableSchema text = make_schema(false);
  return format == pl::CopyFormat::binary ? binary : text;
}

std::uint32_t be32(const char* p) {
  std::uint32_t u;
  std::memcpy(&u, p, 4);
  if constexpr (std::endian::native == std::endian::little) u = std::byteswap(u);
  return u;
}
std::uint16_t be16(const char* p) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]));
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

// What the encoder promises for a json/jsonb field: UTF-8 text that starts like a JSON value.
// (Lines whose raw-copied values On-Demand did not read are validated whole by the encoder; see
// FuzzRegressions.InvalidJson*.)
bool plausible_json(std::string_view s) {
  return !s.empty() && std::string_view("{[\"-0123456789tfn").find(s.front()) != std::string_view::npos &&
         valid_utf8(s);
}

// The binary value of one non-NULL field (length already checked) for type `t`.
void check_binary_value(std::string_view v, std::uint32_t t) {
  switch (t) {
    case oid::bool_:
      PGSTREAM_FUZZ_CHECK(v.size() == 1 && (v[0] == 0 || v[0] == 1));
      return;
    case oid::int2: PGSTREAM_FUZZ_CHECK(v.size() == 2); return;
    case oid::int4: case oid::float4: case oid::date: PGSTREAM_FUZZ_CHECK(v.size() == 4); return;
    case oid::int8: case oid::float8: case oid::time: case oid::timestamp: case oid::timestamptz:
      PGSTREAM_FUZZ_CHECK(v.size() == 8);
      return;
    case oid::uuid: case oid::interval: PGSTREAM_FUZZ_CHECK(v.size() == 16); return;
    case oid::numeric: {
      PGSTREAM_FUZZ_CHECK(v.size() >= 8);
      const std::size_t ndigits = be16(v.data());
      PGSTREAM_FUZZ_CHECK(v.size() == 8 + 2 * ndigits);
      const std::uint16_t sign = be16(v.data() + 4);
      PGSTREAM_FUZZ_CHECK(sign == 0 || sign == 0x4000 || sign == 0xC000 || sign == 0xD000 || sign == 0xF000);
      for (std::size_t i = 0; i < ndigits; ++i) PGSTREAM_FUZZ_CHECK(be16(v.data() + 8 + 2 * i) < 10000);
      return;
    }
    case oid::inet: case oid::cidr: {
      PGSTREAM_FUZZ_CHECK(v.size() == 8 || v.size() == 20);
      const auto family = static_cast<unsigned char>(v[0]), bits = static_cast<unsigned char>(v[1]);
      const std::size_t addr = static_cast<unsigned char>(v[3]);
      PGSTREAM_FUZZ_CHECK((family == 2 && addr == 4) || (family == 3 && addr == 16));
      PGSTREAM_FUZZ_CHECK(v.size() == 4 + addr && bits <= addr * 8);
      PGSTREAM_FUZZ_CHECK(v[2] == (t == oid::cidr ? 1 : 0));
      return;
    }
    case oid::text: case oid::varchar: case oid::bpchar: case oid::name:
      PGSTREAM_FUZZ_CHECK(valid_utf8(v));
      return;
    case oid::json:
      PGSTREAM_FUZZ_CHECK(plausible_json(v));
      return;
    case oid::jsonb:
      PGSTREAM_FUZZ_CHECK(!v.empty() && v[0] == 1);
      PGSTREAM_FUZZ_CHECK(plausible_json(v.substr(1)));
      return;
    default:
      pf::touch(v);  // bytea: any bytes
      return;
  }
}

void check_binary_array(std::string_view v, const pl::Column& c) {
  PGSTREAM_FUZZ_CHECK(v.size() >= 12);
  const std::uint32_t ndim = be32(v.data()), has_null = be32(v.data() + 4), element = be32(v.data() + 8);
  PGSTREAM_FUZZ_CHECK(element == c.element_type_oid);
  if (ndim == 0) {
    PGSTREAM_FUZZ_CHECK(v.size() == 12 && has_null == 0);
    return;
  }
  PGSTREAM_FUZZ_CHECK(ndim == 1 && has_null <= 1 && v.size() >= 20);
  const std::uint32_t count = be32(v.data() + 12);
  PGSTREAM_FUZZ_CHECK(count > 0 && be32(v.data() + 16) == 1);
  std::size_t at = 20;
  bool saw_null = false;
  for (std::uint32_t i = 0; i < count; ++i) {
    PGSTREAM_FUZZ_CHECK(v.size() - at >= 4);
    const auto len = static_cast<std::int32_t>(be32(v.data() + at));
    at += 4;
    PGSTREAM_FUZZ_CHECK(len >= -1);
    if (len == -1) {
      saw_null = true;
      continue;
    }
    PGSTREAM_FUZZ_CHECK(v.size() - at >= static_cast<std::size_t>(len));
    check_binary_value(v.substr(at, static_cast<std::size_t>(len)), element);
    at += static_cast<std::size_t>(len);
  }
  PGSTREAM_FUZZ_CHECK(at == v.size());
  PGSTREAM_FUZZ_CHECK(saw_null == (has_null == 1));
}

std::vector<std::size_t> present_columns(const std::vector<std::uint64_t>& signature, std::size_t columns) {
  std::vector<std::size_t> out;
  PGSTREAM_FUZZ_CHECK(signature.size() == (columns + 63) / 64);
  for (std::size_t i = 0; i < signature.size() * 64; ++i) {
    if (!(signature[i / 64] >> (i % 64) & 1)) continue;
    PGSTREAM_FUZZ_CHECK(i < columns);
    out.push_back(i);
  }
  return out;
}

// Walks one tuple as the server would read it, field by field.
void check_tuple(std::string_view row, pl::CopyFormat format, const pl::TableSchema& schema,
                 const std::vector<std::size_t>& present) {
  if (format == pl::CopyFormat::binary) {
    PGSTREAM_FUZZ_CHECK(row.size() >= 2 && be16(row.data()) == present.size());
    std::size_t at = 2;
    for (std::size_t idx : present) {
      const pl::Column& c = schema.columns[idx];
      PGSTREAM_FUZZ_CHECK(!c.generated);
      PGSTREAM_FUZZ_CHECK(row.size() - at >= 4);
      const auto len = static_cast<std::int32_t>(be32(row.data() + at));
      at += 4;
      PGSTREAM_FUZZ_CHECK(len >= -1);
      if (len == -1) continue;
      PGSTREAM_FUZZ_CHECK(row.size() - at >= static_cast<std::size_t>(len));
      const std::string_view v = row.substr(at, static_cast<std::size_t>(len));
      at += static_cast<std::size_t>(len);
      if (c.element_type_oid != 0) check_binary_array(v, c);
      else check_binary_value(v, c.base_type_oid);
    }
    PGSTREAM_FUZZ_CHECK(at == row.size());
    return;
  }
  PGSTREAM_FUZZ_CHECK(!row.empty() && row.back() == '\n');
  std::string_view body = row.substr(0, row.size() - 1);
  PGSTREAM_FUZZ_CHECK(body.find_first_of("\r\n") == std::string_view::npos);
  if (present.empty()) {  // a line with no known key: an empty row, which the loader refuses
    PGSTREAM_FUZZ_CHECK(body.empty());
    return;
  }
  std::size_t field = 0;
  while (true) {
    const std::size_t tab = body.find('\t');
    const std::string_view v = body.substr(0, tab);
    PGSTREAM_FUZZ_CHECK(field < present.size());
    const pl::Column& c = schema.columns[present[field]];
    PGSTREAM_FUZZ_CHECK(!c.generated);
    if (v != "\\N") {
      const std::string plain = copy_unescape(v);
      PGSTREAM_FUZZ_CHECK(valid_utf8(plain));
      if (c.kind == pl::ColumnKind::json) PGSTREAM_FUZZ_CHECK(plausible_json(plain));
    }
    ++field;
    if (tab == std::string_view::npos) break;
    body.remove_prefix(tab + 1);
  }
  PGSTREAM_FUZZ_CHECK(field == present.size());
}

struct Outcome {
  std::optional<pl::LineReject> reject;
  std::vector<std::uint64_t> signature;
  std::string row;
  bool operator==(const Outcome& o) const {
    const bool same_reject = reject.has_value() == o.reject.has_value() &&
                             (!reject || (reject->column == o.reject->column && reject->reason == o.reject->reason));
    return same_reject && signature == o.signature && row == o.row;
  }
};

Outcome encode_line(pl::RowEncoder& encoder, std::string_view line) {
  // Exactly the padding the contract asks for, in an allocation of its own: ASan flags a read
  // past it.
  std::vector<char> padded(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  std::copy(line.begin(), line.end(), padded.begin());
  Outcome out;
  out.reject = encoder.encode(std::string_view(padded.data(), line.size()), padded.size());
  if (out.reject) {
    PGSTREAM_FUZZ_CHECK(!out.reject->reason.empty());
    return out;
  }
  out.signature = encoder.signature();
  encoder.append_row(out.row);
  return out;
}

void check_row(const Outcome& o, pl::CopyFormat format, const pl::TableSchema& schema) {
  const auto present = present_columns(o.signature, schema.columns.size());
  check_tuple(o.row, format, schema, present);
  if (present.empty()) return;  // a line of only unknown keys: nothing to insert
  // The loader's insert mode takes the same tuple: it must accept it as one row of these columns.
  pl::InsertStatement statement;
  statement.shape = pl::InsertShape::values;
  statement.format = format;
  statement.columns = present;
  pl::InsertBatch batch(statement);
  batch.row_sink() += o.row;
  auto committed = batch.commit_row();
  if (!committed) pf::check_error(committed.error());
  PGSTREAM_FUZZ_CHECK(committed.has_value() && batch.rows() == 1);
  std::string wire;
  auto encoded = batch.encode(wire, "fuzz");
  PGSTREAM_FUZZ_CHECK(encoded.has_value() && !wire.empty());
}

void fuzz_row_encoder(pf::Input& in) {
  const std::uint8_t options = in.u8();
  const auto format = (options & 1) ? pl::CopyFormat::text : pl::CopyFormat::binary;
  const pl::TableSchema& schema = schema_for(format);
  PGSTREAM_FUZZ_CHECK(pl::RowEncoder::binary_supported(schema) == (format == pl::CopyFormat::binary));
  std::vector<std::string> maps;
  if (options & 8) maps = {"mapped=/user/id", "deep=/a/b~1c/0"};
  auto resolved = pl::resolve_encoder_options(schema, format, maps, (options & 2) ? "doc" : "",
                                              (options & 4) ? "extra" : "");
  PGSTREAM_FUZZ_CHECK(resolved.has_value());

  std::vector<std::string_view> lines;
  std::string_view rest = in.rest_text();
  while (lines.size() < 16) {
    const std::size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }

  pl::RowEncoder encoder(schema, *resolved);
  PGSTREAM_FUZZ_CHECK(encoder.format() == format);
  std::vector<Outcome> outcomes;
  for (std::string_view line : lines) {
    outcomes.push_back(encode_line(encoder, line));
    if (!outcomes.back().reject) check_row(outcomes.back(), format, schema);
  }
  for (std::size_t i = lines.size(); i-- > 0;) PGSTREAM_FUZZ_CHECK(encode_line(encoder, lines[i]) == outcomes[i]);
  for (const auto& [key, count] : encoder.ignored_keys()) {
    pf::touch(key);
    PGSTREAM_FUZZ_CHECK(count > 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pf::Input in(data, size);
  fuzz_row_encoder(in);
  if (size > 0) fuzz_copy_text(pf::as_text(data + 1, size - 1));
  return 0;
}
