#include "pgstream/bench/variables.hpp"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace pgstream::bench {
namespace {

bool is_name_start(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_name_char(unsigned char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive: is `s` a non-empty prefix of `word` at least `min_len` long?
bool prefix_of(std::string_view s, std::string_view word, std::size_t min_len) noexcept {
  if (s.size() < min_len || s.size() > word.size()) return false;
  for (std::size_t k = 0; k < s.size(); ++k)
    if (lower(s[k]) != word[k]) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string quote_for_message(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool valid_variable_name(std::string_view name) noexcept {
  if (name.empty() || !is_name_start(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(static_cast<unsigned char>(c)); });
}

std::optional<Value> parse_variable_text(std::string_view text) noexcept {
  const std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (s.size() == 4 && prefix_of(s, "null", 4)) return Value::null();
  if (prefix_of(s, "true", 1) || prefix_of(s, "yes", 1) || prefix_of(s, "on", 2)) return Value::boolean(true);
  if (prefix_of(s, "false", 1) || prefix_of(s, "no", 1) || prefix_of(s, "off", 2)) return Value::boolean(false);
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  std::int64_t iv = 0;
  auto [ip, iec] = std::from_chars(digits.data(), digits.data() + digits.size(), iv);
  if (iec == std::errc{} && ip == digits.data() + digits.size() && !digits.empty() && digits[0] != '+') {
    return Value::integer(iv);
  }
  double dv = 0;
  auto [dp, dec] = std::from_chars(digits.data(), digits.data() + digits.size(), dv);
  if (dec == std::errc{} && dp == digits.data() + digits.size() && !digits.empty() && digits[0] != '+') {
    return Value::real(dv);
  }
  return std::nullopt;
}

VariableTable::VariableTable() {
  for (std::string_view n : {"scale", "client_id", "random_seed", "default_seed"}) intern(n);
}

VarSlot VariableTable::intern(std::string_view name) {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it != sorted_.end() && it->first == name) return it->second;
  const auto slot = static_cast<VarSlot>(names_.size());
  // names_ may reallocate, moving short strings' inline storage: rebuild the views.
  names_.emplace_back(name);
  sorted_.clear();
  for (VarSlot k = 0; k < names_.size(); ++k) sorted_.emplace_back(names_[k], k);
  std::sort(sorted_.begin(), sorted_.end());
  return slot;
}

std::optional<VarSlot> VariableTable::find(std::string_view name) const noexcept {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it != sorted_.end() && it->first == name) return it->second;
  return std::nullopt;
}

Result<void> VariableTable::define(std::string_view arg) {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return make_error(ErrorCategory::config, "invalid variable definition: " + quote_for_message(arg) + " (expected NAME=VALUE)");
  }
  const std::string_view name = arg.substr(0, eq);
  if (!valid_variable_name(name)) {
    return make_error(ErrorCategory::config, "invalid variable name: " + quote_for_message(name));
  }
  const VarSlot slot = intern(name);
  for (auto& d : defines_) {
    if (d.first == slot) {
      d.second = std::string(arg.substr(eq + 1));
      return {};
    }
  }
  defines_.emplace_back(slot, std::string(arg.substr(eq + 1)));
  return {};
}

void Variables::set(VarSlot slot, Value v) noexcept {
  Slot& s = vars_[slot];
  s.state = State::value;
  s.v = v;
  s.rendered = false;
}

void Variables::set_text(VarSlot slot, std::string_view text) {
  Slot& s = vars_[slot];
  s.state = State::text;
  s.text.assign(text);
  s.parsed = false;
}

Result<Value> Variables::value(VarSlot slot, std::string_view name) {
  Slot& s = vars_[slot];
  switch (s.state) {
    case State::unset:
      return make_error(ErrorCategory::config, "undefined variable \"" + std::string(name) + "\"");
    case State::value:
      return s.v;
    case State::text:
      if (!s.parsed) {
        const auto v = parse_variable_text(s.text);
        if (!v) {
          return make_error(ErrorCategory::config,
                            "malformed variable \"" + std::string(name) + "\" value: " + quote_for_message(s.text));
        }
        s.v = *v;
        s.parsed = true;
      }
      return s.v;
  }
  return Value::null();
}

bool Variables::holds_null(VarSlot slot) const noexcept {
  const Slot& s = vars_[slot];
  return s.state == State::value && s.v.type == ValueType::null;
}

std::optional<std::string_view> Variables::text(VarSlot slot) {
  Slot& s = vars_[slot];
  if (s.state == State::unset) return std::nullopt;
  if (s.state == State::text) return std::string_view(s.text);
  if (!s.rendered) {
    int n = 0;
    switch (s.v.type) {
      case ValueType::null: n = std::snprintf(s.buf.data(), s.buf.size(), "NULL"); break;
      case ValueType::boolean: n = std::snprintf(s.buf.data(), s.buf.size(), "%s", s.v.b ? "true" : "false"); break;
      case ValueType::integer: {
        auto [p, ec] = std::to_chars(s.buf.data(), s.buf.data() + s.buf.size(), s.v.i);
        n = ec == std::errc{} ? static_cast<int>(p - s.buf.data()) : 0;
        break;
      }
      case ValueType::real: n = std::snprintf(s.buf.data(), s.buf.size(), "%.*g", DBL_DIG, s.v.d); break;
    }
    s.buf_len = static_cast<std::uint8_t>(std::clamp(n, 0, static_cast<int>(s.buf.size()) - 1));
    s.rendered = true;
  }
  return std::string_view(s.buf.data(), s.buf_len);
}

}  // namespace pgstream::bench
