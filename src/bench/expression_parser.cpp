// Parser of pgbench expressions: a precedence-climbing parser whose levels mirror pgbench's
// yacc precedence declarations, including how its prefix operators take everything of higher
// precedence to their right ("~ 1 + 2" is ~(1 + 2), "NOT a = b" is NOT (a = b)).

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>

#include "pgstream/bench/expression.hpp"

namespace pgstream::bench {
namespace {

enum class Tok : std::uint8_t {
  end, integer, max_int_plus_one, real, variable, ident, lparen, rparen, comma,
  plus, minus, star, slash, percent, lt, le, gt, ge, eq, ne, amp, pipe, hash, tilde, shl, shr,
  kw_and, kw_or, kw_not, kw_is, kw_isnull, kw_notnull, kw_true, kw_false, kw_null,
  kw_case, kw_when, kw_then, kw_else, kw_end,
};

struct Token {
  Tok kind = Tok::end;
  std::size_t offset = 0;
  std::string_view text;
  std::int64_t ival = 0;
  double dval = 0;
};

// Levels, lowest first, as pgbench's %left/%right/%nonassoc lines.
enum Prec : int { p_none = 0, p_or = 1, p_and, p_not, p_is, p_cmp, p_bit, p_add, p_mul, p_unary };

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(static_cast<char>(c)); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    char x = a[k];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[k]) return false;
  }
  return true;
}

struct FunctionInfo {
  std::string_view name;
  ExprOp op;
  int min_args;
  int max_args;  // -1: up to max_function_args
  bool seeded;   // a missing last argument is :default_seed
};

constexpr std::array<FunctionInfo, 21> functions{{
    {"abs", ExprOp::abs, 1, 1, false},
    {"debug", ExprOp::debug, 1, 1, false},
    {"double", ExprOp::to_double, 1, 1, false},
    {"exp", ExprOp::exp, 1, 1, false},
    {"greatest", ExprOp::greatest, 1, -1, false},
    {"hash", ExprOp::hash_murmur2, 1, 2, true},
    {"hash_fnv1a", ExprOp::hash_fnv1a, 1, 2, true},
    {"hash_murmur2", ExprOp::hash_murmur2, 1, 2, true},
    {"int", ExprOp::to_int, 1, 1, false},
    {"least", ExprOp::least, 1, -1, false},
    {"ln", ExprOp::ln, 1, 1, false},
    {"mod", ExprOp::mod, 2, 2, false},
    {"permute", ExprOp::permute, 2, 3, true},
    {"pi", ExprOp::pi, 0, 0, false},
    {"pow", ExprOp::pow, 2, 2, false},
    {"power", ExprOp::pow, 2, 2, false},
    {"random", ExprOp::random, 2, 2, false},
    {"random_exponential", ExprOp::random_exponential, 3, 3, false},
    {"random_gaussian", ExprOp::random_gaussian, 3, 3, false},
    {"random_zipfian", ExprOp::random_zipfian, 3, 3, false},
    {"sqrt", ExprOp::sqrt, 1, 1, false},
}};

struct Fail {
  std::size_t offset;
  std::string message;
};

class Parser {
 public:
  Parser(std::string_view text, VariableTable& vars) : s_(text), vars_(vars) {}

