// Conversions between the core vocabulary and the protobuf event contract
// (proto/fleetwatch/v1/events.proto).
//
// core -> proto never fails. proto -> core range-checks every field (a record from the spool
// or from a peer is not trusted to fit core's narrower types) and returns std::nullopt when one
// does not fit; nothing is clamped.
#pragma once

#include <optional>

#include "fleetwatch/core/events.hpp"
#include "fleetwatch/core/position.hpp"
#include "fleetwatch/v1/events.pb.h"

namespace fleetwatch::proto {

// Overwrites every field of `out` (reuse one message in a loop to avoid allocations).
void to_proto(const core::Position& in, v1::Position& out);
void to_proto(const core::DriverCardEvent& in, v1::DriverCardEvent& out);

v1::Position to_proto(const core::Position& in);
v1::DriverCardEvent to_proto(const core::DriverCardEvent& in);

std::optional<core::Position> from_proto(const v1::Position& in);
std::optional<core::DriverCardEvent> from_proto(const v1::DriverCardEvent& in);

}  // namespace fleetwatch::proto
