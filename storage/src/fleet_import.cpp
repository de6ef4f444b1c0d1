#include "fleetwatch/storage/fleet_import.hpp"

#include <cstdio>
#include <map>
#include <pqxx/prepared_statement>
#include <pqxx/transaction>
#include <stdexcept>
#include <tuple>

#include "connection_impl.hpp"
#include "sql_text.hpp"

namespace fleetwatch::storage {
namespace {

using fleet::FleetProblem;
using Text = std::optional<std::string>;

Text non_empty(const std::string& s) {
    if (s.empty()) return std::nullopt;
    return s;
}

std::string crs_name(fleet::Crs c) {
    switch (c) {
        case fleet::Crs::wgs84:
            return "wgs84";
        case fleet::Crs::gcj02:
            return "gcj02";
        case fleet::Crs::bd09:
            return "bd09";
    }
    return "wgs84";
}

std::string zone_kind(fleet::ZoneKind k) {
    switch (k) {
        case fleet::ZoneKind::campus:
            return "campus";
        case fleet::ZoneKind::expressway:
            return "expressway";
        case fleet::ZoneKind::other:
            return "other";
    }
    return "other";
}

std::string clock(int minutes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

std::string windows(const std::vector<fleet::TimeWindow>& ws) {
    std::vector<std::string> items;
    for (const auto& w : ws) items.push_back(clock(w.start_min) + "-" + clock(w.end_min));
    return detail::text_array(items);
}

std::string wkt_points(const std::vector<core::GeoPoint>& points) {
    std::string s;
    for (const auto& p : points) s += (s.empty() ? "" : ",") + detail::wkt_coordinate(p);
    return s;
}

std::string at(const char* section, std::size_t i) {
    return std::string(section) + "[" + std::to_string(i) + "]";
}

// Upserts everything in one transaction; collects problems only the database can see.
class Importer {
  public:
    Importer(pqxx::work& tx, const fleet::Fleet& fleet, const StoredRow* renamed = nullptr)
        : tx_(tx), fleet_(fleet), renamed_(renamed) {}

    ImportSummary run() {
        // Unique phone keys and certificate numbers are checked once every row is in, so one
        // import may move a phone or a card between rows.
        tx_.exec("SET CONSTRAINTS vehicles_phone_key_key, drivers_certificate_no_key DEFERRED");
        if (renamed_ != nullptr) rename(*renamed_);
        settings();
        vehicles();
        drivers();
        pledges();
        routes();
        zones();
        convoys();
        trips();
        check_unique_elsewhere();
        if (!problems_.empty()) throw FleetImportError(std::move(problems_));
        tx_.exec("SET CONSTRAINTS vehicles_phone_key_key, drivers_certificate_no_key IMMEDIATE");
        link_terminals();
        return summary_;
    }

  private:
    // Runs one row's statements; an SQL error becomes a problem at that row (and ends the
    // import: the transaction is aborted).
    template <typename Body>
    void row(int line, const std::string& field, Body&& body) {
        try {
            body();
        } catch (const pqxx::sql_error& e) {
            std::string message = e.what();
            if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
            problems_.push_back(
                FleetProblem{{}, line, field, "rejected by the database: " + message});
            throw FleetImportError(std::move(problems_));
        }
    }

    // Counts an upsert that returns (id, inserted) when it inserted or changed a row and
    // nothing when the row was already as wanted; returns the id (looked up in that case).
    std::int64_t count(ImportCounts& counts, const pqxx::result& r, const std::string& lookup,
                       const std::string& key) {
        if (r.empty()) {
            ++counts.unchanged;
            return tx_.exec_params1(lookup, key)[0].as<std::int64_t>();
        }
        ++(r[0][1].as<bool>() ? counts.inserted : counts.updated);
        return r[0][0].as<std::int64_t>();
    }

    // Gives the stored row `r.id` the natural key of row `r.index` of its section.
    void rename(const StoredRow& r) {
        // section -> (the key's field in the file, the UPDATE; $1 the id, then the key)
        static const std::map<std::string, std::pair<const char*, const char*>, std::less<>> kSql{
            {"vehicles",
             {"plate",
              "UPDATE vehicles SET plate = $2, updated_at = now() "
              "WHERE id = $1 RETURNING id"}},
            {"drivers",
             {"license_no",
              "UPDATE drivers SET license_no = $2, updated_at = now() "
              "WHERE id = $1 RETURNING id"}},
            {"routes",
             {"name",
              "UPDATE routes SET name = $2, updated_at = now() "
              "WHERE id = $1 RETURNING id"}},
            {"zones",
             {"name",
              "UPDATE zones SET name = $2, updated_at = now() "
              "WHERE id = $1 RETURNING id"}},
            {"convoys",
             {"name",
              "UPDATE convoys SET name = $2, updated_at = now() "
              "WHERE id = $1 RETURNING id"}},
            {"trips", {"planned_start", R"sql(
                UPDATE trips SET vehicle_id = (SELECT id FROM vehicles WHERE plate = $2),
                    route_id = (SELECT id FROM routes WHERE name = $3), planned_start = $4,
                    updated_at = now()
                WHERE id = $1 RETURNING id)sql"}},
        };
        const auto sql = kSql.find(r.section);
        if (sql == kSql.end()) throw std::invalid_argument("cannot rename " + r.section);
        // The row's line and key: one name, or a trip's vehicle, route and planned start.
        const auto of = [&](const auto& rows, auto... members) {
            const auto& x = rows.at(r.index);
            return std::pair{x.line, std::vector<std::string>{x.*members...}};
        };
        const auto picked =
            r.section == "vehicles"  ? of(fleet_.vehicles, &fleet::Vehicle::plate)
            : r.section == "drivers" ? of(fleet_.drivers, &fleet::Driver::license_no)
            : r.section == "routes"  ? of(fleet_.routes, &fleet::Route::name)
            : r.section == "zones"   ? of(fleet_.zones, &fleet::Zone::name)
            : r.section == "convoys" ? of(fleet_.convoys, &fleet::Convoy::name)
                                     : of(fleet_.trips, &fleet::Trip::vehicle_plate,
                                          &fleet::Trip::route_name, &fleet::Trip::planned_start);
        const int line = picked.first;
        const std::vector<std::string>& key = picked.second;
        const std::string field = at(r.section.c_str(), r.index) + "." + sql->second.first;
        row(line, field, [&] {
            std::vector<std::string> params{std::to_string(r.id)};
            params.insert(params.end(), key.begin(), key.end());
            if (tx_.exec_params(sql->second.second, pqxx::prepare::make_dynamic_params(params))
                    .empty()) {
                problems_.push_back(
                    FleetProblem{{},
                                 line,
                                 field,
                                 "row " + std::to_string(r.id) + " of " + r.section + " is gone"});
                throw FleetImportError(std::move(problems_));
            }
        });
    }

    void settings() {
        const bool known =
            tx_.exec_params1("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)",
                             fleet_.timezone)[0]
                .as<bool>();
        if (!known) {
            problems_.push_back(
                FleetProblem{{},
                             fleet_.timezone_line,
                             "timezone",
                             "\"" + fleet_.timezone + "\" is not a time zone PostgreSQL knows"});
            return;
        }
        tx_.exec_params0(
            "INSERT INTO settings (key, value) VALUES ('timezone', $1) ON CONFLICT (key) DO UPDATE "
            "SET value = EXCLUDED.value, updated_at = now() WHERE settings.value <> EXCLUDED.value",
            fleet_.timezone);
    }

    void vehicles() {
        for (std::size_t i = 0; i < fleet_.vehicles.size(); ++i) {
            const fleet::Vehicle& v = fleet_.vehicles[i];
            row(v.line, at("vehicles", i), [&] {
                const pqxx::result r =
                    tx_.exec_params(R"sql(
                    INSERT INTO vehicles AS v (plate, plate_color, class, terminal_phone, requires_card)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (plate) DO UPDATE SET plate_color = EXCLUDED.plate_color,
                        class = EXCLUDED.class, terminal_phone = EXCLUDED.terminal_phone,
                        requires_card = EXCLUDED.requires_card, updated_at = now()
                    WHERE (v.plate_color, v.class, v.terminal_phone, v.requires_card) IS DISTINCT FROM
                          (EXCLUDED.plate_color, EXCLUDED.class, EXCLUDED.terminal_phone,
                           EXCLUDED.requires_card)
                    RETURNING id, xmax = 0)sql",
                                    v.plate, static_cast<int>(v.plate_color),
                                    std::string(fleet::to_string(v.vehicle_class)),
                                    non_empty(v.terminal_phone), v.requires_card);
                vehicle_ids_[v.plate] = count(summary_.vehicles, r,
                                              "SELECT id FROM vehicles WHERE plate = $1", v.plate);
            });
        }
    }

    void drivers() {
        for (std::size_t i = 0; i < fleet_.drivers.size(); ++i) {
            const fleet::Driver& d = fleet_.drivers[i];
            row(d.line, at("drivers", i), [&] {
                const pqxx::result r = tx_.exec_params(
                    R"sql(
                    INSERT INTO drivers AS d (license_no, name, ic_card_no, certificate_no)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (license_no) DO UPDATE SET name = EXCLUDED.name,
                        ic_card_no = EXCLUDED.ic_card_no, certificate_no = EXCLUDED.certificate_no,
                        updated_at = now()
                    WHERE (d.name, d.ic_card_no, d.certificate_no) IS DISTINCT FROM
                          (EXCLUDED.name, EXCLUDED.ic_card_no, EXCLUDED.certificate_no)
                    RETURNING id, xmax = 0)sql",
                    d.license_no, d.name, non_empty(d.ic_card_no), non_empty(d.certificate_no));
                driver_ids_[d.license_no] =
                    count(summary_.drivers, r, "SELECT id FROM drivers WHERE license_no = $1",
                          d.license_no);
            });
        }
    }

    void pledges() {
        for (std::size_t i = 0; i < fleet_.pledges.size(); ++i) {
            const fleet::Pledge& p = fleet_.pledges[i];
            row(p.line, at("pledges", i), [&] {
                const std::int64_t driver = driver_ids_.at(p.driver_license_no);
                const auto params = std::make_tuple(
                    driver, p.version, p.max_speed_kmh, p.max_continuous_driving_min,
                    p.night_max_continuous_min, p.min_rest_min, p.max_daily_driving_min,
                    windows(p.forbidden_hours), p.max_route_deviation_m, p.signed_on, p.valid_from,
                    non_empty(p.valid_to));
                const pqxx::result r = std::apply(
                    [&](const auto&... args) {
                        return tx_.exec_params(R"sql(
                            INSERT INTO pledges (driver_id, version, max_speed_kmh,
                                max_continuous_driving_min, night_max_continuous_min, min_rest_min,
                                max_daily_driving_min, forbidden_hours, max_route_deviation_m,
                                signed_on, valid_from, valid_to)
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10::date, $11::date, $12::date)
                            ON CONFLICT (driver_id, version) DO NOTHING
                            RETURNING id)sql",
                                               args...);
                    },
                    params);
                if (!r.empty()) {
                    ++summary_.pledges.inserted;
                    return;
                }
                const bool same = std::apply(
                    [&](const auto&... args) {
                        return tx_
                            .exec_params1(R"sql(
                            SELECT (max_speed_kmh, max_continuous_driving_min, night_max_continuous_min,
                                    min_rest_min, max_daily_driving_min, forbidden_hours,
                                    max_route_deviation_m, signed_on, valid_from, valid_to)
                                   IS NOT DISTINCT FROM
                                   ($3::integer, $4::integer, $5::integer, $6::integer, $7::integer,
                                    $8::text[], $9::integer, $10::date, $11::date, $12::date)
                            FROM pledges WHERE driver_id = $1 AND version = $2)sql",
                                          args...)[0]
                            .template as<bool>();
                    },
                    params);
                if (same) {
                    ++summary_.pledges.unchanged;
                } else {
                    problems_.push_back(FleetProblem{{},
                                                     p.line,
                                                     at("pledges", i) + ".version",
                                                     "version " + std::to_string(p.version) +
                                                         " of driver " + p.driver_license_no +
                                                         " is already stored with different terms; "
                                                         "a signed pledge is never changed: "
                                                         "give the new terms version " +
                                                         std::to_string(p.version + 1)});
                }
            });
        }
    }

    void routes() {
        for (std::size_t i = 0; i < fleet_.routes.size(); ++i) {
            const fleet::Route& rt = fleet_.routes[i];
            row(rt.line, at("routes", i), [&] {
                const pqxx::result r =
                    tx_.exec_params(R"sql(
                    INSERT INTO routes AS r (name, geom, source_crs, corridor_m, speed_limit_kmh)
                    VALUES ($1, ST_GeogFromText($2), $3, $4, $5)
                    ON CONFLICT (name) DO UPDATE SET geom = EXCLUDED.geom,
                        source_crs = EXCLUDED.source_crs, corridor_m = EXCLUDED.corridor_m,
                        speed_limit_kmh = EXCLUDED.speed_limit_kmh, updated_at = now()
                    WHERE (ST_AsBinary(r.geom), r.source_crs, r.corridor_m, r.speed_limit_kmh)
                          IS DISTINCT FROM (ST_AsBinary(EXCLUDED.geom), EXCLUDED.source_crs,
                                            EXCLUDED.corridor_m, EXCLUDED.speed_limit_kmh)
                    RETURNING id, xmax = 0)sql",
                                    rt.name, "SRID=4326;LINESTRING(" + wkt_points(rt.points) + ")",
                                    crs_name(rt.source_crs), rt.corridor_m, rt.speed_limit_kmh);
                route_ids_[rt.name] =
                    count(summary_.routes, r, "SELECT id FROM routes WHERE name = $1", rt.name);
            });
        }
    }

    void zones() {
        for (std::size_t i = 0; i < fleet_.zones.size(); ++i) {
            const fleet::Zone& z = fleet_.zones[i];
            row(z.line, at("zones", i), [&] {
                // A polygon's WKT, or a circle's center with its radius (buffered by PostGIS).
                std::string wkt;
                std::optional<double> radius;
                if (const auto* polygon = std::get_if<fleet::Polygon>(&z.shape)) {
                    wkt = "SRID=4326;POLYGON((" + wkt_points(*polygon) + "))";
                } else {
                    const auto& circle = std::get<fleet::Circle>(z.shape);
                    wkt = "SRID=4326;POINT(" + detail::wkt_coordinate(circle.center) + ")";
                    radius = circle.radius_m;
                }
                const pqxx::result r =
                    tx_.exec_params(R"sql(
                    INSERT INTO zones AS z (name, kind, source_crs, geom, center, radius_m, speed_limit_kmh)
                    VALUES ($1, $2, $3,
                            CASE WHEN $5::float8 IS NULL THEN ST_GeogFromText($4::text)
                                 ELSE ST_Buffer(ST_GeogFromText($4::text), $5::float8, 'quad_segs=16') END,
                            CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_GeogFromText($4::text) END,
                            $5::float8, $6::integer)
                    ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
                        source_crs = EXCLUDED.source_crs, geom = EXCLUDED.geom,
                        center = EXCLUDED.center, radius_m = EXCLUDED.radius_m,
                        speed_limit_kmh = EXCLUDED.speed_limit_kmh, updated_at = now()
                    WHERE (z.kind, z.source_crs, ST_AsBinary(z.geom), ST_AsBinary(z.center), z.radius_m,
                           z.speed_limit_kmh)
                          IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.source_crs, ST_AsBinary(EXCLUDED.geom),
                                            ST_AsBinary(EXCLUDED.center), EXCLUDED.radius_m,
                                            EXCLUDED.speed_limit_kmh)
                    RETURNING id, xmax = 0)sql",
                                    z.name, zone_kind(z.kind), crs_name(z.source_crs), wkt, radius,
                                    z.speed_limit_kmh);
                count(summary_.zones, r, "SELECT id FROM zones WHERE name = $1", z.name);
            });
        }
    }

    void convoys() {
        for (std::size_t i = 0; i < fleet_.convoys.size(); ++i) {
            const fleet::Convoy& c = fleet_.convoys[i];
            row(c.line, at("convoys", i), [&] {
                const pqxx::result r = tx_.exec_params(R"sql(
                    INSERT INTO convoys AS c (name, leader_username, max_gap_m) VALUES ($1, $2, $3)
                    ON CONFLICT (name) DO UPDATE SET leader_username = EXCLUDED.leader_username,
                        max_gap_m = EXCLUDED.max_gap_m, updated_at = now()
                    WHERE (c.leader_username, c.max_gap_m) IS DISTINCT FROM
                          (EXCLUDED.leader_username, EXCLUDED.max_gap_m)
                    RETURNING id, xmax = 0)sql",
                                                       c.name, c.leader_username, c.max_gap_m);
                convoy_ids_[c.name] =
                    count(summary_.convoys, r, "SELECT id FROM convoys WHERE name = $1", c.name);
            });
        }
    }

    void trips() {
        for (std::size_t i = 0; i < fleet_.trips.size(); ++i) {
            const fleet::Trip& t = fleet_.trips[i];
            row(t.line, at("trips", i), [&] {
                std::optional<std::int64_t> convoy;
                if (t.convoy_name) convoy = convoy_ids_.at(*t.convoy_name);
                const std::int64_t vehicle = vehicle_ids_.at(t.vehicle_plate);
                const std::int64_t route = route_ids_.at(t.route_name);
                const pqxx::result r =
                    tx_.exec_params(R"sql(
                    INSERT INTO trips AS t (vehicle_id, driver_id, route_id, convoy_id, planned_start,
                                            planned_end, students_aboard)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (vehicle_id, route_id, planned_start) DO UPDATE SET
                        driver_id = EXCLUDED.driver_id, convoy_id = EXCLUDED.convoy_id,
                        planned_end = EXCLUDED.planned_end, students_aboard = EXCLUDED.students_aboard,
                        updated_at = now()
                    WHERE (t.driver_id, t.convoy_id, t.planned_end, t.students_aboard) IS DISTINCT FROM
                          (EXCLUDED.driver_id, EXCLUDED.convoy_id, EXCLUDED.planned_end,
                           EXCLUDED.students_aboard)
                    RETURNING id, xmax = 0)sql",
                                    vehicle, driver_ids_.at(t.driver_license_no), route, convoy,
                                    t.planned_start, t.planned_end, t.students_aboard);
                if (r.empty()) {
                    ++summary_.trips.unchanged;
                } else {
                    ++(r[0][1].as<bool>() ? summary_.trips.inserted : summary_.trips.updated);
                }
            });
        }
    }

    // Phones and certificates this file gives a row that a row outside the file already has.
    void check_unique_elsewhere() {
        for (std::size_t i = 0; i < fleet_.vehicles.size(); ++i) {
            const fleet::Vehicle& v = fleet_.vehicles[i];
            if (v.terminal_phone.empty()) continue;
            const pqxx::result r = tx_.exec_params(
                "SELECT plate FROM vehicles WHERE phone_key = $1 AND plate <> $2 LIMIT 1",
                fleet::phone_key(v.terminal_phone), v.plate);
            if (!r.empty()) {
                problems_.push_back(FleetProblem{
                    {},
                    v.line,
                    at("vehicles", i) + ".terminal_phone",
                    "terminal phone " + v.terminal_phone + " already belongs to vehicle " +
                        r[0][0].as<std::string>() + " (in the database, not in this file)"});
            }
        }
        for (std::size_t i = 0; i < fleet_.drivers.size(); ++i) {
            const fleet::Driver& d = fleet_.drivers[i];
            if (d.certificate_no.empty()) continue;
            const pqxx::result r = tx_.exec_params(
                "SELECT license_no FROM drivers WHERE certificate_no = $1 AND license_no <> $2 "
                "LIMIT 1",
                d.certificate_no, d.license_no);
            if (!r.empty()) {
                problems_.push_back(FleetProblem{
                    {},
                    d.line,
                    at("drivers", i) + ".certificate_no",
                    "certificate " + d.certificate_no + " already belongs to driver " +
                        r[0][0].as<std::string>() + " (in the database, not in this file)"});
            }
        }
    }

    // terminals.vehicle_id follows vehicles.phone_key.
    void link_terminals() {
        tx_.exec(R"sql(
            UPDATE terminals t SET vehicle_id = v.id, updated_at = now()
            FROM vehicles v WHERE v.phone_key = t.phone_key AND t.vehicle_id IS DISTINCT FROM v.id;
            UPDATE terminals t SET vehicle_id = NULL, updated_at = now()
            WHERE t.vehicle_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.phone_key = t.phone_key))sql");
    }

    pqxx::work& tx_;
    const fleet::Fleet& fleet_;
    const StoredRow* renamed_;
    ImportSummary summary_;
    std::vector<FleetProblem> problems_;
    std::map<std::string, std::int64_t> vehicle_ids_;
    std::map<std::string, std::int64_t> driver_ids_;
    std::map<std::string, std::int64_t> route_ids_;
    std::map<std::string, std::int64_t> convoy_ids_;
};

