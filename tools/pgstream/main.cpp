// The pgstream command line.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"pgstream: bulk-load JSON lines into Postgres and load-test Postgres servers"};
  app.set_version_flag("-V,--version", std::string("pgstream ") + PGSTREAM_VERSION);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  app.require_subcommand(0, 1);
  pgstream::cli::Action run;
  pgstream::cli::add_load_command(app, run);
  pgstream::cli::add_sql_command(app, run);
  pgstream::cli::add_bench_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!run) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pgstream: %s\n", e.what());
    return 1;
  }
}
