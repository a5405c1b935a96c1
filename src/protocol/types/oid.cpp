#include "pgstream/protocol/types/oid.hpp"

#include <string>

namespace pgstream::protocol::oid {

std::string type_name(Oid type) {
  for (const auto& e : detail::kTypes) {
    if (e.type == type) return std::string(e.name);
    if (e.array == type && type != 0) return "_" + std::string(e.name);
  }
  if (type == unspecified) return "unspecified (0)";
  return "oid " + std::to_string(type);
}

}  // namespace pgstream::protocol::oid
