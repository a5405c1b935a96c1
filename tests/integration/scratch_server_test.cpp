// The scratch server itself: reachable over TCP and its Unix socket, and answers an SSLRequest
// with 'S' (TLS on). Protocol-level tests live in their own files.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "support/test_server.hpp"

namespace pgstream::testing {
namespace {

char answer_to_ssl_request(int fd) {
  // SSLRequest: length 8, code 80877103.
  const std::array<unsigned char, 8> request{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), 8);
  char reply = 0;
  EXPECT_EQ(::recv(fd, &reply, 1, 0), 1);
  return reply;
}

TEST(ScratchServer, AcceptsTcpAndOffersTls) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& server = *TestServer::instance();
  int fd = connect_tcp(server.host(), server.port());
  ASSERT_GE(fd, 0) << "connect to " << server.host() << ":" << server.port() << ": " << std::strerror(errno);
  EXPECT_EQ(answer_to_ssl_request(fd), 'S');
  ::close(fd);
}

TEST(ScratchServer, AcceptsUnixSocket) {
  PGSTREAM_REQUIRE_SERVER();
  const auto& server = *TestServer::instance();
  int fd = connect_unix(server.socket_dir(), server.port());
  ASSERT_GE(fd, 0) << "connect to " << server.socket_dir() << ": " << std::strerror(errno);
  // TLS is not offered over a Unix socket.
  EXPECT_EQ(answer_to_ssl_request(fd), 'N');
  ::close(fd);
}

}  // namespace
}  // namespace pgstream::testing
