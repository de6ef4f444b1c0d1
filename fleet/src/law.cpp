// Pledges against the law: a pledge may only make a threshold stricter (RULES.md, "Pledges").
#include "fleetwatch/fleet/fleet.hpp"

namespace fleetwatch::fleet {
namespace {

constexpr const char* kSection62 = "道路交通安全法实施条例 §62";
constexpr const char* kSection78 = "道路交通安全法实施条例 §78";
constexpr const char* kDynamicSupervision = "道路运输车辆动态监督管理办法";
constexpr const char* kSchoolBus35 = "校车安全管理条例 §35, the driver drives a school bus";

class LawCheck {
  public:
    explicit LawCheck(std::vector<FleetProblem>& out) : out_(out) {}

    // A maximum: the pledged value must be positive and at most `limit`.
    void at_most(const char* field, const std::optional<int>& value, int limit,
                 const char* source) {
        if (!value || !positive(field, *value)) return;
        if (*value > limit) looser(field, *value, limit, source);
    }

    // A minimum: the pledged value must be at least `limit`.
    void at_least(const char* field, const std::optional<int>& value, int limit,
                  const char* source) {
        if (!value || !positive(field, *value)) return;
        if (*value < limit) looser(field, *value, limit, source);
    }

  private:
    bool positive(const char* field, int value) {
        if (value > 0) return true;
        out_.push_back(FleetProblem{{}, 0, field, std::to_string(value) + " must be positive"});
        return false;
    }

    void looser(const char* field, int value, int limit, const char* source) {
        out_.push_back(FleetProblem{{},
                                    0,
                                    field,
                                    std::to_string(value) + " is looser than the legal limit " +
                                        std::to_string(limit) + " (" + source + ")"});
    }

    std::vector<FleetProblem>& out_;
};

}  // namespace

std::vector<FleetProblem> check_pledge_against_law(const Pledge& pledge, bool drives_school_bus) {
    std::vector<FleetProblem> problems;
    LawCheck law(problems);
    if (drives_school_bus) {
        law.at_most("max_speed_kmh", pledge.max_speed_kmh, kLegalSchoolBusMaxSpeedKmh,
                    kSchoolBus35);
    } else {
        law.at_most("max_speed_kmh", pledge.max_speed_kmh, kLegalMaxSpeedKmh, kSection78);
    }
    law.at_most("max_continuous_driving_min", pledge.max_continuous_driving_min,
                kLegalMaxContinuousDrivingMin, kSection62);
    law.at_most("night_max_continuous_min", pledge.night_max_continuous_min,
                kLegalNightMaxContinuousMin, kDynamicSupervision);
    law.at_least("min_rest_min", pledge.min_rest_min, kLegalMinRestMin, kSection62);
    law.at_most("max_daily_driving_min", pledge.max_daily_driving_min, kLegalMaxDailyDrivingMin,
                kDynamicSupervision);
    return problems;
}

}  // namespace fleetwatch::fleet
