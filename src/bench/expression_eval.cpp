// Evaluation of compiled pgbench expressions: a recursive walk over the node array, values on
// the stack, errors as pgbench words them.

#include <cmath>
#include <limits>
#include <numbers>
#include <span>

#include "pgstream/bench/expression.hpp"

namespace pgstream::bench {
namespace {

using I64 = std::int64_t;

std::unexpected<Error> fail(std::string_view message) {
  return make_error(ErrorCategory::config, std::string(message));
}

Result<I64> to_int(const Value& v) {
  switch (v.type) {
    case ValueType::integer: return v.i;
    case ValueType::real: {
      const double r = std::rint(v.d);
      // [-2^63, 2^63): both bounds are exact doubles.
      if (std::isnan(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "double to int overflow for %g", v.d);
        return fail(buf);
      }
      return static_cast<I64>(r);
    }
    case ValueType::boolean: return fail("cannot coerce boolean to int");
    case ValueType::null: return fail("cannot coerce NULL to int");
  }
  return fail("cannot coerce to int");
}

Result<double> to_double(const Value& v) {
  switch (v.type) {
    case ValueType::integer: return static_cast<double>(v.i);
    case ValueType::real: return v.d;
    case ValueType::boolean: return fail("cannot coerce boolean to double");
    case ValueType::null: return fail("cannot coerce NULL to double");
  }
  return fail("cannot coerce to double");
}

Result<bool> to_bool(const Value& v) {
  switch (v.type) {
    case ValueType::boolean: return v.b;
    case ValueType::integer: return v.i != 0;
    case ValueType::real: return v.d != 0.0;
    case ValueType::null: return fail("cannot coerce NULL to boolean");
  }
  return fail("cannot coerce to boolean");
}

// pgbench's valueTruth: NULL is false (CASE WHEN and \if).
bool truth(const Value& v) {
  switch (v.type) {
    case ValueType::boolean: return v.b;
    case ValueType::integer: return v.i != 0;
    case ValueType::real: return v.d != 0.0;
    case ValueType::null: return false;
  }
  return false;
}

bool either_real(const Value& a, const Value& b) { return a.type == ValueType::real || b.type == ValueType::real; }

#define PGSTREAM_TRY(var, expr)                             \
  auto var##_r = (expr);                                    \
  if (!var##_r) return std::unexpected(std::move(var##_r.error())); \
  const auto var = *var##_r

class Evaluator {
 public:
  Evaluator(const Expression& e, EvalContext& ctx) : e_(e), ctx_(ctx) {}

  Result<Value> eval(std::uint32_t index) {
    const ExprNode& n = e_.nodes[index];
    switch (n.op) {
      case ExprOp::constant: return n.constant;
      case ExprOp::variable: return ctx_.vars.value(n.slot, ctx_.names.name(n.slot));
      case ExprOp::logical_and: case ExprOp::logical_or: return logical(n);
      case ExprOp::case_when: {
        const std::uint32_t pairs = n.nargs / 2;
        for (std::uint32_t k = 0; k < pairs; ++k) {
          PGSTREAM_TRY(cond, eval(arg(n, 2 * k)));
          if (truth(cond)) return eval(arg(n, 2 * k + 1));
        }
        return eval(arg(n, n.nargs - 1));
      }
      case ExprOp::is: {
        PGSTREAM_TRY(a, eval(arg(n, 0)));
        const Value& b = e_.nodes[arg(n, 1)].constant;
        return Value::boolean(a.type == b.type && (a.type == ValueType::null || a.b == b.b));
      }
      case ExprOp::debug: {
        PGSTREAM_TRY(a, eval(arg(n, 0)));
        print_debug(a);
        return a;
      }
      case ExprOp::pi: return Value::real(std::numbers::pi);
      default: break;
    }
    if (n.nargs == 1) {
      PGSTREAM_TRY(a, eval(arg(n, 0)));
      if (a.is_null()) return Value::null();
      return unary(n.op, a);
    }
    if (n.nargs == 2) {
      PGSTREAM_TRY(a, eval(arg(n, 0)));
      PGSTREAM_TRY(b, eval(arg(n, 1)));
      if (a.is_null() || b.is_null()) return Value::null();
      return binary(n.op, a, b);
    }
    return nary(n);
  }

 private:
  std::uint32_t arg(const ExprNode& n, std::uint32_t k) const { return e_.args[n.first_arg + k]; }

  // SQL's three-valued AND / OR, the right side evaluated only when it matters.
  Result<Value> logical(const ExprNode& n) {
    const bool is_and = n.op == ExprOp::logical_and;
    PGSTREAM_TRY(a, eval(arg(n, 0)));
    if (!a.is_null()) {
      PGSTREAM_TRY(av, to_bool(a));
      if (av != is_and) return Value::boolean(av);
    }
    PGSTREAM_TRY(b, eval(arg(n, 1)));
    if (b.is_null()) return Value::null();
    PGSTREAM_TRY(bv, to_bool(b));
    if (bv != is_and) return Value::boolean(bv);
    return a.is_null() ? Value::null() : Value::boolean(is_and);
  }

  Result<Value> unary(ExprOp op, const Value& a) {
    switch (op) {
      case ExprOp::neg:
        if (a.type == ValueType::real) return Value::real(-a.d);
        {
          PGSTREAM_TRY(i, to_int(a));
          if (i == std::numeric_limits<I64>::min()) return fail("bigint out of range");
          return Value::integer(-i);
        }
      case ExprOp::logical_not: {
        PGSTREAM_TRY(b, to_bool(a));
        return Value::boolean(!b);
      }
      case ExprOp::bit_not: {
        PGSTREAM_TRY(i, to_int(a));
        return Value::integer(~i);
      }
      case ExprOp::abs:
        if (a.type == ValueType::real) return Value::real(std::fabs(a.d));
        {
          PGSTREAM_TRY(i, to_int(a));
          if (i == std::numeric_limits<I64>::min()) return fail("bigint out of range");
          return Value::integer(i < 0 ? -i : i);
        }
      case ExprOp::to_double: {
        PGSTREAM_TRY(d, to_double(a));
        return Value::real(d);
      }
      case ExprOp::to_int: {
        PGSTREAM_TRY(i, to_int(a));
        return Value::integer(i);
      }
      case ExprOp::exp: case ExprOp::ln: case ExprOp::sqrt: {
        PGSTREAM_TRY(d, to_double(a));
        return Value::real(op == ExprOp::exp ? std::exp(d) : op == ExprOp::ln ? std::log(d) : std::sqrt(d));
      }
      case ExprOp::greatest: case ExprOp::least:
        if (a.type == ValueType::real) return a;
        {
          PGSTREAM_TRY(i, to_int(a));
          return Value::integer(i);
        }
      case ExprOp::hash_fnv1a: case ExprOp::hash_murmur2: case ExprOp::permute:
      default: return fail("internal error: unexpected unary operator");
    }
  }

  Result<Value> binary(ExprOp op, const Value& a, const Value& b) {
    switch (op) {
      case ExprOp::add: case ExprOp::sub: case ExprOp::mul: case ExprOp::div: return arithmetic(op, a, b);
      case ExprOp::eq: case ExprOp::ne: case ExprOp::lt: case ExprOp::le: case ExprOp::gt: case ExprOp::ge:
        return compare(op, a, b);
      case ExprOp::greatest: case ExprOp::least: return extreme(op, {&a, &b});
      case ExprOp::pow: {
        PGSTREAM_TRY(x, to_double(a));
        PGSTREAM_TRY(y, to_double(b));
        return Value::real(std::pow(x, y));
      }
      default: break;
    }
    PGSTREAM_TRY(x, to_int(a));
    PGSTREAM_TRY(y, to_int(b));
    switch (op) {
      case ExprOp::mod:
        if (y == 0) return fail("division by zero");
        if (y == -1) return Value::integer(0);  // INT64_MIN % -1 would trap
        return Value::integer(x % y);
      case ExprOp::bit_and: return Value::integer(x & y);
      case ExprOp::bit_or: return Value::integer(x | y);
      case ExprOp::bit_xor: return Value::integer(x ^ y);
      case ExprOp::shift_left: case ExprOp::shift_right:
        if (y < 0 || y > 63) return fail("shift count out of range (0 .. 63)");
        if (op == ExprOp::shift_left) return Value::integer(static_cast<I64>(static_cast<std::uint64_t>(x) << y));
        return Value::integer(x >> y);
      case ExprOp::hash_fnv1a: return Value::integer(hash_fnv1a(x, y));
      case ExprOp::hash_murmur2: return Value::integer(hash_murmur2(x, y));
      case ExprOp::random: {
        PGSTREAM_TRY(r, random_uniform(ctx_.rng, x, y));
        return Value::integer(r);
      }
      default: return fail("internal error: unexpected binary operator");
    }
  }

  Result<Value> arithmetic(ExprOp op, const Value& a, const Value& b) {
    if (either_real(a, b)) {
      PGSTREAM_TRY(x, to_double(a));
      PGSTREAM_TRY(y, to_double(b));
      switch (op) {
        case ExprOp::add: return Value::real(x + y);
        case ExprOp::sub: return Value::real(x - y);
        case ExprOp::mul: return Value::real(x * y);
        default:
          if (y == 0.0) return fail("division by zero");
          return Value::real(x / y);
      }
    }
    PGSTREAM_TRY(x, to_int(a));
    PGSTREAM_TRY(y, to_int(b));
    I64 r = 0;
    switch (op) {
      case ExprOp::add:
        if (__builtin_add_overflow(x, y, &r)) return fail("bigint out of range");
        return Value::integer(r);
      case ExprOp::sub:
        if (__builtin_sub_overflow(x, y, &r)) return fail("bigint out of range");
        return Value::integer(r);
      case ExprOp::mul:
        if (__builtin_mul_overflow(x, y, &r)) return fail("bigint out of range");
        return Value::integer(r);
      default:
        if (y == 0) return fail("division by zero");
        if (y == -1) {
          if (x == std::numeric_limits<I64>::min()) return fail("bigint out of range");
          return Value::integer(-x);
        }
        return Value::integer(x / y);
    }
  }

  Result<Value> compare(ExprOp op, const Value& a, const Value& b) {
    int c = 0;
    if (either_real(a, b)) {
      PGSTREAM_TRY(x, to_double(a));
      PGSTREAM_TRY(y, to_double(b));
      if (std::isnan(x) || std::isnan(y)) return Value::boolean(op == ExprOp::ne);
      c = x < y ? -1 : x > y ? 1 : 0;
    } else {
      PGSTREAM_TRY(x, to_int(a));
      PGSTREAM_TRY(y, to_int(b));
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    switch (op) {
      case ExprOp::eq: return Value::boolean(c == 0);
      case ExprOp::ne: return Value::boolean(c != 0);
      case ExprOp::lt: return Value::boolean(c < 0);
      case ExprOp::le: return Value::boolean(c <= 0);
      case ExprOp::gt: return Value::boolean(c > 0);
      default: return Value::boolean(c >= 0);
    }
  }

  Result<Value> extreme(ExprOp op, std::initializer_list<const Value*> vals) {
    return extreme(op, std::span<const Value* const>(vals.begin(), vals.size()));
  }
  Result<Value> extreme(ExprOp op, std::span<const Value* const> vals) {
    bool real = false;
    for (const Value* v : vals) real = real || v->type == ValueType::real;
    const bool greatest = op == ExprOp::greatest;
    if (real) {
      double best = 0;
      for (std::size_t k = 0; k < vals.size(); ++k) {
        PGSTREAM_TRY(d, to_double(*vals[k]));
        if (k == 0 || (greatest ? d > best : d < best)) best = d;
      }
      return Value::real(best);
    }
    I64 best = 0;
    for (std::size_t k = 0; k < vals.size(); ++k) {
      PGSTREAM_TRY(i, to_int(*vals[k]));
      if (k == 0 || (greatest ? i > best : i < best)) best = i;
    }
    return Value::integer(best);
  }

  // Three or more arguments: greatest/least, permute, the parametrised distributions.
  [[gnu::noinline]] Result<Value> nary(const ExprNode& n) {
    Value vals[max_function_args];
    const Value* ptrs[max_function_args];
    bool has_null = false;
    for (std::uint32_t k = 0; k < n.nargs && k < max_function_args; ++k) {
      PGSTREAM_TRY(v, eval(arg(n, k)));
      vals[k] = v;
      ptrs[k] = &vals[k];
      has_null = has_null || v.is_null();
    }
    if (has_null) return Value::null();
    switch (n.op) {
      case ExprOp::greatest: case ExprOp::least:
        return extreme(n.op, std::span<const Value* const>(ptrs, n.nargs));
      case ExprOp::permute: {
        PGSTREAM_TRY(v, to_int(vals[0]));
        PGSTREAM_TRY(size, to_int(vals[1]));
        PGSTREAM_TRY(seed, to_int(vals[2]));
        PGSTREAM_TRY(r, permute(v, size, seed));
        return Value::integer(r);
      }
      case ExprOp::random_exponential: case ExprOp::random_gaussian: case ExprOp::random_zipfian: {
        PGSTREAM_TRY(lb, to_int(vals[0]));
        PGSTREAM_TRY(ub, to_int(vals[1]));
        PGSTREAM_TRY(p, to_double(vals[2]));
        auto r = n.op == ExprOp::random_exponential ? random_exponential(ctx_.rng, lb, ub, p)
                 : n.op == ExprOp::random_gaussian  ? random_gaussian(ctx_.rng, lb, ub, p)
                                                    : random_zipfian(ctx_.rng, lb, ub, p);
        if (!r) return std::unexpected(std::move(r.error()));
        return Value::integer(*r);
      }
      default: return fail("internal error: unexpected function");
    }
  }

  void print_debug(const Value& v) {
    if (!ctx_.debug_out) return;
    switch (v.type) {
      case ValueType::null: std::fprintf(ctx_.debug_out, "debug: null\n"); break;
      case ValueType::boolean: std::fprintf(ctx_.debug_out, "debug: boolean %s\n", v.b ? "true" : "false"); break;
      case ValueType::integer: std::fprintf(ctx_.debug_out, "debug: int %lld\n", static_cast<long long>(v.i)); break;
      case ValueType::real: std::fprintf(ctx_.debug_out, "debug: double %.*g\n", 17, v.d); break;
    }
  }

  const Expression& e_;
  EvalContext& ctx_;
};

}  // namespace

Result<Value> evaluate(const Expression& e, EvalContext& ctx) {
  if (e.empty()) return fail("empty expression");
  return Evaluator(e, ctx).eval(e.root);
}

}  // namespace pgstream::bench
