// An append-only on-disk queue of records: where acknowledged events wait while PostgreSQL is
// away, and from which they are replayed, in order, when it returns.
//
// Layout. A spool is a directory of segment files `<seq>.spool` (20 decimal digits, oldest
// first) and a `LOCK` file. A segment starts with the 8-byte magic "FWSPOOL1" and holds
// records, each
//
//     varint32 length | payload (length bytes, a serialized protobuf) | CRC-32C, 4 bytes LE
//
// where the CRC covers the varint and the payload. The varint prefix is the one of
// google::protobuf::util::SerializeDelimitedToOstream; the CRC is what lets a torn tail (the
// process or the machine died in the middle of an append) be told from data.
//
// Durability. `append` writes a whole SpoolBatch or nothing and returns after fdatasync
// (SpoolOptions::sync), so a batch reported `ok` survives a crash. Segments roll at about
// `segment_bytes`; a batch never spans two segments.
//
// Recovery. The constructor scans every segment, truncates each at its first invalid record
// (a torn tail is truncated, never replayed as garbage) and makes every record pending again:
// replay starts at the oldest segment. Consumption is not persisted below segment granularity,
// so records consumed before a crash may be read again; consumers must be idempotent (the
// positions table dedups on its primary key).
//
// Consumption. `read` returns the next pending records after those already read, without
// removing them, so a consumer may have several chunks in flight; `consume` marks a chunk done
// after the consumer committed it elsewhere (chunks are consumed in the order they were read)
// and deletes a segment once every record in it is consumed; `rewind` makes the next read start
// again at the oldest unconsumed record (the consumer failed to commit what it had read).
//
// Threads. `append` may be called from any thread. `read` and `consume` belong to one consumer
// thread at a time. `depth` and `empty` may be called from anywhere; `empty` takes no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace google::protobuf {
class MessageLite;
}

namespace fleetwatch::storage {

struct SpoolOptions {
    std::filesystem::path dir;                  // created if missing
    std::uint64_t max_bytes = 1ULL << 30;       // bound on the segment files' total size
    std::uint64_t segment_bytes = 16ULL << 20;  // roll to a new segment beyond this
    bool sync = true;                           // fdatasync each append (off only in tests)
};

// Records framed for the spool, built in memory and appended as one unit.
class SpoolBatch {
  public:
    // Serializes `record` and frames it. False (and nothing added) if it cannot be serialized.
    bool add(const google::protobuf::MessageLite& record);
    void add_serialized(std::string_view payload);

    std::size_t records() const noexcept { return records_; }
    std::size_t bytes() const noexcept { return data_.size(); }  // as it will be on disk
    bool empty() const noexcept { return records_ == 0; }
    void clear() noexcept {
        data_.clear();
        records_ = 0;
    }
    std::string_view data() const noexcept { return data_; }

  private:
    std::string data_;
    std::size_t records_ = 0;
};

// When an append reaches the disk.
enum class SpoolDurability {
    synced,    // fdatasync before append returns
    deferred,  // written (it survives the process, not the machine) until sync() or sync_if_due()
};

enum class SpoolAppendStatus {
    ok,        // durable
    full,      // refused: the spool would grow beyond max_bytes; nothing written
    io_error,  // nothing (durably) written; see error
};

struct SpoolAppendResult {
    SpoolAppendStatus status = SpoolAppendStatus::ok;
    std::error_code error;  // set for io_error
};

// The oldest pending records of one segment, read but not yet consumed.
class SpoolChunk {
  public:
    // Payloads (serialized protobuf), oldest first; valid until the next read into this chunk.
    std::span<const std::string_view> records() const noexcept { return records_; }
    bool empty() const noexcept { return records_.empty() && skipped_bytes_ == 0; }
    // Bytes after a corrupt record that `consume` will discard with this chunk (a spool damaged
    // while the process ran; normally 0).
    std::uint64_t skipped_bytes() const noexcept { return skipped_bytes_; }

