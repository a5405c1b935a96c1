#pragma once
// `pgstream bench init`: the pgbench tables (same names, columns and row counts as `pgbench -i`,
// so pgbench and pgstream bench run against the same data), filled with binary COPY.

#include <cstdint>
#include <functional>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/result.hpp"

namespace pgstream::bench {

struct InitOptions {
  std::int64_t scale = 1;          // 100,000 accounts, 10 tellers and 1 branch per unit
  int fillfactor = 100;            // for the three tables that get updated
  bool unlogged = false;           // --unlogged-tables
  bool foreign_keys = false;       // --foreign-keys
  // Called now and then with accounts written so far, from the loading thread.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct InitReport {
  std::uint64_t branches = 0, tellers = 0, accounts = 0;
  double seconds = 0;
  double create_and_copy_seconds = 0;  // one transaction: DROP, CREATE, COPY ... FREEZE
  double vacuum_seconds = 0;
  double keys_seconds = 0;             // primary (and foreign) keys
};

// pgbench's row counts per scale unit.
inline constexpr std::int64_t kAccountsPerBranch = 100'000;
inline constexpr std::int64_t kTellersPerBranch = 10;
// From this scale up, account ids no longer fit an int (pgbench switches to bigint too).
inline constexpr std::int64_t kBigintScale = 20'000;

[[nodiscard]] Result<InitReport> run_init(const client::ConnectionBuilder& builder, const InitOptions& options);

}  // namespace pgstream::bench
