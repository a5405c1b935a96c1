#pragma once
// The frontend (client-to-server) half of the wire protocol: include this one header.
//
//   frontend_frame.hpp     framing, rollback and overflow rules every encoder follows
//   frontend_params.hpp    SpanArg, parameter blocks shared by Bind / FunctionCall / COPY
//   frontend_messages.hpp  one function per message: protocol::frontend::bind(sink, ...)
//   frontend_writer.hpp    FrontendWriter<S> with fluent Parse / Bind builders
//   copy_binary.hpp        binary COPY header, tuples, trailer, CopyDataFrame
//
// Everything here is pure: no I/O, no clock, and no allocation except by a growing sink and on
// error paths (building an error message).

#include "pgstream/protocol/copy_binary.hpp"
#include "pgstream/protocol/frontend_frame.hpp"
#include "pgstream/protocol/frontend_messages.hpp"
#include "pgstream/protocol/frontend_params.hpp"
#include "pgstream/protocol/frontend_writer.hpp"
