#include "connect_options.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fcntl.h>
#include <stdexcept>

namespace pgstream::cli {

void ConnectFlags::add_to(CLI::App& app) {
  app.set_help_flag("--help", "print this help and exit");  // -h is the host, as in psql
  app.add_option("-d,--dsn", dsn, "connection string (libpq keyword/value or URI); default from PG* variables");
  app.add_option("-h,--host", host, "server host or Unix-socket directory (overrides the DSN's)");
  app.add_option("-p,--port", port, "server port (overrides the DSN's)");
  app.add_option("-U,--username", user, "user name (overrides the DSN's)");
  app.add_flag("-W,--password", prompt_password, "prompt for the password");
}

namespace {

std::string read_password_from_tty() {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("-W: no terminal to read the password from");
  (void)!::write(fd, "Password: ", 10);
  termios old{};
  ::tcgetattr(fd, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string pw;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') pw += c;
  ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return pw;
}

}  // namespace

client::ConnectionBuilder ConnectFlags::builder() const {
  auto parsed = client::parse_conninfo(dsn);
  if (!parsed) throw std::runtime_error("--dsn: " + parsed.error().message());
  if (!host.empty()) parsed->hosts = std::vector<std::string>{host};
  if (!port.empty()) {
    auto p = client::parse_conninfo("port=" + port);
    if (!p) throw std::runtime_error("-p: " + p.error().message());
    parsed->ports = p->ports;
  }
  if (!user.empty()) parsed->user = user;
  if (prompt_password) parsed->password = read_password_from_tty();
  auto resolved = client::resolve(std::move(*parsed));
  if (!resolved) throw std::runtime_error(resolved.error().message());
  return client::ConnectionBuilder(std::move(*resolved));
}

client::PgConnection connect_or_throw(const ConnectFlags& flags) {
  auto b = flags.builder();
  if (b.info().application_name.value_or("").empty()) b.application_name("pgstream");
  auto conn = client::PgConnection::connect(b);
  if (!conn) throw std::runtime_error("cannot connect: " + conn.error().to_string());
  return std::move(*conn);
}

}  // namespace pgstream::cli
