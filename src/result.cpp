#include "pgstream/result.hpp"

namespace pgstream {

std::string Error::to_string() const {
  std::string out;
  if (server_) {
    out.append(server_->severity.empty() ? "ERROR" : server_->severity);
    if (!server_->sqlstate.empty()) {
      out.append(" ").append(server_->sqlstate);
    }
  } else {
    out.append(pgstream::to_string(category_));
  }
  out.append(": ").append(message_);
  return out;
}

}  // namespace pgstream
