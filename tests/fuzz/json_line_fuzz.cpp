// The loader's JSON-to-text pieces that are public (load/copy_text.hpp), on arbitrary JSON lines
// parsed with simdjson On-Demand as the loader parses them. The loader's full line-to-row
// converter lives inside src/load/loader.cpp and is not reachable from here yet.
//
// Invariants: COPY escaping leaves no raw tab or line break and undoes to the input; a JSON string
// written by append_json_string reads back (as simdjson sees it) to the same text; an array
// literal is braced.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "pgstream/load/copy_text.hpp"

namespace {

namespace pf = pgstream::fuzz;
namespace pl = pgstream::load;
namespace od = simdjson::ondemand;

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = pf::as_text(data, size);
  check_text(text);  // any bytes at all, as a value the loader writes into COPY text

  static od::parser parser;  // one parser for every line, as the loader does
  simdjson::padded_string line(text);
  od::document doc;
  if (parser.iterate(line).get(doc)) return 0;
  od::value root;
  if (doc.get_value().get(root)) return 0;
  visit(root, 0);
  return 0;
}
