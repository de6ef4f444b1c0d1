#include "fleetwatch/storage/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crc32c.hpp"
#include "fleetwatch/v1/events.pb.h"

namespace fleetwatch::storage {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("fw-spool-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    SpoolOptions options(std::uint64_t max_bytes = 1 << 20, std::uint64_t segment_bytes = 1 << 16) {
        return SpoolOptions{dir_, max_bytes, segment_bytes, false};
    }

    static std::string read_file(const fs::path& path) {
        std::string bytes(static_cast<std::size_t>(fs::file_size(path)), '\0');
        std::ifstream in(path, std::ios::binary);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return bytes;
    }

    static std::string record(int i) { return "record-" + std::to_string(i); }

    static SpoolBatch batch_of(int first, int count) {
        SpoolBatch b;
        for (int i = first; i < first + count; ++i) b.add_serialized(record(i));
        return b;
    }

    // Reads and consumes everything pending.
    static std::vector<std::string> drain(Spool& spool, std::size_t per_read = 7) {
        std::vector<std::string> out;
        SpoolChunk chunk;
        while (spool.read(chunk, per_read)) {
            for (const auto r : chunk.records()) out.emplace_back(r);
            spool.consume(chunk);
        }
        return out;
    }

    static std::vector<std::string> expected(int first, int count) {
        std::vector<std::string> out;
        for (int i = first; i < first + count; ++i) out.push_back(record(i));
        return out;
    }

    std::vector<fs::path> segments() const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(dir_)) {
            if (e.path().extension() == ".spool") out.push_back(e.path());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    fs::path dir_;
};

TEST(Crc32c, MatchesTheStandardCheckValue) {
    EXPECT_EQ(detail::crc32c("123456789"), 0xE3069283U);
    EXPECT_EQ(detail::crc32c(""), 0U);
    // Long input exercises the 8-byte path and the tail.
    const std::string a(1000, 'a');
    const std::uint32_t whole = detail::crc32c(a);
    const auto* p = reinterpret_cast<const unsigned char*>(a.data());
    EXPECT_EQ(detail::crc32c_extend(detail::crc32c_extend(0, p, 333), p + 333, 667), whole);
}

TEST_F(SpoolTest, RecordsComeBackInTheOrderTheyWereAppended) {
    Spool spool(options());
    for (int b = 0; b < 10; ++b) {
        ASSERT_EQ(spool.append(batch_of(b * 10, 10)).status, SpoolAppendStatus::ok);
    }
    EXPECT_EQ(spool.depth().records, 100U);
    EXPECT_EQ(drain(spool), expected(0, 100));
    EXPECT_TRUE(spool.empty());
    EXPECT_EQ(spool.depth().records, 0U);
    EXPECT_EQ(spool.depth().bytes, 0U);
}

TEST_F(SpoolTest, ARewindGivesWhatWasReadButNotConsumedAgain) {
    Spool spool(options());
    ASSERT_EQ(spool.append(batch_of(0, 5)).status, SpoolAppendStatus::ok);
    SpoolChunk chunk;
    ASSERT_TRUE(spool.read(chunk, 3));
    ASSERT_EQ(chunk.records().size(), 3U);
    EXPECT_EQ(chunk.records()[0], record(0));
    spool.rewind();  // the database failed: the same three again
    ASSERT_TRUE(spool.read(chunk, 3));
    EXPECT_EQ(chunk.records()[0], record(0));
    spool.consume(chunk);
    ASSERT_TRUE(spool.read(chunk, 3));
    ASSERT_EQ(chunk.records().size(), 2U);
    EXPECT_EQ(chunk.records()[0], record(3));
    EXPECT_FALSE(spool.has_unread());
    spool.rewind();
    EXPECT_TRUE(spool.has_unread());
    EXPECT_EQ(drain(spool), expected(3, 2));
}

TEST_F(SpoolTest, SeveralChunksCanBeInFlightAndAreConsumedInOrder) {
    Spool spool(options(1 << 20, 256));  // several segments
    for (int b = 0; b < 10; ++b)
        ASSERT_EQ(spool.append(batch_of(b * 5, 5)).status, SpoolAppendStatus::ok);
    std::vector<SpoolChunk> chunks(4);
    std::vector<std::string> got;
    for (auto& c : chunks) {
        ASSERT_TRUE(spool.read(c, 4));
        for (const auto r : c.records()) got.emplace_back(r);
    }
    EXPECT_EQ(got, expected(0, static_cast<int>(got.size())));
    const auto before = spool.depth().records;
    spool.consume(chunks[1]);  // out of turn: ignored
    EXPECT_EQ(spool.depth().records, before);
    for (auto& c : chunks) spool.consume(c);
    EXPECT_EQ(spool.depth().records, 50U - got.size());
    spool.consume(chunks[0]);  // twice: ignored
    EXPECT_EQ(spool.depth().records, 50U - got.size());
    EXPECT_EQ(drain(spool),
              expected(static_cast<int>(got.size()), 50 - static_cast<int>(got.size())));
}

