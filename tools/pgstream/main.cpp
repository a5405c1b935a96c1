// The pgstream command line: `load` and `bench` arrive with their issues; this is the shell.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  CLI::App app{"pgstream: bulk-load JSON lines into Postgres and load-test Postgres servers"};
  app.set_version_flag("-V,--version", std::string("pgstream ") + PGSTREAM_VERSION);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
  }
  return 0;
}