  std::expected<Expression, ExpressionError> run() {
    out_.text = std::string(s_);
    if (!advance()) return fail();
    if (tok_.kind == Tok::end) return std::unexpected(ExpressionError{0, "missing expression"});
    const auto root = parse(p_or);
    if (!root) return fail();
    if (tok_.kind != Tok::end) {
      set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\"");
      return fail();
    }
    out_.root = *root;
    return std::move(out_);
  }

 private:
  std::unexpected<ExpressionError> fail() { return std::unexpected(ExpressionError{err_offset_, err_}); }
  void set_error(std::size_t offset, std::string msg) {
    if (err_.empty()) {
      err_offset_ = offset;
      err_ = std::move(msg);
    }
  }

  // ---- lexer ----
  bool advance() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r' ||
                                s_[pos_] == '\f' || s_[pos_] == '\v'))
      ++pos_;
    tok_ = Token{};
    tok_.offset = pos_;
    if (pos_ >= s_.size()) {
      tok_.kind = Tok::end;
      tok_.text = "end of expression";
      return true;
    }
    const std::size_t start = pos_;
    const char c = s_[pos_];
    const char n = pos_ + 1 < s_.size() ? s_[pos_ + 1] : '\0';
    auto single = [&](Tok k, std::size_t len = 1) {
      tok_.kind = k;
      pos_ += len;
      tok_.text = s_.substr(start, len);
      return true;
    };
    if (is_digit(c) || (c == '.' && is_digit(n))) return lex_number();
    if (c == ':') {
      std::size_t e = pos_ + 1;
      while (e < s_.size() && is_alnum(static_cast<unsigned char>(s_[e]))) ++e;
      if (e == pos_ + 1) {
        set_error(pos_, "syntax error at \":\" (expected a variable name)");
        return false;
      }
      tok_.kind = Tok::variable;
      tok_.text = s_.substr(pos_ + 1, e - pos_ - 1);
      pos_ = e;
      return true;
    }
    if (is_alpha(static_cast<unsigned char>(c))) {
      std::size_t e = pos_;
      while (e < s_.size() && is_alnum(static_cast<unsigned char>(s_[e]))) ++e;
      tok_.text = s_.substr(pos_, e - pos_);
      pos_ = e;
      tok_.kind = keyword(tok_.text);
      return true;
    }
    switch (c) {
      case '(': return single(Tok::lparen);
      case ')': return single(Tok::rparen);
      case ',': return single(Tok::comma);
      case '+': return single(Tok::plus);
      case '-': return single(Tok::minus);
      case '*': return single(Tok::star);
      case '/': return single(Tok::slash);
      case '%': return single(Tok::percent);
      case '&': return single(Tok::amp);
      case '|': return single(Tok::pipe);
      case '#': return single(Tok::hash);
      case '~': return single(Tok::tilde);
      case '=': return single(Tok::eq);
      case '<':
        if (n == '=') return single(Tok::le, 2);
        if (n == '>') return single(Tok::ne, 2);
        if (n == '<') return single(Tok::shl, 2);
        return single(Tok::lt);
      case '>':
        if (n == '=') return single(Tok::ge, 2);
        if (n == '>') return single(Tok::shr, 2);
        return single(Tok::gt);
      case '!':
        if (n == '=') return single(Tok::ne, 2);
        break;
      default: break;
    }
    set_error(pos_, "unexpected character \"" + std::string(1, c) + "\"");
    return false;
  }

  static Tok keyword(std::string_view w) {
    static constexpr std::pair<std::string_view, Tok> words[] = {
        {"and", Tok::kw_and}, {"or", Tok::kw_or}, {"not", Tok::kw_not}, {"is", Tok::kw_is},
        {"isnull", Tok::kw_isnull}, {"notnull", Tok::kw_notnull}, {"true", Tok::kw_true},
        {"false", Tok::kw_false}, {"null", Tok::kw_null}, {"case", Tok::kw_case}, {"when", Tok::kw_when},
        {"then", Tok::kw_then}, {"else", Tok::kw_else}, {"end", Tok::kw_end}};
    for (const auto& [text, kind] : words)
      if (iequals(w, text)) return kind;
    return Tok::ident;
  }

  bool lex_number() {
    const std::size_t start = pos_;
    std::size_t e = pos_;
    bool is_real = false;
    while (e < s_.size() && is_digit(s_[e])) ++e;
    if (e < s_.size() && s_[e] == '.') {
      is_real = true;
      ++e;
      while (e < s_.size() && is_digit(s_[e])) ++e;
    }
    if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
      std::size_t x = e + 1;
      if (x < s_.size() && (s_[x] == '+' || s_[x] == '-')) ++x;
      if (x < s_.size() && is_digit(s_[x])) {
        is_real = true;
        e = x;
        while (e < s_.size() && is_digit(s_[e])) ++e;
      }
    }
    if (e < s_.size() && is_alpha(static_cast<unsigned char>(s_[e]))) {
      set_error(e, "syntax error in number \"" + std::string(s_.substr(start, e + 1 - start)) + "\"");
      return false;
    }
    tok_.text = s_.substr(start, e - start);
    pos_ = e;
    const char* b = s_.data() + start;
    const char* f = s_.data() + e;
    if (is_real) {
      auto [p, ec] = std::from_chars(b, f, tok_.dval);
      if (ec != std::errc{} || p != f) {
        set_error(start, "double constant out of range: \"" + std::string(tok_.text) + "\"");
        return false;
      }
      tok_.kind = Tok::real;
      return true;
    }
    auto [p, ec] = std::from_chars(b, f, tok_.ival);
    if (ec == std::errc{} && p == f) {
      tok_.kind = Tok::integer;
      return true;
    }
    if (tok_.text == "9223372036854775808") {  // only valid after a unary minus
      tok_.kind = Tok::max_int_plus_one;
      return true;
    }
    set_error(start, "bigint constant overflow: \"" + std::string(tok_.text) + "\"");
    return false;
  }

  // ---- tree ----
  std::uint32_t add_node(ExprOp op, std::initializer_list<std::uint32_t> args) {
    ExprNode n;
    n.op = op;
    n.nargs = static_cast<std::uint8_t>(args.size());
    n.first_arg = static_cast<std::uint32_t>(out_.args.size());
    for (auto a : args) out_.args.push_back(a);
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }
  std::uint32_t add_nary(ExprOp op, const std::vector<std::uint32_t>& args) {
    ExprNode n;
    n.op = op;
    n.nargs = static_cast<std::uint8_t>(args.size());
    n.first_arg = static_cast<std::uint32_t>(out_.args.size());
    out_.args.insert(out_.args.end(), args.begin(), args.end());
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }
  std::uint32_t add_const(Value v) {
    ExprNode n;
    n.op = ExprOp::constant;
    n.constant = v;
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }
  std::uint32_t add_var(std::string_view name) {
    ExprNode n;
    n.op = ExprOp::variable;
    n.slot = vars_.intern(name);
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }

  using R = std::optional<std::uint32_t>;

  static int binary_prec(Tok t) {
    switch (t) {
      case Tok::kw_or: return p_or;
      case Tok::kw_and: return p_and;
      case Tok::kw_is: case Tok::kw_isnull: case Tok::kw_notnull: return p_is;
      case Tok::lt: case Tok::le: case Tok::gt: case Tok::ge: case Tok::eq: case Tok::ne: return p_cmp;
      case Tok::amp: case Tok::pipe: case Tok::hash: case Tok::shl: case Tok::shr: return p_bit;
      case Tok::plus: case Tok::minus: return p_add;
      case Tok::star: case Tok::slash: case Tok::percent: return p_mul;
      default: return p_none;
    }
  }
  static ExprOp binary_op(Tok t) {
    switch (t) {
      case Tok::kw_or: return ExprOp::logical_or;
      case Tok::kw_and: return ExprOp::logical_and;
      case Tok::lt: return ExprOp::lt;
      case Tok::le: return ExprOp::le;
      case Tok::gt: return ExprOp::gt;
      case Tok::ge: return ExprOp::ge;
      case Tok::eq: return ExprOp::eq;
      case Tok::ne: return ExprOp::ne;
      case Tok::amp: return ExprOp::bit_and;
      case Tok::pipe: return ExprOp::bit_or;
      case Tok::hash: return ExprOp::bit_xor;
      case Tok::shl: return ExprOp::shift_left;
      case Tok::shr: return ExprOp::shift_right;
      case Tok::plus: return ExprOp::add;
      case Tok::minus: return ExprOp::sub;
      case Tok::star: return ExprOp::mul;
      case Tok::slash: return ExprOp::div;
      default: return ExprOp::mod;
    }
  }

  R parse(int min_prec) {
    if (++depth_ > max_depth) {
      set_error(tok_.offset, "expression nested too deeply");
      return std::nullopt;
    }
    R left = parse_prefix();
    int last_nonassoc = p_none;
    while (left) {
      const int p = binary_prec(tok_.kind);
      if (p == p_none || p < min_prec) break;
      if ((p == p_cmp || p == p_is) && p == last_nonassoc) {
        set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\" (operator is not associative)");
        left.reset();
        break;
      }
      const Token op = tok_;
      if (!advance()) return std::nullopt;
      if (p == p_is) {
        left = parse_is(op, *left);
        last_nonassoc = p;
        continue;
      }
      const R right = parse(p + 1);
      if (!right) return std::nullopt;
      left = add_node(binary_op(op.kind), {*left, *right});
      last_nonassoc = (p == p_cmp) ? p : p_none;
    }
    --depth_;
    return left;
  }

  R parse_is(const Token& op, std::uint32_t operand) {
    if (op.kind == Tok::kw_isnull) return add_node(ExprOp::is, {operand, add_const(Value::null())});
    if (op.kind == Tok::kw_notnull) {
      return add_node(ExprOp::logical_not, {add_node(ExprOp::is, {operand, add_const(Value::null())})});
    }
    bool negate = false;
    if (tok_.kind == Tok::kw_not) {
      negate = true;
      if (!advance()) return std::nullopt;
    }
    Value v;
    if (tok_.kind == Tok::kw_null) v = Value::null();
    else if (tok_.kind == Tok::kw_true) v = Value::boolean(true);
    else if (tok_.kind == Tok::kw_false) v = Value::boolean(false);
    else {
      set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\" (expected NULL, TRUE or FALSE after IS)");
      return std::nullopt;
    }
    if (!advance()) return std::nullopt;
    const auto is = add_node(ExprOp::is, {operand, add_const(v)});
    return negate ? add_node(ExprOp::logical_not, {is}) : is;
  }

  R parse_prefix() {
    const Token t = tok_;
    switch (t.kind) {
      case Tok::integer: {
        if (!advance()) return std::nullopt;
        return add_const(Value::integer(t.ival));
      }
      case Tok::real: {
        if (!advance()) return std::nullopt;
        return add_const(Value::real(t.dval));
      }
      case Tok::max_int_plus_one:
        set_error(t.offset, "bigint constant overflow: \"" + std::string(t.text) + "\"");
        return std::nullopt;
      case Tok::kw_true: case Tok::kw_false: case Tok::kw_null: {
        if (!advance()) return std::nullopt;
        return add_const(t.kind == Tok::kw_null ? Value::null() : Value::boolean(t.kind == Tok::kw_true));
      }
      case Tok::variable: {
        if (!advance()) return std::nullopt;
        return add_var(t.text);
      }
      case Tok::minus: {
        if (!advance()) return std::nullopt;
        if (tok_.kind == Tok::max_int_plus_one) {
          if (!advance()) return std::nullopt;
          return add_const(Value::integer(std::numeric_limits<std::int64_t>::min()));
        }
        const R operand = parse(p_unary);
        if (!operand) return std::nullopt;
        return add_node(ExprOp::neg, {*operand});
      }
      case Tok::plus: {
        if (!advance()) return std::nullopt;
        return parse(p_unary);
      }
      case Tok::tilde: {
        if (!advance()) return std::nullopt;
        const R operand = parse(p_bit + 1);
        if (!operand) return std::nullopt;
        return add_node(ExprOp::bit_not, {*operand});
      }
      case Tok::kw_not: {
        if (!advance()) return std::nullopt;
        const R operand = parse(p_not);
        if (!operand) return std::nullopt;
        return add_node(ExprOp::logical_not, {*operand});
      }
      case Tok::lparen: {
        if (!advance()) return std::nullopt;
        const R inner = parse(p_or);
        if (!inner) return std::nullopt;
        if (!expect(Tok::rparen, "\")\"")) return std::nullopt;
        return inner;
      }
      case Tok::kw_case: return parse_case();
      case Tok::ident: return parse_call();
      default:
        set_error(t.offset, "syntax error at \"" + std::string(t.text) + "\"");
        return std::nullopt;
    }
  }

  bool expect(Tok k, std::string_view what) {
    if (tok_.kind != k) {
      set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\" (expected " + std::string(what) + ")");
      return false;
    }
    return advance();
  }

  R parse_case() {
    if (!advance()) return std::nullopt;
    std::vector<std::uint32_t> args;
    if (tok_.kind != Tok::kw_when) {
      set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\" (expected WHEN)");
      return std::nullopt;
    }
    while (tok_.kind == Tok::kw_when) {
      if (!advance()) return std::nullopt;
      const R cond = parse(p_or);
      if (!cond || !expect(Tok::kw_then, "THEN")) return std::nullopt;
      const R value = parse(p_or);
      if (!value) return std::nullopt;
      args.push_back(*cond);
      args.push_back(*value);
      if (args.size() > 254) {
        set_error(tok_.offset, "too many WHEN clauses");
        return std::nullopt;
      }
    }
    if (tok_.kind == Tok::kw_else) {
      if (!advance()) return std::nullopt;
      const R value = parse(p_or);
      if (!value) return std::nullopt;
      args.push_back(*value);
    } else {
      args.push_back(add_const(Value::null()));
    }
    if (!expect(Tok::kw_end, "END")) return std::nullopt;
    return add_nary(ExprOp::case_when, args);
  }

  R parse_call() {
    const Token name = tok_;
    const FunctionInfo* fn = nullptr;
    for (const auto& f : functions)
      if (iequals(name.text, f.name)) fn = &f;
    if (!fn) {
      set_error(name.offset, "unexpected function name \"" + std::string(name.text) + "\"");
      return std::nullopt;
    }
    if (!advance()) return std::nullopt;
    if (tok_.kind != Tok::lparen) {
      set_error(tok_.offset, "syntax error at \"" + std::string(tok_.text) + "\" (expected \"(\" after " +
                                 std::string(fn->name) + ")");
      return std::nullopt;
    }
    if (!advance()) return std::nullopt;
    std::vector<std::uint32_t> args;
    if (tok_.kind != Tok::rparen) {
      for (;;) {
        const R a = parse(p_or);
        if (!a) return std::nullopt;
        args.push_back(*a);
        if (args.size() > max_function_args) {
          set_error(tok_.offset, "too many function arguments, maximum is " + std::to_string(max_function_args));
          return std::nullopt;
        }
        if (tok_.kind != Tok::comma) break;
        if (!advance()) return std::nullopt;
      }
    }
    if (!expect(Tok::rparen, "\")\" or \",\"")) return std::nullopt;
    const int n = static_cast<int>(args.size());
    const int max = fn->max_args < 0 ? static_cast<int>(max_function_args) : fn->max_args;
    if (n < fn->min_args || n > max) {
      set_error(name.offset, "unexpected number of arguments (" + std::string(fn->name) + ")");
      return std::nullopt;
    }
    if (fn->seeded && n == fn->max_args - 1) args.push_back(add_var("default_seed"));
    return add_nary(fn->op, args);
  }

  std::string_view s_;
  VariableTable& vars_;
  std::size_t pos_ = 0;
  Token tok_;
  Expression out_;
  int depth_ = 0;
  static constexpr int max_depth = 256;  // evaluation recurses as deep
  std::size_t err_offset_ = 0;
  std::string err_;
};

}  // namespace

std::expected<Expression, ExpressionError> parse_expression(std::string_view text, VariableTable& vars) {
  return Parser(text, vars).run();
}

}  // namespace pgstream::bench