  private:
    friend class Spool;
    std::string buffer_;
    std::vector<std::string_view> records_;
    std::uint64_t segment_ = 0;
    std::uint64_t start_offset_ = 0;
    std::uint64_t end_offset_ = 0;
    std::uint64_t skipped_bytes_ = 0;
};

struct SpoolDepth {
    std::uint64_t records = 0;     // pending (appended, not consumed)
    std::uint64_t bytes = 0;       // pending record bytes
    std::uint64_t disk_bytes = 0;  // segment files' total size, what max_bytes bounds
    std::uint64_t segments = 0;
};

// What the constructor found on disk.
struct SpoolRecovery {
    std::uint64_t segments = 0;
    std::uint64_t records = 0;
    std::uint64_t truncated_bytes = 0;  // torn or corrupt tails cut off
};

class Spool {
  public:
    // Opens (or creates) the spool in options.dir, locks it against other processes and
    // recovers it. Throws std::system_error on I/O errors and std::runtime_error when the
    // directory holds a file named like a segment that is not one, or is locked.
    explicit Spool(SpoolOptions options);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // Appends every record of `batch` or none. `over_limit` ignores max_bytes: for the last
    // flush at shutdown, when the alternative is losing acknowledged data. With
    // SpoolOptions::sync off every append is deferred and sync() does nothing.
    SpoolAppendResult append(const SpoolBatch& batch,
                             SpoolDurability durability = SpoolDurability::synced,
                             bool over_limit = false);

    // fdatasync what deferred appends wrote, if the oldest of it is at least `max_age` old.
    // Cheap (no lock) when nothing waits. Thread-safe.
    std::error_code sync_if_due(std::chrono::steady_clock::duration max_age = {});
    // True while deferred appends await that fdatasync.
    bool has_unsynced() const noexcept { return unsynced_.load(); }
    // When the oldest deferred append not yet synced was written (after a failed fdatasync: when
    // it failed, so a retry waits max_age again); empty when nothing awaits a sync.
    std::optional<std::chrono::steady_clock::time_point> unsynced_since() const;

    // Reads the oldest records not read yet, at most `max_records` and about `max_bytes` (a
    // larger single record is still returned), into `out`. False when every pending record has
    // been read; throws std::system_error on read errors.
    bool read(SpoolChunk& out, std::size_t max_records, std::size_t max_bytes = 8U << 20);

    // Marks the records of `chunk` consumed; deletes segments left empty. Chunks are consumed in
    // the order they were read; a chunk out of turn (or consumed twice) is ignored.
    void consume(const SpoolChunk& chunk);

    // Forgets what was read and not consumed: the next read starts at the oldest pending record.
    void rewind();

    // True when some pending record has not been read since the last rewind.
    bool has_unread() const;

    SpoolDepth depth() const;
    bool empty() const;
    const SpoolRecovery& recovery() const noexcept { return recovery_; }
    const SpoolOptions& options() const noexcept { return options_; }

  private:
    struct Segment {
        std::uint64_t seq = 0;
        std::uint64_t size = 0;      // committed end: every byte below is a valid record
        std::uint64_t consumed = 0;  // offset of the first pending record
        std::uint64_t read = 0;      // offset of the first record not read yet (>= consumed)
        std::uint64_t pending_records = 0;
    };

    std::filesystem::path segment_path(std::uint64_t seq) const;
    void recover();
    void recover_segment(std::uint64_t seq);
    std::error_code open_new_segment();  // mutex_ held
    void close_reader() noexcept;

    SpoolOptions options_;
    SpoolRecovery recovery_;
    int dir_fd_ = -1;
    int lock_fd_ = -1;

    mutable std::mutex mutex_;
    std::deque<Segment> segments_;  // oldest first; the back one takes appends
    int append_fd_ = -1;            // the back segment, or -1 when none is open
    std::uint64_t next_seq_ = 1;
    std::uint64_t disk_bytes_ = 0;
    std::atomic<std::uint64_t> pending_records_{0};  // written under mutex_, read anywhere
    std::uint64_t pending_bytes_ = 0;
    std::atomic<bool> unsynced_{false};  // deferred appends await fdatasync (set under mutex_)
    std::chrono::steady_clock::time_point unsynced_since_{};

    // Consumer thread only.
    int read_fd_ = -1;
    std::uint64_t read_seq_ = 0;
};

}  // namespace fleetwatch::storage
