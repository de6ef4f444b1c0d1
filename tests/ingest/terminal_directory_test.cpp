#include "fleetwatch/ingest/terminal_directory.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::ingest {
namespace {

TerminalRecord record(std::string phone, core::VehicleId vehicle, std::string code = {}) {
    return TerminalRecord{std::move(phone), vehicle, "苏A0000" + std::to_string(vehicle),
                          std::move(code), jt808::Dialect::v2013};
}

RegistrationDetails details(std::string phone, jt808::Dialect d = jt808::Dialect::v2013) {
    RegistrationDetails r;
    r.phone_key = std::move(phone);
    r.dialect = d;
    r.plate = "苏A99999";
    return r;
}

TEST(TerminalDirectory, RegisteringAKnownTerminalIssuesAFreshCodeThatAuthenticates) {
    TerminalDirectory dir;
    dir.upsert(record("13800138000", 7));
    const auto first = dir.register_terminal(details("13800138000", jt808::Dialect::v2011));
    ASSERT_EQ(first.status, RegisterStatus::ok);
    EXPECT_EQ(first.record.vehicle_id, 7);
    EXPECT_EQ(first.record.dialect, jt808::Dialect::v2011);
    const auto ok = dir.authenticate("13800138000", jt808::as_bytes(first.record.auth_code));
    EXPECT_EQ(ok.status, AuthStatus::ok);
    EXPECT_EQ(ok.vehicle_id, 7);
    EXPECT_EQ(ok.dialect, jt808::Dialect::v2011);
    const auto second = dir.register_terminal(details("13800138000"));
    EXPECT_NE(second.record.auth_code, first.record.auth_code);
    EXPECT_EQ(dir.authenticate("13800138000", jt808::as_bytes(first.record.auth_code)).status,
              AuthStatus::bad_code);
}

TEST(TerminalDirectory, UnknownTerminalIsRefusedWithoutAutoRegister) {
    TerminalDirectory dir;
    bool called = false;
    dir.set_auto_register_hook([&](const RegistrationDetails&) -> std::optional<core::VehicleId> {
        called = true;
        return 1;
    });
    EXPECT_EQ(dir.register_terminal(details("1")).status, RegisterStatus::unknown_terminal);
    EXPECT_FALSE(called);
    EXPECT_EQ(dir.authenticate("1", jt808::as_bytes("x")).status, AuthStatus::unknown_terminal);
}

TEST(TerminalDirectory, AutoRegisterUsesTheHooksVehicleOrRefusesWhenItDeclines) {
    TerminalDirectory dir(TerminalDirectory::Options{true, 8});
    dir.set_auto_register_hook([](const RegistrationDetails& d) -> std::optional<core::VehicleId> {
        if (d.phone_key == "2") return std::nullopt;
        return 99;
    });
    const auto yes = dir.register_terminal(details("1"));
    EXPECT_EQ(yes.status, RegisterStatus::auto_registered);
    EXPECT_EQ(yes.record.vehicle_id, 99);
    EXPECT_EQ(yes.record.auth_code.size(), 8u);
    EXPECT_EQ(yes.record.plate, "苏A99999");
    EXPECT_EQ(dir.register_terminal(details("2")).status, RegisterStatus::unknown_terminal);
    EXPECT_FALSE(dir.find("2"));
}

TEST(TerminalDirectory, EmptyOrMissingCodeNeverAuthenticates) {
    TerminalDirectory dir;
    dir.upsert(record("5", 5));
    EXPECT_EQ(dir.authenticate("5", {}).status, AuthStatus::bad_code);
    EXPECT_EQ(dir.authenticate("5", jt808::as_bytes("")).status, AuthStatus::bad_code);
}

TEST(TerminalDirectory, ReplaceAllKeepsCodesIssuedHereAndDropsVanishedRecords) {
    TerminalDirectory dir;
    dir.replace_all({record("1", 1, "db-code-1"), record("2", 2, "db-code-2"), record("3", 3)});
    const auto issued = dir.register_terminal(details("1"));
    // A snapshot read before the issued code was persisted still carries the old one.
    dir.replace_all({record("1", 11, "db-code-1"), record("2", 2, "db-code-2b")});
    EXPECT_EQ(dir.find("1")->auth_code, issued.record.auth_code);
    EXPECT_EQ(dir.find("1")->vehicle_id, 11);
    EXPECT_EQ(dir.find("2")->auth_code, "db-code-2b");
    EXPECT_FALSE(dir.find("3"));
    EXPECT_EQ(dir.size(), 2u);
}

TEST(TerminalDirectory, PersistHookGetsTheRecordWithTheNewCode) {
    TerminalDirectory dir;
    dir.upsert(record("1", 1));
    TerminalRecord saved;
    RegistrationDetails seen;
    dir.set_persist_hook([&](const TerminalRecord& r, const RegistrationDetails& d) {
        saved = r;
        seen = d;
    });
    const auto out = dir.register_terminal(details("1", jt808::Dialect::v2019));
    EXPECT_EQ(saved, out.record);
    EXPECT_EQ(seen.dialect, jt808::Dialect::v2019);
}

TEST(TerminalDirectory, RevokedCodeStopsWorking) {
    TerminalDirectory dir;
    dir.upsert(record("1", 1));
    const auto out = dir.register_terminal(details("1"));
    dir.revoke_auth_code("1");
    EXPECT_EQ(dir.authenticate("1", jt808::as_bytes(out.record.auth_code)).status,
              AuthStatus::bad_code);
}

TEST(TerminalDirectory, GeneratedCodesAreAlphanumericAndDiffer) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto c = TerminalDirectory::generate_auth_code(16);
        ASSERT_EQ(c.size(), 16u);
        for (const char ch : c) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch))) << c;
        seen.insert(c);
    }
    EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace fleetwatch::ingest
