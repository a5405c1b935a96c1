#pragma once
// pgbench's expression language (\set, \if, \elif), compiled once to a small tree and evaluated
// per client without allocating.
//
// Grammar and precedence follow pgbench 15 (lowest first): OR; AND; NOT; IS [NOT] NULL|TRUE|
// FALSE, ISNULL, NOTNULL; comparisons = <> != < <= > >= (non-associative); bit operators | # &
// << >> and prefix ~; + -; * / %; prefix - +. Operands: integer and double literals, TRUE,
// FALSE, NULL, :variable, CASE WHEN .. THEN .. [ELSE ..] END, function calls, parentheses.
// Keywords and function names are case-insensitive.
//
// Semantics follow pgbench too: NULL operands make most operators and functions NULL (IS and
// debug excepted; AND, OR and CASE use SQL's three-valued logic); arithmetic on two integers is
// integer arithmetic where overflow and division by zero are errors, otherwise double; booleans
// do not convert to numbers; doubles convert to integers by rounding to nearest (error when out
// of range). Our choices where pgbench's C is undefined: a shift count outside [0, 63] is an
// error, and << shifts as unsigned (bits leave silently).

#include <cstdint>
#include <cstdio>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "pgstream/bench/prng.hpp"
#include "pgstream/bench/value.hpp"
#include "pgstream/bench/variables.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

enum class ExprOp : std::uint8_t {
  constant, variable,
  neg, add, sub, mul, div, mod,
  eq, ne, lt, le, gt, ge,
  logical_and, logical_or, logical_not, is,  // is: a IS b, b a NULL or boolean constant
  bit_and, bit_or, bit_xor, bit_not, shift_left, shift_right,
  case_when,  // args: cond1, value1, ..., condN, valueN, else_value
  abs, debug, to_double, exp, greatest, hash_fnv1a, hash_murmur2, to_int, least, ln, permute, pi,
  pow, random, random_exponential, random_gaussian, random_zipfian, sqrt,
};

struct ExprNode {
  ExprOp op = ExprOp::constant;
  std::uint8_t nargs = 0;
  std::uint32_t first_arg = 0;  // into Expression::args
  VarSlot slot = 0;             // variable
  Value constant;               // constant
};

// A compiled expression: nodes with their argument lists, the root last.
struct Expression {
  std::vector<ExprNode> nodes;
  std::vector<std::uint32_t> args;
  std::uint32_t root = 0;
  std::string text;  // as written, for messages

  [[nodiscard]] bool empty() const noexcept { return nodes.empty(); }
};

struct ExpressionError {
  std::size_t offset = 0;  // byte offset in the parsed text
  std::string message;     // one line
};

inline constexpr std::size_t max_function_args = 16;  // as pgbench

// Parses `text` in full; variables are interned into `vars`.
[[nodiscard]] std::expected<Expression, ExpressionError> parse_expression(std::string_view text,
                                                                           VariableTable& vars);

struct EvalContext {
  Variables& vars;
  const VariableTable& names;
  Prng& rng;
  std::FILE* debug_out = stderr;  // where debug() prints; nullptr to stay silent
};

// Evaluates; errors (overflow, division by zero, bad argument, undefined variable...) carry a
// one-line message, category config.
[[nodiscard]] Result<Value> evaluate(const Expression& e, EvalContext& ctx);

// The random distributions and hashes, also usable directly. Errors as pgbench words them.
[[nodiscard]] Result<std::int64_t> random_uniform(Prng& rng, std::int64_t lb, std::int64_t ub);
[[nodiscard]] Result<std::int64_t> random_exponential(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter);
[[nodiscard]] Result<std::int64_t> random_gaussian(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter);
[[nodiscard]] Result<std::int64_t> random_zipfian(Prng& rng, std::int64_t lb, std::int64_t ub, double parameter);
[[nodiscard]] std::int64_t hash_fnv1a(std::int64_t value, std::int64_t seed) noexcept;
[[nodiscard]] std::int64_t hash_murmur2(std::int64_t value, std::int64_t seed) noexcept;
// A pseudo-random bijection of [0, size) chosen by `seed`, applied to `value` modulo size.
// Not pgbench's permutation (sequences differ), same contract. size must be > 0.
[[nodiscard]] Result<std::int64_t> permute(std::int64_t value, std::int64_t size, std::int64_t seed);

inline constexpr double min_gaussian_parameter = 2.0;
inline constexpr double min_zipfian_parameter = 1.001;
inline constexpr double max_zipfian_parameter = 1000.0;

}  // namespace pgstream::bench