std::string problems_text(const std::vector<FleetProblem>& problems) {
    std::string s = "fleet import: " + std::to_string(problems.size()) + " problem(s)";
    if (!problems.empty()) s += "; first: " + problems.front().to_string();
    return s;
}

void append_counts(std::string& out, const char* what, const ImportCounts& c) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%-9s%3d (%d inserted, %d updated, %d unchanged)\n", what,
                  c.inserted + c.updated + c.unchanged, c.inserted, c.updated, c.unchanged);
    out += buf;
}

ImportSummary import(Connection& conn, const fleet::Fleet& fleet, const StoredRow* renamed) {
    return detail::translate_errors("fleet import", [&] {
        pqxx::work tx(detail::native(conn));
        ImportSummary summary = Importer(tx, fleet, renamed).run();
        tx.commit();
        return summary;
    });
}

}  // namespace

FleetImportError::FleetImportError(std::vector<fleet::FleetProblem> problems)
    : std::runtime_error(problems_text(problems)), problems_(std::move(problems)) {}

std::string ImportSummary::to_string() const {
    std::string out;
    append_counts(out, "vehicles", vehicles);
    append_counts(out, "drivers", drivers);
    append_counts(out, "pledges", pledges);
    append_counts(out, "routes", routes);
    append_counts(out, "zones", zones);
    append_counts(out, "convoys", convoys);
    append_counts(out, "trips", trips);
    return out;
}

ImportSummary import_fleet(Connection& conn, const fleet::Fleet& fleet) {
    return import(conn, fleet, nullptr);
}

ImportSummary import_fleet(Connection& conn, const fleet::Fleet& fleet, const StoredRow& renamed) {
    return import(conn, fleet, &renamed);
}

ImportSummary import_fleet(const std::string& conninfo, const fleet::Fleet& fleet) {
    Connection conn = Database(conninfo).connect();
    return import_fleet(conn, fleet);
}

}  // namespace fleetwatch::storage