TEST_F(SpoolTest, AppendsMadeWhileReplayingComeAfterWhatWasThere) {
    Spool spool(options());
    ASSERT_EQ(spool.append(batch_of(0, 5)).status, SpoolAppendStatus::ok);
    SpoolChunk chunk;
    ASSERT_TRUE(spool.read(chunk, 2));
    spool.consume(chunk);
    ASSERT_EQ(spool.append(batch_of(5, 5)).status, SpoolAppendStatus::ok);
    EXPECT_EQ(drain(spool), expected(2, 8));
}

TEST_F(SpoolTest, ProtobufRecordsAreLengthDelimitedAndChecked) {
    {
        Spool spool(options());
        SpoolBatch b;
        v1::Event e;
        e.mutable_position()->set_vehicle_id(7);
        e.mutable_position()->set_lat_e6(-1);
        ASSERT_TRUE(b.add(e));
        ASSERT_EQ(spool.append(b).status, SpoolAppendStatus::ok);
    }
    // The file: magic, then varint length, payload, CRC-32C of (varint, payload) little-endian.
    const auto files = segments();
    ASSERT_EQ(files.size(), 1U);
    const std::string bytes = read_file(files[0]);
    ASSERT_GT(bytes.size(), 8U);
    EXPECT_EQ(bytes.substr(0, 8), "FWSPOOL1");
    const auto length = static_cast<std::size_t>(static_cast<unsigned char>(bytes[8]));
    ASSERT_EQ(bytes.size(), 8 + 1 + length + 4);
    v1::Event parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes.substr(9, length)));
    EXPECT_EQ(parsed.position().vehicle_id(), 7);
    EXPECT_EQ(parsed.position().lat_e6(), -1);
    std::uint32_t crc = 0;
    for (int i = 3; i >= 0; --i) {
        crc = (crc << 8) |
              static_cast<unsigned char>(bytes[9 + length + static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(crc, detail::crc32c(std::string_view(bytes).substr(8, 1 + length)));
}

TEST_F(SpoolTest, ARestartedSpoolReplaysOldSegmentsFromTheOldest) {
    {
        Spool spool(options(1 << 20, 256));  // tiny segments: many files
        for (int b = 0; b < 20; ++b)
            ASSERT_EQ(spool.append(batch_of(b * 5, 5)).status, SpoolAppendStatus::ok);
        EXPECT_GT(segments().size(), 5U);
    }
    Spool reopened(options(1 << 20, 256));
    EXPECT_EQ(reopened.recovery().records, 100U);
    EXPECT_EQ(reopened.recovery().truncated_bytes, 0U);
    EXPECT_EQ(drain(reopened), expected(0, 100));
}

TEST_F(SpoolTest, RecordsConsumedBeforeACrashMayComeBackButNeverGetLost) {
    {
        Spool spool(options(1 << 20, 256));
        for (int b = 0; b < 10; ++b)
            ASSERT_EQ(spool.append(batch_of(b * 5, 5)).status, SpoolAppendStatus::ok);
        SpoolChunk chunk;
        ASSERT_TRUE(spool.read(chunk, 3));  // part of the first segment
        spool.consume(chunk);
    }
    Spool reopened(options(1 << 20, 256));
    const auto got = drain(reopened);
    // The partly consumed segment is replayed whole: at least once, in order.
    EXPECT_EQ(got, expected(0, 50));
}

TEST_F(SpoolTest, FullyConsumedSegmentsAreDeleted) {
    Spool spool(options(1 << 20, 256));
    for (int b = 0; b < 20; ++b)
        ASSERT_EQ(spool.append(batch_of(b * 5, 5)).status, SpoolAppendStatus::ok);
    const auto before = segments().size();
    SpoolChunk chunk;
    ASSERT_TRUE(spool.read(chunk, 1000));  // one segment's worth
    spool.consume(chunk);
    EXPECT_EQ(segments().size(), before - 1);
    drain(spool);
    EXPECT_TRUE(segments().empty());
    EXPECT_EQ(spool.depth().disk_bytes, 0U);
    // And it starts afresh.
    ASSERT_EQ(spool.append(batch_of(100, 1)).status, SpoolAppendStatus::ok);
    EXPECT_EQ(drain(spool), expected(100, 1));
}

TEST_F(SpoolTest, ATornTailIsTruncatedNotReplayed) {
    {
        Spool spool(options());
        for (int b = 0; b < 3; ++b)
            ASSERT_EQ(spool.append(batch_of(b * 4, 4)).status, SpoolAppendStatus::ok);
    }
    const auto files = segments();
    ASSERT_EQ(files.size(), 1U);
    const auto size = fs::file_size(files[0]);
    fs::resize_file(files[0], size - 3);  // the last record lost its CRC's last 3 bytes

    Spool reopened(options());
    EXPECT_EQ(reopened.recovery().records, 11U);
    EXPECT_GT(reopened.recovery().truncated_bytes, 0U);
    EXPECT_LT(fs::file_size(files[0]), size - 3);
    // New appends go after the last good record.
    ASSERT_EQ(reopened.append(batch_of(100, 2)).status, SpoolAppendStatus::ok);
    auto want = expected(0, 11);
    want.push_back(record(100));
    want.push_back(record(101));
    EXPECT_EQ(drain(reopened), want);
}

TEST_F(SpoolTest, AFlippedByteInTheLastRecordIsDetected) {
    {
        Spool spool(options());
        ASSERT_EQ(spool.append(batch_of(0, 3)).status, SpoolAppendStatus::ok);
    }
    const auto file = segments().at(0);
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(fs::file_size(file)) - 6);
        f.put('X');
    }
    Spool reopened(options());
    EXPECT_EQ(drain(reopened), expected(0, 2));
    EXPECT_GT(reopened.recovery().truncated_bytes, 0U);
}

