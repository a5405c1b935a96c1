// Parser of pgbench script files: SQL commands (scanned like psql does, to find where each one
// ends and which ":name" are variable references) and backslash meta commands.

#include <charconv>
#include <climits>
#include <string>
#include <vector>

#include "pgstream/bench/script.hpp"

namespace pgstream::bench {
namespace {

bool is_ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool is_ident_char(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool is_var_char(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

struct ParseFail {
  std::size_t offset;  // into the script text
  std::string message;
};

class ScriptParser {
 public:
  ScriptParser(std::string_view name, std::string_view text, VariableTable& vars)
      : name_(name), s_(text), vars_(vars) {}

  Result<Script> run() {
    script_.name = std::string(name_);
    if (!parse_all()) return std::unexpected(error_at(fail_.offset, fail_.message));
    if (script_.commands.empty()) {
      return make_error(ErrorCategory::config, "script " + std::string(name_) + " contains no commands");
    }
    return std::move(script_);
  }

 private:
  // ---- errors ----
  bool fail(std::size_t offset, std::string message) {
    fail_ = {offset, std::move(message)};
    return false;
  }
  Error error_at(std::size_t offset, const std::string& message) const {
    std::size_t line = 1, col = 1;
    for (std::size_t k = 0; k < offset && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Error(ErrorCategory::config, "script " + std::string(name_) + " line " + std::to_string(line) + " column " +
                                            std::to_string(col) + ": " + message);
  }
  std::uint32_t line_of(std::size_t offset) const {
    std::uint32_t line = 1;
    for (std::size_t k = 0; k < offset && k < s_.size(); ++k) line += s_[k] == '\n';
    return line;
  }

  // ---- SQL ----
  struct Sql {
    std::string text;
    std::vector<SqlPiece> pieces;
    std::uint32_t statements = 1;
    std::size_t start = 0;
    std::size_t literal_from = 0;  // start of the current literal piece in text
    int paren = 0;
    void put(char c) { text.push_back(c); }
    void put(std::string_view v) { text.append(v); }
  };

  void reset_sql() {
    sql_ = Sql{};
  }

  void close_literal() {
    if (sql_.text.size() > sql_.literal_from) {
      sql_.pieces.push_back(SqlPiece{static_cast<std::uint32_t>(sql_.literal_from),
                                     static_cast<std::uint32_t>(sql_.text.size() - sql_.literal_from), false, 0});
    }
    sql_.literal_from = sql_.text.size();
  }

  bool finish_sql() {
    // Trailing white space is not part of the command.
    std::size_t end = sql_.text.size();
    while (end > 0 && is_space(sql_.text[end - 1])) --end;
    if (end == 0) {
      reset_sql();
      return true;
    }
    sql_.text.resize(end);
    if (sql_.literal_from > end) sql_.literal_from = end;
    close_literal();
    Command cmd;
    cmd.kind = CommandKind::sql;
    cmd.line = line_of(sql_.start);
    SqlCommand& q = cmd.sql;
    q.text = std::move(sql_.text);
    q.statements = sql_.statements;
    for (SqlPiece p : sql_.pieces) {
      if (p.offset >= q.text.size()) continue;
      if (p.offset + p.length > q.text.size()) p.length = static_cast<std::uint32_t>(q.text.size() - p.offset);
      q.pieces.push_back(p);
      if (p.is_variable) {
        q.params.push_back(p.slot);
        q.parameterized += '$';
        q.parameterized += std::to_string(q.params.size());
      } else {
        q.parameterized.append(q.text, p.offset, p.length);
      }
    }
    if (q.params.size() > 65535) return fail(sql_.start, "too many variable references in one SQL command (maximum is 65535)");
    script_.commands.push_back(std::move(cmd));
    reset_sql();
    return true;
  }

  // Copies s_[pos_, end) into the SQL text.
  void copy_to(std::size_t end) {
    sql_.put(s_.substr(pos_, end - pos_));
    pos_ = end;
  }

  bool scan_quoted(char quote, bool backslash_escapes) {
    const std::size_t start = pos_;
    std::size_t k = pos_ + 1;
    while (k < s_.size()) {
      if (backslash_escapes && s_[k] == '\\' && k + 1 < s_.size()) {
        k += 2;
        continue;
      }
      if (s_[k] == quote) {
        if (k + 1 < s_.size() && s_[k + 1] == quote) {
          k += 2;
          continue;
        }
        copy_to(k + 1);
        return true;
      }
      ++k;
    }
    return fail(start, quote == '"' ? "unterminated quoted identifier" : "unterminated quoted string");
  }

  // At '$': a dollar-quoted string, or just a '$'.
  bool scan_dollar() {
    const std::size_t start = pos_;
    std::size_t k = pos_ + 1;
    if (k < s_.size() && is_ident_start(static_cast<unsigned char>(s_[k]))) {
      while (k < s_.size() && is_var_char(static_cast<unsigned char>(s_[k]))) ++k;
    }
    if (k >= s_.size() || s_[k] != '$') {
      copy_to(pos_ + 1);
      return true;
    }
    const std::string_view tag = s_.substr(start, k + 1 - start);
    const std::size_t close = s_.find(tag, k + 1);
    if (close == std::string_view::npos) return fail(start, "unterminated dollar-quoted string");
    copy_to(close + tag.size());
    return true;
  }

  bool scan_block_comment(bool keep) {
    const std::size_t start = pos_;
    std::size_t k = pos_ + 2;
    int depth = 1;
    while (k < s_.size() && depth > 0) {
      if (s_[k] == '/' && k + 1 < s_.size() && s_[k + 1] == '*') {
        ++depth;
        k += 2;
      } else if (s_[k] == '*' && k + 1 < s_.size() && s_[k + 1] == '/') {
        --depth;
        k += 2;
      } else {
        ++k;
      }
    }
    if (depth > 0) return fail(start, "unterminated /* comment");
    if (keep) {
      copy_to(k);
    } else {
      pos_ = k;
    }
    return true;
  }

  bool parse_all() {
    reset_sql();
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      const char n = pos_ + 1 < s_.size() ? s_[pos_ + 1] : '\0';
      const bool empty = sql_.text.empty();
      if (empty && is_space(c)) {
        ++pos_;
        continue;
      }
      if (c == '-' && n == '-') {  // to the end of the line
        std::size_t e = s_.find('\n', pos_);
        if (e == std::string_view::npos) e = s_.size();
        if (empty) pos_ = e;
        else copy_to(e);
        continue;
      }
      if (c == '/' && n == '*') {
        if (!scan_block_comment(!empty)) return false;
        continue;
      }
      if (c == '\\') {
        if (n == ';' || n == ':') {
          if (empty) sql_.start = pos_;
          if (n == ';') ++sql_.statements;
          sql_.put(n);
          pos_ += 2;
          continue;
        }
        if (!finish_sql()) return false;
        if (!parse_meta()) return false;
        continue;
      }
      if (empty) sql_.start = pos_;
      const unsigned char prev = pos_ > 0 ? static_cast<unsigned char>(s_[pos_ - 1]) : ' ';
      switch (c) {
        case '\'': {
          const bool e_string = (prev == 'e' || prev == 'E') &&
                                (pos_ < 2 || !is_ident_char(static_cast<unsigned char>(s_[pos_ - 2])));
          if (!scan_quoted('\'', e_string)) return false;
          continue;
        }
        case '"':
          if (!scan_quoted('"', false)) return false;
          continue;
        case '$':
          if (is_ident_char(prev) && pos_ > 0) {
            copy_to(pos_ + 1);
          } else if (!scan_dollar()) {
            return false;
          }
          continue;
        case '(':
          ++sql_.paren;
          break;
        case ')':
          if (sql_.paren > 0) --sql_.paren;
          break;
        case ';':
          if (sql_.paren == 0) {
            copy_to(pos_ + 1);
            if (!finish_sql()) return false;
            continue;
          }
          break;
        case ':':
          if (n == ':') {  // a cast, and any further colons
            std::size_t e = pos_;
            while (e < s_.size() && s_[e] == ':') ++e;
            copy_to(e);
            continue;
          }
          if (is_ident_start(static_cast<unsigned char>(n))) {
            std::size_t e = pos_ + 1;
            while (e < s_.size() && is_var_char(static_cast<unsigned char>(s_[e]))) ++e;
            close_literal();
            const VarSlot slot = vars_.intern(s_.substr(pos_ + 1, e - pos_ - 1));
            const auto at = static_cast<std::uint32_t>(sql_.text.size());
            copy_to(e);
            sql_.pieces.push_back(SqlPiece{at, static_cast<std::uint32_t>(sql_.text.size() - at), true, slot});
            sql_.literal_from = sql_.text.size();
            continue;
          }
          break;
        default: break;
      }
      copy_to(pos_ + 1);
    }
    if (!finish_sql()) return false;
    if (!conds_.empty()) return fail(conds_.back().offset, "\\if without matching \\endif");
    if (in_pipeline_) return fail(pipeline_offset_, "\\startpipeline without matching \\endpipeline");
    return true;
  }

  // ---- meta commands ----
  struct Line {
    std::string text;                // the command's text after the backslash, continuations joined
    std::vector<std::size_t> origin; // script offset of each character of text
    std::size_t offset_of(std::size_t k) const { return k < origin.size() ? origin[k] : (origin.empty() ? 0 : origin.back() + 1); }
  };

  Line read_meta_line() {
    Line line;
    std::size_t k = pos_ + 1;  // after the backslash
    while (k < s_.size() && s_[k] != '\n') {
      if (s_[k] == '\\' && k + 1 < s_.size() && s_[k + 1] == '\n') {
        line.text.push_back(' ');
        line.origin.push_back(k);
        k += 2;
        continue;
      }
      if (s_[k] == '\\' && k + 2 < s_.size() && s_[k + 1] == '\r' && s_[k + 2] == '\n') {
        line.text.push_back(' ');
        line.origin.push_back(k);
        k += 3;
        continue;
      }
      line.text.push_back(s_[k] == '\r' ? ' ' : s_[k]);
      line.origin.push_back(k);
      ++k;
    }
    pos_ = k;
    return line;
  }

  struct Word {
    std::string_view text;
    std::size_t at = 0;  // index in Line::text
  };
  static std::vector<Word> words(std::string_view text, std::size_t from) {
    std::vector<Word> out;
    std::size_t k = from;
    for (;;) {
      while (k < text.size() && is_space(text[k])) ++k;
      if (k >= text.size()) break;
      const std::size_t b = k;
      while (k < text.size() && !is_space(text[k])) ++k;
      out.push_back(Word{text.substr(b, k - b), b});
    }
    return out;
  }

  bool parse_meta() {
    const std::size_t backslash = pos_;
    const Line line = read_meta_line();
    const std::string_view text = line.text;
    std::size_t k = 0;
    while (k < text.size() && !is_space(text[k])) ++k;
    const std::string_view name = text.substr(0, k);
    const auto at = [&](std::size_t index) { return line.offset_of(index); };
    const std::vector<Word> args = words(text, k);
    Command cmd;
    cmd.line = line_of(backslash);
    const auto no_args = [&]() {
      if (!args.empty()) return fail(at(args[0].at), "unexpected argument \"" + std::string(args[0].text) + "\" to \\" + std::string(name));
      return true;
    };

    if (name == "set") {
      if (args.empty()) return fail(backslash, "missing argument: \\set needs a variable name and an expression");
      if (!valid_variable_name(args[0].text)) return fail(at(args[0].at), "invalid variable name: \"" + std::string(args[0].text) + "\"");
      if (args.size() < 2) return fail(at(text.size()), "missing argument: \\set needs an expression");
      const std::size_t expr_at = args[1].at;
      auto e = parse_expression(text.substr(expr_at), vars_);
      if (!e) return fail(at(expr_at + e.error().offset), e.error().message);
      cmd.kind = CommandKind::set;
      cmd.target = vars_.intern(args[0].text);
      cmd.expr = std::move(*e);
    } else if (name == "sleep") {
      if (args.empty()) return fail(backslash, "missing argument: \\sleep needs a duration");
      if (args.size() > 2) return fail(at(args[2].at), "too many arguments to \\sleep");
      cmd.kind = CommandKind::sleep;
      const std::string_view amount = args[0].text;
      if (amount.starts_with(':')) {
        if (!valid_variable_name(amount.substr(1))) return fail(at(args[0].at), "invalid variable name: \"" + std::string(amount.substr(1)) + "\"");
        cmd.sleep.from_variable = true;
        cmd.sleep.slot = vars_.intern(amount.substr(1));
      } else {
        auto [p, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), cmd.sleep.amount);
        if (ec != std::errc{} || p != amount.data() + amount.size() || cmd.sleep.amount < 0) {
          return fail(at(args[0].at), "invalid sleep time \"" + std::string(amount) + "\", must be a non-negative integer or :variable");
        }
      }
      if (args.size() == 2) {
        const std::string_view unit = args[1].text;
        if (unit == "us") cmd.sleep.unit_us = 1;
        else if (unit == "ms") cmd.sleep.unit_us = 1000;
        else if (unit == "s") cmd.sleep.unit_us = 1000000;
        else return fail(at(args[1].at), "unrecognized time unit \"" + std::string(unit) + "\", must be us, ms or s");
      }
      if (!cmd.sleep.from_variable && cmd.sleep.amount > INT64_MAX / cmd.sleep.unit_us) {
        return fail(at(args[0].at), "sleep time is too large");
      }
    } else if (name == "gset" || name == "aset") {
      if (args.size() > 1) return fail(at(args[1].at), "too many arguments to \\" + std::string(name));
      if (script_.commands.empty() || script_.commands.back().kind != CommandKind::sql ||
          script_.commands.back().sql.capture != ResultCapture::none) {
        return fail(backslash, "\\" + std::string(name) + " must follow an SQL command");
      }
      if (in_pipeline_) return fail(backslash, "\\gset and \\aset cannot be used in pipeline mode");
      SqlCommand& q = script_.commands.back().sql;
      q.capture = name == "gset" ? ResultCapture::gset : ResultCapture::aset;
      if (!args.empty()) q.capture_prefix = std::string(args[0].text);
      return true;
    } else if (name == "if") {
      if (args.empty()) return fail(backslash, "missing expression after \\if");
      auto e = parse_expression(text.substr(args[0].at), vars_);
      if (!e) return fail(at(args[0].at + e.error().offset), e.error().message);
      cmd.kind = CommandKind::if_;
      cmd.expr = std::move(*e);
      conds_.push_back(Cond{static_cast<std::uint32_t>(script_.commands.size()),
                            static_cast<std::uint32_t>(script_.commands.size()), false, backslash});
    } else if (name == "elif" || name == "else") {
      const bool is_elif = name == "elif";
      if (conds_.empty()) return fail(backslash, "\\" + std::string(name) + " without matching \\if");
      if (conds_.back().seen_else) return fail(backslash, "\\" + std::string(name) + " after \\else");
      if (!pipeline_stays_in_branch(backslash)) return false;
      if (is_elif) {
        if (args.empty()) return fail(backslash, "missing expression after \\elif");
        auto e = parse_expression(text.substr(args[0].at), vars_);
        if (!e) return fail(at(args[0].at + e.error().offset), e.error().message);
        cmd.kind = CommandKind::elif;
        cmd.expr = std::move(*e);
      } else {
        if (!no_args()) return false;
        cmd.kind = CommandKind::else_;
        conds_.back().seen_else = true;
      }
      const auto index = static_cast<std::uint32_t>(script_.commands.size());
      script_.commands[conds_.back().last_branch].next_branch = index;
      conds_.back().last_branch = index;
    } else if (name == "endif") {
      if (conds_.empty()) return fail(backslash, "\\endif without matching \\if");
      if (!no_args()) return false;
      if (!pipeline_stays_in_branch(backslash)) return false;
      cmd.kind = CommandKind::endif;
      const auto index = static_cast<std::uint32_t>(script_.commands.size());
      script_.commands[conds_.back().last_branch].next_branch = index;
      for (std::uint32_t b = conds_.back().if_index; b != index; b = script_.commands[b].next_branch) {
        script_.commands[b].endif = index;
      }
      conds_.pop_back();
    } else if (name == "startpipeline") {
      if (!no_args()) return false;
      if (in_pipeline_) return fail(backslash, "\\startpipeline inside a pipeline (already started on line " + std::to_string(line_of(pipeline_offset_)) + ")");
      in_pipeline_ = true;
      pipeline_offset_ = backslash;
      pipeline_depth_ = conds_.size();
      cmd.kind = CommandKind::start_pipeline;
    } else if (name == "endpipeline") {
      if (!no_args()) return false;
      if (!in_pipeline_) return fail(backslash, "\\endpipeline without matching \\startpipeline");
      if (conds_.size() != pipeline_depth_) return fail(backslash, "\\endpipeline inside an \\if block opened within the pipeline");
      in_pipeline_ = false;
      cmd.kind = CommandKind::end_pipeline;
    } else if (name == "shell" || name == "setshell") {
      return fail(backslash, "\\" + std::string(name) + " is not supported: pgstream bench runs no shell commands");
    } else {
      return fail(backslash, "invalid command \"\\" + std::string(name) + "\"");
    }
    script_.commands.push_back(std::move(cmd));
    return true;
  }

  // A pipeline opened inside a branch must close in that branch.
  bool pipeline_stays_in_branch(std::size_t at) {
    if (in_pipeline_ && conds_.size() == pipeline_depth_) {
      return fail(at, "\\startpipeline (line " + std::to_string(line_of(pipeline_offset_)) +
                          ") must be closed by \\endpipeline within the same \\if branch");
    }
    return true;
  }

  struct Cond {
    std::uint32_t if_index;
    std::uint32_t last_branch;
    bool seen_else;
    std::size_t offset;
  };

  std::string_view name_;
  std::string_view s_;
  VariableTable& vars_;
  Script script_;
  Sql sql_;
  std::size_t pos_ = 0;
  std::vector<Cond> conds_;
  bool in_pipeline_ = false;
  std::size_t pipeline_offset_ = 0;
  std::size_t pipeline_depth_ = 0;
  ParseFail fail_{0, {}};
};

}  // namespace

std::size_t Script::sql_count() const noexcept {
  std::size_t n = 0;
  for (const auto& c : commands) n += c.kind == CommandKind::sql;
  return n;
}

Result<Script> parse_script(std::string_view name, std::string_view text, VariableTable& vars) {
  return ScriptParser(name, text, vars).run();
}

Result<ScriptSpec> parse_script_spec(std::string_view arg) {
  ScriptSpec spec;
  spec.name = std::string(arg);
  const auto at = arg.rfind('@');
  if (at == std::string_view::npos) return spec;
  const std::string_view w = arg.substr(at + 1);
  std::int64_t weight = 0;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
  if (w.empty() || p != w.data() + w.size() || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    return make_error(ErrorCategory::config, "invalid weight specification: " + quote_for_message(arg));
  }
  if (ec == std::errc::result_out_of_range || weight < 0 || weight > INT_MAX) {
    return make_error(ErrorCategory::config, "weight specification out of range (0 .. " + std::to_string(INT_MAX) +
                                                 "): " + quote_for_message(w));
  }
  if (at == 0) return make_error(ErrorCategory::config, "missing script name before '@' in " + quote_for_message(arg));
  spec.name = std::string(arg.substr(0, at));
  spec.weight = static_cast<int>(weight);
  return spec;
}

Result<std::int64_t> total_weight(const std::vector<Script>& scripts) {
  std::int64_t total = 0;
  for (const auto& s : scripts) {
    total += s.weight;
    if (total > INT_MAX) return make_error(ErrorCategory::config, "total script weight is too large");
  }
  if (total == 0) return make_error(ErrorCategory::config, "total script weight must not be zero");
  return total;
}

}  // namespace pgstream::bench
