#pragma once
#include <cstdint>

namespace pgstream::protocol {

// A type's object id in pg_type.
using Oid = std::uint32_t;

// Wire format of a parameter or result column (Bind, RowDescription, Copy*Response).
enum class Format : std::int16_t { text = 0, binary = 1 };

}  // namespace pgstream::protocol
