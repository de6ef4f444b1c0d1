#include "driver_card_sql.hpp"

#include <pqxx/transaction>
#include <stdexcept>

#include "connection_impl.hpp"

namespace fleetwatch::storage::detail {
namespace {

using core::DriverCardEvent;
using Text = std::optional<std::string>;

// The SQL of one card event. $1 is always the vehicle id and $2 the event time.
class CardEventSql {
  public:
    CardEventSql(pqxx::transaction_base& tx, const DriverCardEvent& e)
        : tx_(tx), e_(e), time_(timestamptz(e.time)) {}

    // Serialises the events of one vehicle; false when it does not exist.
    bool lock_vehicle() {
        return !tx_.exec_params("SELECT 1 FROM vehicles WHERE id = $1 FOR NO KEY UPDATE",
                                e_.vehicle_id)
                    .empty();
    }

    // The id of the first session of this vehicle matching `where`, which may use $1 and $2.
    std::optional<std::int64_t> find(const std::string& where) {
        const pqxx::result r = tx_.exec_params(
            "SELECT id FROM driver_card_sessions WHERE vehicle_id = $1 AND " + where + " LIMIT 1",
            e_.vehicle_id, time_);
        if (r.empty()) return std::nullopt;
        return r[0][0].as<std::int64_t>();
    }

    // The same, for sessions read from this card ($3 = certificate_no).
    std::optional<std::int64_t> find_with_card(const std::string& where) {
        const pqxx::result r = tx_.exec_params(
            "SELECT id FROM driver_card_sessions WHERE vehicle_id = $1 AND certificate_no = $3 "
            "AND " +
                where + " LIMIT 1",
            e_.vehicle_id, time_, e_.certificate_no);
        if (r.empty()) return std::nullopt;
        return r[0][0].as<std::int64_t>();
    }

    struct Open {
        std::int64_t id;
        bool started_before_event;  // card_in_at <= event time
    };
    std::optional<Open> open_session() {
        const pqxx::result r = tx_.exec_params(
            "SELECT id, card_in_at <= $2::timestamptz FROM driver_card_sessions "
            "WHERE vehicle_id = $1 AND card_out_at IS NULL FOR UPDATE",
            e_.vehicle_id, time_);
        if (r.empty()) return std::nullopt;
        return Open{r[0][0].as<std::int64_t>(), r[0][1].as<bool>()};
    }

    // The earliest card time of this vehicle after the event, if any.
    Text next_card_time() {
        const pqxx::result r = tx_.exec_params(
            "SELECT min(x.t) FROM driver_card_sessions s, "
            "LATERAL (VALUES (s.card_in_at), (s.card_out_at)) AS x (t) "
            "WHERE s.vehicle_id = $1 AND x.t > $2::timestamptz",
            e_.vehicle_id, time_);
        return nullable<std::string>(r[0][0]);
    }

    void close(std::int64_t id, const char* closed_by) {
        tx_.exec_params(
            "UPDATE driver_card_sessions SET card_out_at = $2::timestamptz, closed_by = $3 "
            "WHERE id = $1",
            id, time_, std::string(closed_by));
    }

    void insert(const Text& card_in_at, const Text& card_out_at, const Text& closed_by) {
        tx_.exec_params(
            "INSERT INTO driver_card_sessions (vehicle_id, driver_id, driver_name, certificate_no, "
            "id_card_no, issuer, ic_result, received_at, card_in_at, card_out_at, closed_by) "
            "VALUES ($1, (SELECT id FROM drivers WHERE certificate_no = $2 AND $2 <> ''), $3, $2, "
            "$4, "
            "$5, $6, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10)",
            e_.vehicle_id, e_.certificate_no, e_.driver_name, e_.id_card_no, e_.issuer, ic_result(),
            timestamptz(e_.received_at), card_in_at, card_out_at, closed_by);
    }

    // A card-out stored alone gets this card-in's time (and what the card-in read).
    void complete_orphan(std::int64_t id) {
        tx_.exec_params(
            "UPDATE driver_card_sessions SET card_in_at = $2::timestamptz, ic_result = $3, "
            "driver_name = CASE WHEN driver_name = '' THEN $4 ELSE driver_name END WHERE id = $1",
            id, time_, ic_result(), e_.driver_name);
    }

    const std::string& time() const { return time_; }

  private:
    std::optional<int> ic_result() const {
        if (!e_.ic_result) return std::nullopt;
        return static_cast<int>(*e_.ic_result);
    }

    pqxx::transaction_base& tx_;
    const DriverCardEvent& e_;
    std::string time_;
};

CardSessionChange card_in(CardEventSql& sql) {
    if (sql.find_with_card("card_in_at = $2::timestamptz")) return CardSessionChange::duplicate;
    const auto open = sql.open_session();
    if (open && open->started_before_event) {  // the usual case: the new card takes over
        sql.close(open->id, "card_in");
        sql.insert(sql.time(), std::nullopt, std::nullopt);
        return CardSessionChange::replaced;
    }
    if (!open) {
        if (const auto orphan =
                sql.find_with_card("card_in_at IS NULL AND card_out_at >= $2::timestamptz")) {
            sql.complete_orphan(*orphan);
            return CardSessionChange::recorded_late;
        }
    }
    // Anything later on this vehicle (the open session's card-in, or a closed session) ends it.
    if (const Text next = sql.next_card_time()) {
        sql.insert(sql.time(), next, std::string("card_in"));
        return CardSessionChange::recorded_late;
    }
    sql.insert(sql.time(), std::nullopt, std::nullopt);
    return CardSessionChange::opened;
}

CardSessionChange card_out(CardEventSql& sql) {
    if (sql.find("card_out_at = $2::timestamptz AND closed_by = 'card_out'"))
        return CardSessionChange::duplicate;
    const auto open = sql.open_session();
    if (open && open->started_before_event) {
        sql.close(open->id, "card_out");
        return CardSessionChange::closed;
    }
    // Late: inside a session a later card-in closed, this card-out ends it where it really ended.
    if (const auto inside = sql.find("closed_by = 'card_in' AND card_in_at <= $2::timestamptz "
                                     "AND card_out_at > $2::timestamptz")) {
        sql.close(*inside, "card_out");
        return CardSessionChange::recorded_late;
    }
    sql.insert(std::nullopt, sql.time(), std::string("card_out"));
    return CardSessionChange::orphan_card_out;
}

}  // namespace

CardSessionChange write_driver_card_event(pqxx::transaction_base& tx,
                                          const core::DriverCardEvent& event) {
    CardEventSql sql(tx, event);
    if (!sql.lock_vehicle()) {
        throw std::invalid_argument("driver card event for unknown vehicle id " +
                                    std::to_string(event.vehicle_id));
    }
    return event.inserted ? card_in(sql) : card_out(sql);
}

}  // namespace fleetwatch::storage::detail
