#include "pgstream/protocol/backend_detail.hpp"

#include <string>

namespace pgstream::protocol::detail {

namespace {
std::string message_label(char type) {
  std::string_view name = backend_message_name(type);
  return name.empty() ? std::string("backend") : std::string(name);
}
}  // namespace

std::unexpected<Error> malformed(char type, std::string_view what) {
  return make_error(ErrorCategory::protocol,
                    "server sent a malformed " + message_label(type) + " message: " + std::string(what));
}

std::unexpected<Error> malformed_item(char type, std::string_view item, std::size_t index,
                                      std::string_view what) {
  return make_error(ErrorCategory::protocol, "server sent a malformed " + message_label(type) +
                                                 " message: " + std::string(item) + " " +
                                                 std::to_string(index) + " " + std::string(what));
}

std::unexpected<Error> wrong_type(std::string_view expected, char got) {
  std::string got_name(backend_message_name(got));
  if (got_name.empty()) got_name = "an unknown message";
  return make_error(ErrorCategory::protocol, "expected " + std::string(expected) + " but the frame is " +
                                                 got_name + "; the caller dispatched on the wrong type byte");
}

}  // namespace pgstream::protocol::detail
