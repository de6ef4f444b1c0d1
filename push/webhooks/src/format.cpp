#include "fleetwatch/webhooks/format.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace fleetwatch::webhooks {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 4> kKindNames{"violation.opened", "violation.updated",
                                                     "violation.closed", "violation.retracted"};
constexpr std::array<std::string_view, 5> kSeverityText{"轻微", "一般", "较重", "严重",
                                                        "特别严重"};
constexpr std::array<std::string_view, 4> kKindText{"新违规", "违规更新", "违规结束",
                                                    "违规撤销"};
// The threshold a violation's `limit` shows, by the first of these keys it has (as the API).
constexpr std::array<const char*, 5> kLimitKeys{"limit_kmh", "limit_min", "corridor_half_width_m",
                                                "max_gap_m", "silent_min"};

struct TypeText {
    std::string_view type;
    std::string_view text;
};
constexpr std::array<TypeText, 10> kTypeText{{{"overspeed", "超速"},
                                              {"route_deviation", "偏离路线"},
                                              {"fatigue_continuous", "连续驾驶超时"},
                                              {"fatigue_daily", "当日驾驶超时"},
                                              {"forbidden_hours", "禁行时段行车"},
                                              {"unidentified_driver", "驾驶员未识别"},
                                              {"convoy_straggler", "车队掉队"},
                                              {"convoy_member_offline", "车队车辆离线"},
                                              {"terminal_alarm", "终端报警"},
                                              {"terminal_offline", "终端离线"}}};

std::string_view type_text(std::string_view type) {
    for (const auto& t : kTypeText) {
        if (t.type == type) return t.text;
    }
    return type;
}

std::string_view unit_text(std::string_view unit) {
    if (unit == "kmh") return "km/h";
    if (unit == "min") return "分钟";
    if (unit == "m") return "米";
    return unit;
}

// "2026-03-10 09:02:03" at `offset_s` from UTC.
std::string local_time(core::Timestamp t, int offset_s) {
    const auto local = t + std::chrono::seconds{offset_s};
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{local - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string number(double v) {
    char buf[32];
    if (std::abs(v - std::round(v)) < 1e-9) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f", v);
    }
    return buf;
}

// Markdown of the group robots treats these as syntax; names and plates are people's input.
std::string escape_markdown(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        if (c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' || c == '>' ||
            c == '#') {
            out += '\\';
        }
        if (c == '\n' || c == '\r') {
            out += ' ';
            continue;
        }
        out += c;
    }
    return out;
}

json limit_of(const json& thresholds) {
    for (const char* key : kLimitKeys) {
        if (const auto it = thresholds.find(key); it != thresholds.end()) return *it;
    }
    return nullptr;
}

template <class T>
json nullable(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

}  // namespace

std::string_view short_name(EventKind k) noexcept { return kEventKindNames[static_cast<std::size_t>(k)]; }
std::string_view kind_name(EventKind k) noexcept { return kKindNames[static_cast<std::size_t>(k)]; }

std::optional<EventKind> parse_short_name(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kEventKindNames.size(); ++i) {
        if (kEventKindNames[i] == s) return static_cast<EventKind>(i);
    }
    return std::nullopt;
}

std::optional<EventKind> kind_of_action(std::string_view action) noexcept {
    if (action == "recomputed") return EventKind::updated;
    return parse_short_name(action);
}

std::optional<int> severity_rank(std::string_view severity) noexcept {
    for (std::size_t i = 0; i < storage::kSeverities.size(); ++i) {
        if (storage::kSeverities[i] == severity) return static_cast<int>(i);
    }
    return std::nullopt;
}

std::vector<std::string> default_kinds(std::string_view format) {
    if (format == "json") return {"opened", "updated", "closed", "retracted"};
    return {"opened", "closed", "retracted"};
}

bool passes(const storage::WebhookRow& w, EventKind kind, std::string_view type,
            std::string_view severity, bool announced) {
    if (!w.types.empty() &&
        std::find(w.types.begin(), w.types.end(), type) == w.types.end()) {
        return false;
    }
    if (announced) {
        return std::find(w.kinds.begin(), w.kinds.end(), short_name(kind)) != w.kinds.end();
    }
    if (kind == EventKind::retracted) return false;
    const auto rank = severity_rank(severity);
    const auto min = severity_rank(w.min_severity);
    return rank && min && *rank >= *min;
}

void apply_audit_detail(storage::ViolationRow& v, std::string_view detail_json) {
    const json d = json::parse(detail_json, nullptr, false);
    if (!d.is_object()) return;
    if (const auto it = d.find("severity"); it != d.end() && it->is_string()) {
        v.severity = it->get<std::string>();
    }
    if (const auto it = d.find("peak"); it != d.end() && it->is_number()) v.peak = it->get<double>();
    if (const auto it = d.find("started_at"); it != d.end() && it->is_string()) {
        if (const auto t = core::parse_rfc3339(it->get<std::string>())) v.started_at = *t;
    }
    if (const auto it = d.find("ended_at"); it != d.end()) {
        if (it->is_null()) {
            v.ended_at.reset();
        } else if (it->is_string()) {
            if (const auto t = core::parse_rfc3339(it->get<std::string>())) v.ended_at = *t;
        }
    }
}

