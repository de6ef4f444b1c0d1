// The convoy stage: convoy_straggler from the members' progress along the convoy route
// (linear referencing), in GPS-time order across members.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "shared.hpp"
#include "stage.hpp"

namespace fleetwatch::rules::detail {

struct ConvoyMember {
    VehicleId vehicle = 0;
    double along_m = 0;
    std::optional<Timestamp> over_since;  // gap to the member ahead above max_gap since
    std::optional<Episode> ep;
};

struct ConvoyState {
    std::vector<ConvoyMember> members;  // by vehicle id
};

struct ConvoyContext {
    const Shared* shared = nullptr;
    std::size_t convoy = 0;
};

struct ConvoyEval {
    using Input = ProgressSample;
    using State = ConvoyState;
    using Context = ConvoyContext;

    static Timestamp time_of(const Input& in) noexcept { return in.t; }
    static Timestamp detected_at(const Input& in) noexcept { return in.detected_at; }
    static bool slot_less(const Input& x, const Input& y) noexcept {
        return std::tie(x.t, x.vehicle) < std::tie(y.t, y.vehicle);
    }
    static bool preferred(const Input& x, const Input& y) noexcept { return x.along_m < y.along_m; }
    static void step(State& s, const Input& in, Context& ctx, Recorder& rec);
    static void open_episodes(State& s, std::vector<Episode*>& out) {
        for (ConvoyMember& m : s.members)
            if (m.ep) out.push_back(&*m.ep);
    }
};

}  // namespace fleetwatch::rules::detail
