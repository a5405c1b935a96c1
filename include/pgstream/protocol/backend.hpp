#pragma once
// Typed, zero-copy views of every backend message. Each view has
//
//   static Result<View> parse(const Frame&);
//
// which checks the frame's type and validates the whole body up front (lengths, counts, NUL
// terminators, no trailing bytes), so accessors and iterators afterwards read without checks.
// A malformed body is an ErrorCategory::protocol error, never an out-of-bounds read. Views point
// into the frame's buffer: they are valid exactly as long as that buffer is.
//
// Dispatch on the type byte:
//
//   switch (static_cast<BackendType>(frame.type)) {
//     case BackendType::data_row: { auto row = DataRow::parse(frame); ... }
//     ...
//   }

#include "pgstream/protocol/backend_copy.hpp"
#include "pgstream/protocol/backend_notice.hpp"
#include "pgstream/protocol/backend_query.hpp"
#include "pgstream/protocol/backend_rows.hpp"
#include "pgstream/protocol/backend_startup.hpp"
#include "pgstream/protocol/frame.hpp"
