// The password file matcher on arbitrary file content, for a few fixed keys.
// Invariants: never crashes; a match is a line's fifth field, so it holds no unescaped line break.

#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "pgstream/client/pgpass.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pc = pgstream::client;
  const std::string_view content = pgstream::fuzz::as_text(data, size);
  const pc::PgpassKey keys[] = {
      {"db1", "5432", "app", "alice"},
      {"localhost", "5432", "postgres", "postgres"},
      {"", "", "", ""},
      {"h:x", "1\\2", "*", "a\\:b"},
  };
  for (const pc::PgpassKey& key : keys) {
    const std::optional<std::string> pw = pc::lookup_pgpass(content, key);
    if (pw) {
      pgstream::fuzz::touch(*pw);
      PGSTREAM_FUZZ_CHECK(pw->size() <= content.size());
      PGSTREAM_FUZZ_CHECK(pw->find('\n') == std::string::npos);
    }
  }
  return 0;
}
