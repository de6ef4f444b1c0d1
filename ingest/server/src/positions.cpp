#include "fleetwatch/ingest/positions.hpp"

#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::ingest {

void to_position(const jt808::Location& l, core::VehicleId vehicle_id, core::Timestamp received_at,
                 core::PositionSource source, core::Position& out) noexcept {
    out.vehicle_id = vehicle_id;
    out.received_at = received_at;
    out.gps_time = l.time.valid ? l.time.instant() : received_at;
    out.point = core::GeoPoint{l.lat_signed_e6(), l.lon_signed_e6()};
    out.altitude_m = l.altitude_m;
    out.speed_dkmh = l.speed_dkmh;
    out.direction = l.direction;
    out.alarm = l.alarm;
    out.status = l.status;
    out.valid = l.positioned() && l.time.valid;
    out.mileage_100m = l.extras.mileage_100m;
    out.fuel_100ml = l.extras.fuel_100ml;
    out.satellites = l.extras.satellites;
    out.signal_strength = l.extras.signal_strength;
    out.source = source;
}

core::DriverCardEvent to_driver_card_event(const jt808::DriverIdentity& d,
                                           core::VehicleId vehicle_id,
                                           core::Timestamp received_at) {
    core::DriverCardEvent e;
    e.vehicle_id = vehicle_id;
    e.received_at = received_at;
    e.time = d.time.valid ? d.time.instant() : received_at;
    e.inserted = d.state != 2;
    e.ic_result = d.ic_result;
    e.driver_name = jt808::gbk_to_utf8(d.driver_name);
    e.certificate_no = jt808::gbk_to_utf8(jt808::trim_padding(d.certificate_no));
    e.issuer = jt808::gbk_to_utf8(d.issuer);
    e.id_card_no = jt808::gbk_to_utf8(jt808::trim_padding(d.id_card_no));
    return e;
}

}  // namespace fleetwatch::ingest
