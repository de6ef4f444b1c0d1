#include "fleetwatch/proto/convert.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

namespace fleetwatch::proto {
namespace {

std::int64_t unix_seconds(core::Timestamp t) { return t.time_since_epoch().count(); }

core::Timestamp from_unix_seconds(std::int64_t s) {
    return core::Timestamp{std::chrono::seconds{s}};
}

// Narrows a proto uint32 to a core field type; false when it does not fit.
template <typename T>
bool narrow(std::uint32_t in, T& out) {
    if (in > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(in);
    return true;
}

template <typename T>
bool narrow_optional(bool present, std::uint32_t in, std::optional<T>& out) {
    if (!present) {
        out.reset();
        return true;
    }
    T value{};
    if (!narrow(in, value)) return false;
    out = value;
    return true;
}

v1::PositionSource to_proto(core::PositionSource s) {
    switch (s) {
        case core::PositionSource::live:
            return v1::POSITION_SOURCE_LIVE;
        case core::PositionSource::query_reply:
            return v1::POSITION_SOURCE_QUERY_REPLY;
        case core::PositionSource::batch:
            return v1::POSITION_SOURCE_BATCH;
        case core::PositionSource::blind_zone:
            return v1::POSITION_SOURCE_BLIND_ZONE;
    }
    return v1::POSITION_SOURCE_LIVE;
}

std::optional<core::PositionSource> from_proto(v1::PositionSource s) {
    switch (s) {
        case v1::POSITION_SOURCE_LIVE:
            return core::PositionSource::live;
        case v1::POSITION_SOURCE_QUERY_REPLY:
            return core::PositionSource::query_reply;
        case v1::POSITION_SOURCE_BATCH:
            return core::PositionSource::batch;
        case v1::POSITION_SOURCE_BLIND_ZONE:
            return core::PositionSource::blind_zone;
        default:
            return std::nullopt;
    }
}

}  // namespace

void to_proto(const core::Position& in, v1::Position& out) {
    out.set_vehicle_id(in.vehicle_id);
    out.set_gps_time_unix(unix_seconds(in.gps_time));
    out.set_received_at_unix(unix_seconds(in.received_at));
    out.set_lat_e6(in.point.lat_e6);
    out.set_lon_e6(in.point.lon_e6);
    out.set_altitude_m(in.altitude_m);
    out.set_speed_dkmh(in.speed_dkmh);
    out.set_direction(in.direction);
    out.set_alarm(in.alarm);
    out.set_status(in.status);
    out.set_valid(in.valid);
    if (in.mileage_100m)
        out.set_mileage_100m(*in.mileage_100m);
    else
        out.clear_mileage_100m();
    if (in.fuel_100ml)
        out.set_fuel_100ml(*in.fuel_100ml);
    else
        out.clear_fuel_100ml();
    if (in.satellites)
        out.set_satellites(*in.satellites);
    else
        out.clear_satellites();
    if (in.signal_strength)
        out.set_signal_strength(*in.signal_strength);
    else
        out.clear_signal_strength();
    out.set_source(to_proto(in.source));
}

void to_proto(const core::DriverCardEvent& in, v1::DriverCardEvent& out) {
    out.set_vehicle_id(in.vehicle_id);
    out.set_time_unix(unix_seconds(in.time));
    out.set_received_at_unix(unix_seconds(in.received_at));
    out.set_inserted(in.inserted);
    if (in.ic_result)
        out.set_ic_result(*in.ic_result);
    else
        out.clear_ic_result();
    out.set_driver_name(in.driver_name);
    out.set_certificate_no(in.certificate_no);
    out.set_issuer(in.issuer);
    out.set_id_card_no(in.id_card_no);
}

v1::Position to_proto(const core::Position& in) {
    v1::Position out;
    to_proto(in, out);
    return out;
}

v1::DriverCardEvent to_proto(const core::DriverCardEvent& in) {
    v1::DriverCardEvent out;
    to_proto(in, out);
    return out;
}

std::optional<core::Position> from_proto(const v1::Position& in) {
    core::Position out;
    out.vehicle_id = in.vehicle_id();
    out.gps_time = from_unix_seconds(in.gps_time_unix());
    out.received_at = from_unix_seconds(in.received_at_unix());
    out.point = core::GeoPoint{in.lat_e6(), in.lon_e6()};
    out.alarm = in.alarm();
    out.status = in.status();
    out.valid = in.valid();
    const auto source = from_proto(in.source());
    if (!source) return std::nullopt;
    out.source = *source;
    if (!narrow(in.altitude_m(), out.altitude_m) || !narrow(in.speed_dkmh(), out.speed_dkmh) ||
        !narrow(in.direction(), out.direction) ||
        !narrow_optional(in.has_mileage_100m(), in.mileage_100m(), out.mileage_100m) ||
        !narrow_optional(in.has_fuel_100ml(), in.fuel_100ml(), out.fuel_100ml) ||
        !narrow_optional(in.has_satellites(), in.satellites(), out.satellites) ||
        !narrow_optional(in.has_signal_strength(), in.signal_strength(), out.signal_strength)) {
        return std::nullopt;
    }
    return out;
}

std::optional<core::DriverCardEvent> from_proto(const v1::DriverCardEvent& in) {
    core::DriverCardEvent out;
    out.vehicle_id = in.vehicle_id();
    out.time = from_unix_seconds(in.time_unix());
    out.received_at = from_unix_seconds(in.received_at_unix());
    out.inserted = in.inserted();
    if (!narrow_optional(in.has_ic_result(), in.ic_result(), out.ic_result)) return std::nullopt;
    out.driver_name = in.driver_name();
    out.certificate_no = in.certificate_no();
    out.issuer = in.issuer();
    out.id_card_no = in.id_card_no();
    return out;
}

}  // namespace fleetwatch::proto
