#pragma once
// Script variables. Names are resolved to slots once, when scripts are parsed (VariableTable,
// shared by every script of a run, since pgbench's variables belong to the client, not to a
// script); each client then owns a Variables array indexed by slot, so evaluation never looks a
// name up. Text values keep their buffer across assignments, so a client in steady state does
// not allocate.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgstream/bench/value.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

using VarSlot = std::uint32_t;

// pgbench's rule for names given to \set, -D and \gset: letters, digits, '_' and non-ASCII
// bytes, not starting with a digit.
[[nodiscard]] bool valid_variable_name(std::string_view name) noexcept;

class VariableTable {
 public:
  // Predefined by pgbench, always present at these slots.
  static constexpr VarSlot scale = 0;
  static constexpr VarSlot client_id = 1;
  static constexpr VarSlot random_seed = 2;
  static constexpr VarSlot default_seed = 3;

  VariableTable();

  // The slot of `name`, adding it when new. Names are not validated here (a SQL reference may
  // name a variable that nothing defines; it fails at run time, as in pgbench).
  VarSlot intern(std::string_view name);
  [[nodiscard]] std::optional<VarSlot> find(std::string_view name) const noexcept;
  [[nodiscard]] std::string_view name(VarSlot slot) const noexcept { return names_[slot]; }
  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }

  // -D NAME=VALUE: a text value every client starts with (it overrides scale, random_seed and
  // default_seed, not client_id, as in pgbench). Errors on a malformed argument or name.
  [[nodiscard]] Result<void> define(std::string_view name_equals_value);
  [[nodiscard]] const std::vector<std::pair<VarSlot, std::string>>& defines() const noexcept { return defines_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::pair<std::string_view, VarSlot>> sorted_;  // views into names_ strings
  std::vector<std::pair<VarSlot, std::string>> defines_;
};

// One client's values.
class Variables {
 public:
  Variables() = default;
  explicit Variables(std::size_t slots) : vars_(slots) {}
  void resize(std::size_t slots) { vars_.resize(slots); }
  [[nodiscard]] std::size_t size() const noexcept { return vars_.size(); }

  void set(VarSlot slot, Value v) noexcept;
  // Stores text (reusing the slot's buffer); parsed lazily when an expression reads it.
  void set_text(VarSlot slot, std::string_view text);
  void unset(VarSlot slot) noexcept { vars_[slot].state = State::unset; }
  [[nodiscard]] bool is_set(VarSlot slot) const noexcept { return vars_[slot].state != State::unset; }

  // The value for an expression: text is read as pgbench does (null, a boolean word or an
  // unambiguous prefix of one, an integer, a double) and the conversion is kept. Errors on an
  // unset variable or text that is none of these; `name` is only used for the message.
  [[nodiscard]] Result<Value> value(VarSlot slot, std::string_view name);

  // The text for SQL: text as stored, numbers as pgbench prints them (integers in decimal,
  // doubles with %.15g, booleans true/false, NULL as "NULL"). nullopt when unset. Valid until
  // the slot is next assigned.
  [[nodiscard]] std::optional<std::string_view> text(VarSlot slot);
  [[nodiscard]] bool holds_null(VarSlot slot) const noexcept;

 private:
  enum class State : std::uint8_t { unset, value, text };
  struct Slot {
    State state = State::unset;
    bool parsed = false;    // text state: `v` holds the conversion
    bool rendered = false;  // value state: `text_buf` holds the rendering
    Value v;
    std::string text;       // text state
    std::array<char, 32> buf{};
    std::uint8_t buf_len = 0;
  };
  std::vector<Slot> vars_;
};

// `text` in double quotes for a one-line message: quotes, backslashes and control bytes escaped
// (values and column names come from the server and may hold line breaks).
[[nodiscard]] std::string quote_for_message(std::string_view text);

// pgbench's reading of a variable's text as a value (see Variables::value); nullopt if none.
[[nodiscard]] std::optional<Value> parse_variable_text(std::string_view text) noexcept;

}  // namespace pgstream::bench
