// Checks that the std::expected the fuzz build uses behaves like the standard one for everything
// the library relies on: which member is alive, that each one is destroyed exactly once, and the
// copy/move/assign paths between value and error. With a real <expected> (g++, newer clang) it
// checks that one instead, so the same expectations hold for both. run-all runs it before fuzzing.

#include <cstdio>
#include <cstdlib>
#include <expected>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace {

int live = 0;
int failures = 0;

struct Tracked {
  int v = 0;
  Tracked() { ++live; }
  explicit Tracked(int x) noexcept : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(o.v) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { --live; }
  bool operator==(const Tracked& o) const { return v == o.v; }
};

void check(bool ok, const char* what, int line) {
  if (!ok) {
    std::fprintf(stderr, "compat_expected_check:%d: %s\n", line, what);
    ++failures;
  }
}
#define CHECK(x) check((x), #x, __LINE__)

using TT = std::expected<Tracked, Tracked>;
using SE = std::expected<std::string, std::string>;
using VT = std::expected<void, Tracked>;

static_assert(std::is_trivially_destructible_v<std::expected<int, int>>);
static_assert(!std::is_trivially_destructible_v<SE>);
static_assert(std::is_copy_constructible_v<SE> && std::is_move_assignable_v<SE>);
static_assert(!std::is_copy_constructible_v<std::expected<std::unique_ptr<int>, int>>);
static_assert(std::is_move_constructible_v<std::expected<std::unique_ptr<int>, int>>);
static_assert(std::is_convertible_v<std::unexpected<const char*>, SE>);

SE make(bool ok) {
  if (ok) return std::string(64, 'v');
  return std::unexpected(std::string(64, 'e'));
}

void value_and_error_members() {
  SE a = make(true);
  SE b = make(false);
  CHECK(a.has_value() && a->size() == 64 && (*a)[0] == 'v');
  CHECK(!b && b.error() == std::string(64, 'e'));
  CHECK(b.value_or("x") == "x");
  CHECK(a.value_or("x") == std::string(64, 'v'));
  SE c = a;
  c = b;  // value -> error
  CHECK(!c.has_value() && c.error()[0] == 'e');
  c = a;  // error -> value
  CHECK(c.has_value() && *c == *a);
  c = std::unexpected(std::string("gone"));
  CHECK(!c && c.error() == "gone");
  c = std::string("back");
  CHECK(c && *c == "back");
  SE moved = std::move(c);
  CHECK(moved && *moved == "back");
  std::expected<std::string, int> in_place(std::in_place, 3, 'z');
  CHECK(in_place && *in_place == "zzz");
  std::expected<std::string, std::string> unex(std::unexpect, 2, 'q');
  CHECK(!unex && unex.error() == "qq");
  CHECK(a == std::string(64, 'v'));
  CHECK(b == std::unexpected(std::string(64, 'e')));
}

void every_member_destroyed_once() {
  {
    TT a;  // value-initialised
    TT b = std::unexpected(Tracked(7));
    TT c = a;
    TT d = std::move(b);
    c = d;             // value -> error
    d = a;             // error -> value
    c = std::move(d);  // error -> value
    a = std::unexpected(Tracked(1));
    a.swap(c);
    CHECK(c.error().v == 1 && a.has_value());
    TT e(std::unexpect, 9);
    e.emplace(4);
    CHECK(e && e->v == 4);
  }
  CHECK(live == 0);
  {
    VT a;
    VT b = std::unexpected(Tracked(2));
    VT c = b;
    c = a;  // error -> value
    CHECK(c.has_value());
    a = b;  // value -> error
    CHECK(!a && a.error().v == 2);
    VT d = std::move(a);
    d = VT{};
    CHECK(d.has_value());
    b.emplace();
    CHECK(b.has_value());
  }
  CHECK(live == 0);
}

}  // namespace

int main() {
  value_and_error_members();
  every_member_destroyed_once();
#ifdef __cpp_lib_expected
  const char* which = "the standard library's";
#else
  const char* which = "the fuzz build's compat";
#endif
  if (failures != 0) {
    std::fprintf(stderr, "compat_expected_check: %d failure(s) in %s std::expected\n", failures, which);
    return 1;
  }
  std::printf("compat_expected_check: %s std::expected passed\n", which);
  return 0;
}
