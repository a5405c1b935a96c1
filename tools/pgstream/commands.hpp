#pragma once
// Each subcommand registers its flags and sets `run` to what it does once parsing succeeded.
// `run` returns the exit status; it throws std::runtime_error for a one-line fatal error (exit 1).

#include <CLI/CLI.hpp>

#include <functional>

namespace pgstream::cli {

using Action = std::function<int()>;

void add_load_command(CLI::App& app, Action& run);
void add_sql_command(CLI::App& app, Action& run);
void add_bench_command(CLI::App& app, Action& run);

}  // namespace pgstream::cli
