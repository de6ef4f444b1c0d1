#include "convoy_eval.hpp"

#include <algorithm>

namespace fleetwatch::rules::detail {

void ConvoyEval::step(State& s, const Input& in, Context& ctx, Recorder& rec) {
    const Convoy& convoy = ctx.shared->config.convoys[ctx.convoy];
    auto it = std::lower_bound(s.members.begin(), s.members.end(), in.vehicle,
                               [](const ConvoyMember& m, VehicleId v) { return m.vehicle < v; });
    if (it == s.members.end() || it->vehicle != in.vehicle)
        it = s.members.insert(it, ConvoyMember{in.vehicle, in.along_m, {}, {}});
    it->along_m = in.along_m;

    for (ConvoyMember& m : s.members) {
        // The member directly ahead: the least progress greater than this member's.
        double ahead = m.along_m;
        bool has_ahead = false;
        for (const ConvoyMember& o : s.members)
            if (o.along_m > m.along_m && (!has_ahead || o.along_m < ahead)) {
                ahead = o.along_m;
                has_ahead = true;
            }
        const double gap = has_ahead ? ahead - m.along_m : 0;
        if (m.ep) {
            if (gap > m.ep->peak) m.ep->peak = gap;
            if (gap < 0.8 * convoy.max_gap_m) {
                m.ep->end = in.t;
                rec.close(std::move(*m.ep));
                m.ep.reset();
                m.over_since.reset();
            }
            continue;
        }
        if (gap <= convoy.max_gap_m) {
            m.over_since.reset();
            continue;
        }
        if (!m.over_since) m.over_since = in.t;
        if (in.t - *m.over_since >= convoy.min_gap_duration) {
            Episode e;
            e.type = ViolationType::convoy_straggler;
            e.vehicle_id = m.vehicle;
            e.convoy.emplace(convoy.name);
            e.start = *m.over_since;
            e.severity = Severity::moderate;
            e.peak = gap;
            e.peak_unit = std::string("m");  // (a literal trips GCC 12 -Wrestrict, PR 105329)
            e.thresholds = {{"max_gap_m", convoy.max_gap_m},
                            {"close_below_m", 0.8 * convoy.max_gap_m},
                            {"min_duration_s", static_cast<double>(convoy.min_gap_duration.count())}};
            m.ep = std::move(e);
            rec.open(*m.ep);
        }
    }
}

}  // namespace fleetwatch::rules::detail
