// `pgstream sql`: run SQL (from -c or -f) and print the rows, tab-separated; for scripts and demos.
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "commands.hpp"
#include "connect_options.hpp"

namespace pgstream::cli {

void add_sql_command(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("sql", "run SQL and print the result rows (tab-separated, NULL as empty)");
  struct Flags {
    ConnectFlags conn;
    std::string command;
    std::string file;
    bool header = false;
  };
  auto flags = std::make_shared<Flags>();
  flags->conn.add_to(*cmd);
  cmd->add_option("-c,--command", flags->command, "SQL to run (several statements allowed)");
  cmd->add_option("-f,--file", flags->file, "file of SQL to run")->check(CLI::ExistingFile);
  cmd->add_flag("--header", flags->header, "print the column names first");
  cmd->callback([flags, &run] {
    run = [flags]() -> int {
      std::string sql = flags->command;
      if (!flags->file.empty()) {
        std::ifstream in(flags->file);
        std::stringstream ss;
        ss << in.rdbuf();
        sql = ss.str();
      }
      if (sql.empty()) throw std::runtime_error("sql: give the SQL with -c or -f");
      auto conn = connect_or_throw(flags->conn);
      auto result = conn.simple_query(sql);
      if (!result) throw std::runtime_error(result.error().to_string());
      if (flags->header && !result->columns.empty()) {
        for (std::size_t i = 0; i < result->columns.size(); ++i) std::cout << (i ? "\t" : "") << result->columns[i];
        std::cout << '\n';
      }
      for (const auto& row : result->rows) {
        for (std::size_t i = 0; i < row.size(); ++i) std::cout << (i ? "\t" : "") << row[i].value_or("");
        std::cout << '\n';
      }
      if (result->rows.empty() && !result->command_tag.empty()) std::cerr << result->command_tag << '\n';
      return 0;
    };
  });
}

}  // namespace pgstream::cli
