#pragma once
// Everything about built-in types in one include: oids, value types, binary encode (Bindable),
// binary decode, text parse/format, and text-format parameters.

#include "pgstream/protocol/types/bindable_array.hpp"
#include "pgstream/protocol/types/bindable_scalars.hpp"
#include "pgstream/protocol/types/bytea.hpp"
#include "pgstream/protocol/types/datetime.hpp"
#include "pgstream/protocol/types/decode.hpp"
#include "pgstream/protocol/types/inet.hpp"
#include "pgstream/protocol/types/json.hpp"
#include "pgstream/protocol/types/numeric.hpp"
#include "pgstream/protocol/types/oid.hpp"
#include "pgstream/protocol/types/text.hpp"
#include "pgstream/protocol/types/text_to_binary.hpp"
#include "pgstream/protocol/types/text_value.hpp"
#include "pgstream/protocol/types/uuid.hpp"