json violation_json(const storage::ViolationRow& v) {
    json thresholds = json::parse(v.thresholds_json, nullptr, false);
    if (!thresholds.is_object()) thresholds = json::object();
    json limit = limit_of(thresholds);
    json start = nullptr;
    if (v.start_lat && v.start_lon) start = json{{"lat", *v.start_lat}, {"lon", *v.start_lon}};
    return json{{"id", v.id},
                {"type", v.type},
                {"subtype", v.subtype},
                {"severity", v.severity},
                {"vehicle_id", nullable(v.vehicle_id)},
                {"driver_id", nullable(v.driver_id)},
                {"trip_id", nullable(v.trip_id)},
                {"convoy_id", nullable(v.convoy_id)},
                {"convoy_name", nullable(v.convoy_name)},
                {"started_at", core::format_rfc3339(v.started_at)},
                {"ended_at", v.ended_at ? json(core::format_rfc3339(*v.ended_at)) : json(nullptr)},
                {"start", std::move(start)},
                {"peak", v.peak},
                {"peak_unit", v.peak_unit},
                {"limit", std::move(limit)},
                {"thresholds", std::move(thresholds)},
                {"pledge_version", nullable(v.pledge_version)},
                {"late", v.late},
                {"from_gap", v.from_gap},
                {"needs_review", v.needs_review},
                {"status", v.status},
                {"detected_at", core::format_rfc3339(v.detected_at)},
                {"updated_at", core::format_rfc3339(v.updated_at)}};
}

std::string delivery_key(std::int64_t webhook_id, std::int64_t audit_id) {
    return std::to_string(webhook_id) + "." + std::to_string(audit_id);
}

std::string title_text(const Event& e) {
    const auto& v = e.violation;
    std::string t = "fleetwatch " + std::string(kKindText[static_cast<std::size_t>(e.kind)]) +
                    "：" + std::string(type_text(v.type));
    if (e.context.plate) t += " " + escape_markdown(*e.context.plate);
    return t;
}

std::string markdown_text(const Event& e, const TextOptions& text) {
    const auto& v = e.violation;
    const auto rank = severity_rank(v.severity);
    const std::string severity =
        rank ? std::string(kSeverityText[static_cast<std::size_t>(*rank)]) : v.severity;
    std::string out = "### " + title_text(e) + "\n";
    const auto line = [&out](std::string_view label, const std::string& value) {
        out += "> ";
        out += label;
        out += "：";
        out += value;
        out += "\n";
    };
    std::string what(type_text(v.type));
    if (!v.subtype.empty()) what += "（" + escape_markdown(v.subtype) + "）";
    line("类型", what);
    line("车辆", v.vehicle_id ? escape_markdown(e.context.plate.value_or(
                                    "#" + std::to_string(*v.vehicle_id)))
                              : std::string("—"));
    line("驾驶员", e.context.driver_name ? escape_markdown(*e.context.driver_name)
                                         : std::string("未识别"));
    if (v.convoy_name) line("车队", escape_markdown(*v.convoy_name));
    line("严重程度", severity);
    std::string when = local_time(v.started_at, e.context.utc_offset_s);
    if (v.ended_at) when += " 至 " + local_time(*v.ended_at, e.context.utc_offset_s);
    line("时间", when);
    json thresholds = json::parse(v.thresholds_json, nullptr, false);
    if (!thresholds.is_object()) thresholds = json::object();
    const json limit = limit_of(thresholds);
    std::string peak = number(v.peak) + " " + std::string(unit_text(v.peak_unit));
    if (limit.is_number()) {
        peak += "（限值 " + number(limit.get<double>()) + " " +
                std::string(unit_text(v.peak_unit)) + "）";
    }
    line("峰值", peak);
    if (e.kind == EventKind::retracted) out += "\n迟到数据表明该违规并未发生，已撤销。\n";
    if (e.recomputed) out += "\n（依据迟到数据重新计算）\n";
    const std::string id = std::to_string(v.id);
    if (text.link_template.empty()) {
        out += "\n详情：fleetwatch 违规 #" + id + "（GET /api/v1/violations/" + id + "）";
    } else {
        std::string link = text.link_template;
        if (const auto pos = link.find("{id}"); pos != std::string::npos) link.replace(pos, 4, id);
        out += "\n[查看违规 #" + id + "](" + link + ")";
    }
    return out;
}

namespace {

std::string robot_body(std::string_view format, const std::string& title, const std::string& text) {
    json b = format == "wecom"
                 ? json{{"msgtype", "markdown"}, {"markdown", {{"content", text}}}}
                 : json{{"msgtype", "markdown"}, {"markdown", {{"title", title}, {"text", text}}}};
    return b.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string test_body(std::string_view format, std::int64_t webhook_id, core::Timestamp now) {
    if (format == "wecom" || format == "dingtalk") {
        const std::string title = "fleetwatch 测试消息";
        return robot_body(format, title,
                          "### " + title + "\n> webhook #" + std::to_string(webhook_id) +
                              " 已连通，此后的违规通知将发到这里。\n> 时间：" +
                              local_time(now, 8 * 3600));
    }
    return json{{"kind", kTestKind},
                {"delivery_id", std::to_string(webhook_id) + ".test"},
                {"event_id", nullptr},
                {"webhook_id", webhook_id},
                {"at", core::format_rfc3339(now)},
                {"recomputed", false},
                {"data", nullptr}}
        .dump();
}

std::string body(std::string_view format, std::int64_t webhook_id, const Event& e,
                 const TextOptions& text) {
    if (format == "wecom" || format == "dingtalk") {
        return robot_body(format, title_text(e), markdown_text(e, text));
    }
    json data = violation_json(e.violation);
    data["plate"] = nullable(e.context.plate);
    data["driver_name"] = nullable(e.context.driver_name);
    return json{{"kind", kind_name(e.kind)},
                {"delivery_id", delivery_key(webhook_id, e.audit_id)},
                {"event_id", e.audit_id},
                {"webhook_id", webhook_id},
                {"at", core::format_rfc3339(e.at)},
                {"recomputed", e.recomputed},
                {"data", std::move(data)}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace fleetwatch::webhooks
