#include "fleetwatch/geo/china_datum.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/geo/distance.hpp"

namespace fleetwatch::geo {
namespace {

struct KnownPair {
    const char* where;
    LatLon wgs84;
    LatLon gcj02;
};

// Published test vectors of eviltransform (googollee/eviltransform, python tests). That
// implementation uses a = 6378137 m instead of 6378245 m, which moves results by < 1 cm.
constexpr KnownPair kPublished[] = {
    {"Shanghai", {31.1774276, 121.5272106}, {31.17530398364597, 121.531541859215}},
    {"Shenzhen", {22.543847, 113.912316}, {22.540796131694766, 113.9171764808363}},
    {"Beijing", {39.911954, 116.377817}, {39.91334545536069, 116.38404722455657}},
};

// 1e-6 degree is about 0.1 m.
constexpr double kMicroDegree = 1e-6;

TEST(ChinaDatum, Wgs84ToGcj02MatchesPublishedVectors) {
    for (const auto& k : kPublished) {
        const LatLon g = wgs84_to_gcj02(k.wgs84);
        EXPECT_NEAR(g.lat, k.gcj02.lat, kMicroDegree) << k.where;
        EXPECT_NEAR(g.lon, k.gcj02.lon, kMicroDegree) << k.where;
    }
}

TEST(ChinaDatum, Gcj02ToWgs84InvertsPublishedVectorsWithinHalfAMetre) {
    for (const auto& k : kPublished) {
        const LatLon w = gcj02_to_wgs84(k.gcj02);
        EXPECT_LT(distance_m(w, k.wgs84), 0.5) << k.where;
    }
}

TEST(ChinaDatum, NanjingXianlinCampusShiftsAboutFiveHundredMetres) {
    // The start of the Xianlin campus loop (WGS-84) and the same place as AMap shows it: the
    // commuter line of deploy/demo-fleet.yaml was drawn on AMap and starts there.
    const LatLon wgs84{32.1103, 118.9586};
    const LatLon amap{32.108140, 118.963716};
    const LatLon g = wgs84_to_gcj02(wgs84);
    EXPECT_LT(distance_m(g, amap), 1.0);
    EXPECT_LT(distance_m(gcj02_to_wgs84(amap), wgs84), 1.0);
    const double shift = distance_m(wgs84, g);
    EXPECT_GT(shift, 400.0);
    EXPECT_LT(shift, 600.0);
}

TEST(ChinaDatum, Gcj02RoundTripErrorIsBelowOneCentimetreAcrossChina) {
    double worst = 0;
    for (double lat = 18.0; lat <= 53.5; lat += 0.5) {
        for (double lon = 73.5; lon <= 135.0; lon += 0.5) {
            const LatLon p{lat, lon};
            worst = std::max(worst, distance_m(gcj02_to_wgs84(wgs84_to_gcj02(p)), p));
        }
    }
    EXPECT_LT(worst, 0.01);
}

TEST(ChinaDatum, Bd09RoundTripErrorIsBelowOneCentimetre) {
    double worst = 0;
    for (double lat = 20.0; lat <= 50.0; lat += 1.25) {
        for (double lon = 75.0; lon <= 133.0; lon += 1.25) {
            const LatLon p{lat, lon};
            worst = std::max(worst, distance_m(bd09_to_wgs84(wgs84_to_bd09(p)), p));
            worst = std::max(worst, distance_m(bd09_to_gcj02(gcj02_to_bd09(p)), p));
        }
    }
    EXPECT_LT(worst, 0.01);
}

TEST(ChinaDatum, Bd09AddsBaidusOffsetOfAboutSevenHundredMetresToGcj02) {
    // Baidu's step is roughly +0.0065 lon, +0.006 lat on top of GCJ-02.
    const LatLon gcj{32.0533, 118.7842};
    const LatLon bd = gcj02_to_bd09(gcj);
    EXPECT_NEAR(bd.lon - gcj.lon, 0.0065, 0.0005);
    EXPECT_NEAR(bd.lat - gcj.lat, 0.006, 0.0005);
    const double shift = distance_m(gcj, bd);
    EXPECT_GT(shift, 600.0);
    EXPECT_LT(shift, 1000.0);
}

TEST(ChinaDatum, Gcj02IsTheIdentityOutsideChina) {
    const LatLon paris{48.8566, 2.3522};
    EXPECT_EQ(wgs84_to_gcj02(paris), paris);
    EXPECT_EQ(gcj02_to_wgs84(paris), paris);
    const LatLon sydney{-33.8688, 151.2093};
    EXPECT_EQ(wgs84_to_gcj02(sydney), sydney);
    EXPECT_FALSE(gcj02_applies(sydney));
    EXPECT_TRUE(gcj02_applies(LatLon{32.06, 118.78}));
}

TEST(ChinaDatum, ConvertChainsTheSteps) {
    const LatLon p{32.0560, 118.7790};
    EXPECT_EQ(convert(p, Datum::wgs84, Datum::wgs84), p);
    EXPECT_EQ(convert(p, Datum::wgs84, Datum::gcj02), wgs84_to_gcj02(p));
    EXPECT_EQ(convert(p, Datum::wgs84, Datum::bd09), wgs84_to_bd09(p));
    EXPECT_LT(
        distance_m(convert(convert(p, Datum::wgs84, Datum::bd09), Datum::bd09, Datum::wgs84), p),
        0.01);
    EXPECT_EQ(convert(p, Datum::gcj02, Datum::bd09), gcj02_to_bd09(p));
    EXPECT_EQ(convert(p, Datum::bd09, Datum::gcj02), bd09_to_gcj02(p));
}

TEST(ChinaDatum, ParsesTheNamesTheFleetFileUses) {
    EXPECT_EQ(parse_datum("wgs84"), Datum::wgs84);
    EXPECT_EQ(parse_datum("gcj02"), Datum::gcj02);
    EXPECT_EQ(parse_datum("bd09"), Datum::bd09);
    EXPECT_EQ(parse_datum("WGS84"), std::nullopt);
    EXPECT_EQ(parse_datum("bd-09"), std::nullopt);
    EXPECT_EQ(to_string(Datum::gcj02), "gcj02");
}

}  // namespace
}  // namespace fleetwatch::geo