TEST_F(SpoolTest, AZeroFilledTailIsTruncated) {
    {
        Spool spool(options());
        ASSERT_EQ(spool.append(batch_of(0, 3)).status, SpoolAppendStatus::ok);
    }
    const auto file = segments().at(0);
    const auto size = fs::file_size(file);
    fs::resize_file(file, size + 4096);  // a crash after the size grew but before data landed
    Spool reopened(options());
    EXPECT_EQ(reopened.recovery().truncated_bytes, 4096U);
    EXPECT_EQ(fs::file_size(file), size);
    EXPECT_EQ(drain(reopened), expected(0, 3));
}

TEST_F(SpoolTest, GarbageAfterTheMagicLeavesNoRecordsAndTheFileGoes) {
    fs::create_directories(dir_);
    {
        std::ofstream f(dir_ / "00000000000000000007.spool", std::ios::binary);
        f << "FWSPOOL1" << std::string(100, '\xff');
    }
    {
        std::ofstream f(dir_ / "00000000000000000008.spool", std::ios::binary);
        f << "FWS";  // died while creating it
    }
    Spool spool(options());
    EXPECT_TRUE(spool.empty());
    EXPECT_TRUE(segments().empty());
    ASSERT_EQ(spool.append(batch_of(0, 1)).status, SpoolAppendStatus::ok);
    // Numbering continues past what was there.
    ASSERT_EQ(segments().size(), 1U);
    EXPECT_EQ(segments()[0].filename(), "00000000000000000009.spool");
}

TEST_F(SpoolTest, AFileNamedLikeASegmentThatIsNotOneStopsStartUp) {
    fs::create_directories(dir_);
    {
        std::ofstream f(dir_ / "00000000000000000001.spool", std::ios::binary);
        f << "not a spool at all";
    }
    EXPECT_THROW(Spool{options()}, std::runtime_error);
}

TEST_F(SpoolTest, AFullSpoolRefusesAppendsUntilSomethingIsConsumed) {
    const SpoolBatch b = batch_of(0, 10);
    // Room for two batches and the segment header, not three.
    Spool spool(options(8 + 2 * b.bytes() + 5, 1 << 20));
    EXPECT_EQ(spool.append(b).status, SpoolAppendStatus::ok);
    EXPECT_EQ(spool.append(b).status, SpoolAppendStatus::ok);
    EXPECT_EQ(spool.append(b).status, SpoolAppendStatus::full);
    EXPECT_EQ(spool.depth().records, 20U);  // the refused batch left nothing behind
    drain(spool);
    EXPECT_EQ(spool.append(b).status, SpoolAppendStatus::ok);
}

TEST_F(SpoolTest, OverLimitAppendsIgnoreTheSizeBoundForTheLastFlush) {
    const SpoolBatch b = batch_of(0, 10);
    Spool spool(options(b.bytes(), 1 << 20));
    EXPECT_EQ(spool.append(b).status, SpoolAppendStatus::full);
    EXPECT_EQ(spool.append(b, SpoolDurability::synced, true).status, SpoolAppendStatus::ok);
    EXPECT_EQ(spool.depth().records, 10U);
}

