#include "pgstream/load/copy_text.hpp"

namespace pgstream::load {

void append_copy_escaped(std::string& out, std::string_view s) {
  std::size_t run = 0;  // start of the current stretch that needs no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default: continue;
    }
    out.append(s.data() + run, i - run);
    out.append(esc, 2);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

namespace {

void append_array_element_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::optional<std::string> append_array_literal(std::string& out, simdjson::ondemand::value array) {
  namespace od = simdjson::ondemand;
  od::array arr;
  if (array.get_array().get(arr)) return "invalid JSON array";
  out += '{';
  bool first = true;
  for (auto element_result : arr) {
    od::value v;
    if (element_result.get(v)) return "invalid JSON array element";
    if (!first) out += ',';
    first = false;
    od::json_type type;
    if (v.type().get(type)) return "invalid JSON array element";
    switch (type) {
      case od::json_type::null: out += "NULL"; break;
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return "invalid JSON string in array";
        append_array_element_string(out, s);
        break;
      }
      case od::json_type::number: {
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r'))
          raw.remove_suffix(1);
        out += raw;
        break;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (v.get_bool().get(b)) return "invalid JSON boolean in array";
        out += b ? "true" : "false";
        break;
      }
      case od::json_type::array:
        if (auto err = append_array_literal(out, v)) return err;
        break;
      case od::json_type::object: {
        std::string_view raw;
        simdjson::ondemand::object obj;
        if (v.get_object().get(obj) || obj.raw_json().get(raw)) return "invalid JSON object in array";
        append_array_element_string(out, raw);
        break;
      }
    }
  }
  out += '}';
  return std::nullopt;
}

}  // namespace pgstream::load