TEST_F(SpoolTest, DeferredAppendsAreReadableAtOnceAndSurviveAReopen) {
    auto o = options();
    o.sync = true;
    {
        Spool spool(o);
        ASSERT_EQ(spool.append(batch_of(0, 3), SpoolDurability::deferred).status,
                  SpoolAppendStatus::ok);
        EXPECT_TRUE(spool.has_unsynced());
        const auto since = spool.unsynced_since();
        ASSERT_TRUE(since);
        EXPECT_LE(*since, std::chrono::steady_clock::now());
        EXPECT_FALSE(spool.sync_if_due(std::chrono::hours{1}));  // no error, and not due:
        EXPECT_TRUE(spool.has_unsynced());                        // nothing done
        ASSERT_EQ(spool.append(batch_of(3, 3), SpoolDurability::deferred).status,
                  SpoolAppendStatus::ok);
        EXPECT_EQ(spool.unsynced_since(), since);  // a later append keeps the oldest time
        EXPECT_FALSE(spool.sync_if_due());  // due at once: synced
        EXPECT_FALSE(spool.has_unsynced());
        EXPECT_FALSE(spool.unsynced_since());
        ASSERT_EQ(spool.append(batch_of(6, 3), SpoolDurability::deferred).status,
                  SpoolAppendStatus::ok);
        SpoolChunk chunk;
        ASSERT_TRUE(spool.read(chunk, 100));
        EXPECT_EQ(chunk.records().size(), 9U);
    }  // closing syncs what is left
    Spool reopened(o);
    EXPECT_EQ(drain(reopened), expected(0, 9));
}

TEST_F(SpoolTest, ARecordLargerThanTheReadBudgetIsStillRead) {
    Spool spool(options(8 << 20, 16 << 20));
    SpoolBatch b;
    const std::string big(300'000, 'x');
    b.add_serialized("small");
    b.add_serialized(big);
    b.add_serialized("after");
    ASSERT_EQ(spool.append(b).status, SpoolAppendStatus::ok);
    SpoolChunk chunk;
    std::vector<std::string> got;
    while (spool.read(chunk, 100, 1024)) {
        for (const auto r : chunk.records()) got.emplace_back(r);
        spool.consume(chunk);
    }
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0], "small");
    EXPECT_EQ(got[1], big);
    EXPECT_EQ(got[2], "after");
}

TEST_F(SpoolTest, ASecondSpoolOnTheSameDirectoryIsRefused) {
    Spool first(options());
    EXPECT_THROW(Spool{options()}, std::runtime_error);
}

TEST_F(SpoolTest, ConcurrentAppendsAreAllKeptAndEachBatchStaysTogether) {
    Spool spool(options(64 << 20, 4096));
    constexpr int kThreads = 4;
    constexpr int kBatches = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBatches; ++b) {
                SpoolBatch batch;
                for (int i = 0; i < 3; ++i) {
                    batch.add_serialized(std::to_string(t) + ":" + std::to_string(b) + ":" +
                                         std::to_string(i));
                }
                ASSERT_EQ(spool.append(batch).status, SpoolAppendStatus::ok);
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto got = drain(spool, 5);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(kThreads * kBatches * 3));
    std::vector<int> next_batch(kThreads, 0);
    for (std::size_t i = 0; i < got.size(); i += 3) {
        const int t = got[i][0] - '0';
        const std::string prefix =
            std::to_string(t) + ":" + std::to_string(next_batch[static_cast<std::size_t>(t)]) + ":";
        EXPECT_EQ(got[i], prefix + "0");
        EXPECT_EQ(got[i + 1], prefix + "1");
        EXPECT_EQ(got[i + 2], prefix + "2");
        ++next_batch[static_cast<std::size_t>(t)];
    }
}

TEST_F(SpoolTest, RandomTruncationsNeverYieldGarbage) {
    {
        Spool spool(options());
        for (int b = 0; b < 20; ++b)
            ASSERT_EQ(spool.append(batch_of(b * 3, 3)).status, SpoolAppendStatus::ok);
    }
    const auto file = segments().at(0);
    const auto full = fs::file_size(file);
    const std::string original = read_file(file);
    // Every cut point: what comes back is exactly a prefix of what was written.
    for (std::uint64_t cut = 0; cut <= full; cut += 7) {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        {
            std::ofstream out(file, std::ios::binary);
            out.write(original.data(), static_cast<std::streamsize>(cut));
        }
        Spool spool(options());
        const auto got = drain(spool);
        const auto want = expected(0, static_cast<int>(got.size()));
        ASSERT_EQ(got, want) << "cut at " << cut;
    }
}

}  // namespace
}  // namespace fleetwatch::storage
