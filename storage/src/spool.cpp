#include "fleetwatch/storage/spool.hpp"

#include <fcntl.h>
#include <google/protobuf/message_lite.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "crc32c.hpp"

namespace fleetwatch::storage {
namespace {

constexpr std::string_view kMagic = "FWSPOOL1";
constexpr std::uint64_t kHeaderBytes = kMagic.size();
constexpr std::size_t kSeqDigits = 20;
constexpr std::string_view kSuffix = ".spool";
constexpr std::size_t kMaxVarintBytes = 5;
constexpr std::size_t kCrcBytes = 4;
// Far above any real record (a position is ~50 bytes); a larger length is corruption.
constexpr std::uint64_t kMaxRecordBytes = 64ULL << 20;

std::error_code last_error() { return {errno, std::system_category()}; }

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(last_error(), what);
}

std::size_t put_varint(std::uint64_t value, char* out) {
    std::size_t n = 0;
    while (value >= 0x80) {
        out[n++] = static_cast<char>((value & 0x7F) | 0x80);
        value >>= 7;
    }
    out[n++] = static_cast<char>(value);
    return n;
}

void put_le32(std::uint32_t value, char* out) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFFU);
}

std::uint32_t get_le32(const char* in) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        value |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
    }
    return value;
}

enum class Parse { record, incomplete, corrupt };

struct ParsedRecord {
    Parse status = Parse::incomplete;
    std::size_t prefix = 0;   // varint bytes
    std::size_t payload = 0;  // payload bytes
    std::size_t total() const { return prefix + payload + kCrcBytes; }
};

// Parses the record at the start of [p, p + avail). `incomplete` means the bytes end inside it;
// `total()` is then known if the length prefix was complete (prefix != 0).
ParsedRecord parse_record(const char* p, std::size_t avail) {
    ParsedRecord r;
    std::uint64_t length = 0;
    std::size_t i = 0;
    for (;; ++i) {
        if (i == kMaxVarintBytes) return {Parse::corrupt, 0, 0};
        if (i == avail) return {Parse::incomplete, 0, 0};
        const auto byte = static_cast<unsigned char>(p[i]);
        length |= static_cast<std::uint64_t>(byte & 0x7FU) << (7 * i);
        if ((byte & 0x80U) == 0) break;
    }
    if (length > kMaxRecordBytes) return {Parse::corrupt, 0, 0};
    r.prefix = i + 1;
    r.payload = static_cast<std::size_t>(length);
    if (avail < r.total()) {
        r.status = Parse::incomplete;
        return r;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    const std::uint32_t crc = detail::crc32c_extend(0, bytes, r.prefix + r.payload);
    r.status = crc == get_le32(p + r.prefix + r.payload) ? Parse::record : Parse::corrupt;
    return r;
}

// pread/pwrite until done; false with errno set on failure (0 bytes read counts as EIO).
bool pread_all(int fd, char* out, std::size_t size, std::uint64_t offset) {
    while (size > 0) {
        const ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        out += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

bool pwrite_all(int fd, const char* in, std::size_t size, std::uint64_t offset) {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, in, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        in += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

void close_fd(int& fd) noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// `00000000000000000042.spool` -> 42; 0 for any other name.
std::uint64_t parse_segment_name(const std::string& name) {
    if (name.size() != kSeqDigits + kSuffix.size() || !name.ends_with(kSuffix)) return 0;
    std::uint64_t seq = 0;
    const char* end = name.data() + kSeqDigits;
    const auto [ptr, ec] = std::from_chars(name.data(), end, seq);
    if (ec != std::errc{} || ptr != end) return 0;
    return seq;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SpoolBatch

bool SpoolBatch::add(const google::protobuf::MessageLite& record) {
    const std::size_t size = record.ByteSizeLong();
    if (size > kMaxRecordBytes) return false;
    const std::size_t start = data_.size();
    data_.resize(start + kMaxVarintBytes + size + kCrcBytes);
    char* p = data_.data() + start;
    const std::size_t prefix = put_varint(size, p);
    if (!record.SerializeToArray(p + prefix, static_cast<int>(size))) {
        data_.resize(start);
        return false;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    put_le32(detail::crc32c_extend(0, bytes, prefix + size), p + prefix + size);
    data_.resize(start + prefix + size + kCrcBytes);
    ++records_;
    return true;
}

void SpoolBatch::add_serialized(std::string_view payload) {
    char prefix[kMaxVarintBytes];
    const std::size_t n = put_varint(payload.size(), prefix);
    const std::size_t start = data_.size();
    data_.append(prefix, n);
    data_.append(payload);
    const auto* bytes = reinterpret_cast<const unsigned char*>(data_.data() + start);
    char crc[kCrcBytes];
    put_le32(detail::crc32c_extend(0, bytes, n + payload.size()), crc);
    data_.append(crc, kCrcBytes);
    ++records_;
}

// ---------------------------------------------------------------------------------------------
// Spool: opening and recovery

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {
    if (options_.dir.empty()) throw std::runtime_error("spool: no directory configured");
    std::filesystem::create_directories(options_.dir);

    dir_fd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) throw_errno("spool: cannot open " + options_.dir.string());

    const auto lock_path = options_.dir / "LOCK";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) {
        const auto ec = last_error();
        close_fd(dir_fd_);
        throw std::system_error(ec, "spool: cannot open " + lock_path.string());
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        close_fd(lock_fd_);
        close_fd(dir_fd_);
        throw std::runtime_error("spool: " + options_.dir.string() +
                                 " is in use by another process (LOCK is held)");
    }
    try {
        recover();
    } catch (...) {
        close_fd(append_fd_);
        close_fd(lock_fd_);
        close_fd(dir_fd_);
        throw;
    }
}

Spool::~Spool() {
    if (append_fd_ >= 0 && unsynced_.load()) ::fdatasync(append_fd_);  // best effort
    close_reader();
    close_fd(append_fd_);
    close_fd(lock_fd_);  // releases the flock
    close_fd(dir_fd_);
}

std::filesystem::path Spool::segment_path(std::uint64_t seq) const {
    std::string name(kSeqDigits, '0');
    std::string digits = std::to_string(seq);
    name.replace(kSeqDigits - digits.size(), digits.size(), digits);
    name += kSuffix;
    return options_.dir / name;
}

void Spool::recover() {
    std::vector<std::uint64_t> seqs;
    for (const auto& entry : std::filesystem::directory_iterator(options_.dir)) {
        const std::uint64_t seq = parse_segment_name(entry.path().filename().string());
        if (seq != 0) seqs.push_back(seq);
    }
    std::sort(seqs.begin(), seqs.end());
    for (const std::uint64_t seq : seqs) recover_segment(seq);
    if (!seqs.empty()) next_seq_ = seqs.back() + 1;

    // The newest segment keeps taking appends where its valid records end.
    if (!segments_.empty()) {
        const auto path = segment_path(segments_.back().seq);
        append_fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (append_fd_ < 0) throw_errno("spool: cannot open " + path.string());
    }
    recovery_.segments = segments_.size();
    recovery_.records = pending_records_;
}

void Spool::recover_segment(std::uint64_t seq) {
    const auto path = segment_path(seq);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw_errno("spool: cannot open " + path.string());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const auto ec = last_error();
        close_fd(fd);
        throw std::system_error(ec, "spool: cannot stat " + path.string());
    }
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    std::string data(static_cast<std::size_t>(file_size), '\0');
    if (file_size > 0 && !pread_all(fd, data.data(), data.size(), 0)) {
        const auto ec = last_error();
        close_fd(fd);
        throw std::system_error(ec, "spool: cannot read " + path.string());
    }

    if (file_size < kHeaderBytes) {
        // Died while creating it: nothing in it was ever acknowledged as spooled.
        close_fd(fd);
        recovery_.truncated_bytes += file_size;
        std::filesystem::remove(path);
        return;
    }
    if (std::string_view(data).substr(0, kHeaderBytes) != kMagic) {
        close_fd(fd);
        throw std::runtime_error("spool: " + path.string() + " is not a spool segment");
    }

    Segment segment;
    segment.seq = seq;
    segment.consumed = kHeaderBytes;
    segment.read = kHeaderBytes;
    std::uint64_t offset = kHeaderBytes;
    while (offset < file_size) {
        const auto parsed =
            parse_record(data.data() + offset, static_cast<std::size_t>(file_size - offset));
        if (parsed.status != Parse::record) break;
        offset += parsed.total();
        ++segment.pending_records;
    }
    if (offset < file_size) {
        // A torn tail (or damage): everything from the first bad record on goes.
        if (::ftruncate(fd, static_cast<off_t>(offset)) != 0 || ::fdatasync(fd) != 0) {
            const auto ec = last_error();
            close_fd(fd);
            throw std::system_error(ec, "spool: cannot truncate " + path.string());
        }
        recovery_.truncated_bytes += file_size - offset;
    }
    close_fd(fd);
    segment.size = offset;

    if (segment.pending_records == 0) {
        std::filesystem::remove(path);
        return;
    }
    disk_bytes_ += segment.size;
    pending_records_ += segment.pending_records;
    pending_bytes_ += segment.size - kHeaderBytes;
    segments_.push_back(segment);
}

// ---------------------------------------------------------------------------------------------
// Appending

std::error_code Spool::open_new_segment() {
    // Deferred appends to the segment being closed reach the disk before it is left behind.
    if (append_fd_ >= 0 && unsynced_.load()) {
        if (::fdatasync(append_fd_) != 0) return last_error();
        unsynced_.store(false);
    }
    close_fd(append_fd_);
    const std::uint64_t seq = next_seq_;
    const auto path = segment_path(seq);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return last_error();
    if (!pwrite_all(fd, kMagic.data(), kMagic.size(), 0) ||
        (options_.sync && ::fdatasync(fd) != 0) || (options_.sync && ::fsync(dir_fd_) != 0)) {
        const auto ec = last_error();
        close_fd(fd);
        ::unlink(path.c_str());
        return ec;
    }
    ++next_seq_;
    append_fd_ = fd;
    Segment segment;
    segment.seq = seq;
    segment.size = kHeaderBytes;
    segment.consumed = kHeaderBytes;
    segment.read = kHeaderBytes;
    segments_.push_back(segment);
    disk_bytes_ += kHeaderBytes;
    return {};
}

SpoolAppendResult Spool::append(const SpoolBatch& batch, SpoolDurability durability,
                                bool over_limit) {
    if (batch.empty()) return {};
    const bool sync = options_.sync && durability == SpoolDurability::synced;
    const std::lock_guard lock(mutex_);

    const bool need_segment = segments_.empty() || append_fd_ < 0 ||
                              (segments_.back().size > kHeaderBytes &&
                               segments_.back().size + batch.bytes() > options_.segment_bytes);
    const std::uint64_t growth = batch.bytes() + (need_segment ? kHeaderBytes : 0);
    if (!over_limit && disk_bytes_ + growth > options_.max_bytes) {
        return {SpoolAppendStatus::full, {}};
    }
    if (need_segment) {
        if (const auto ec = open_new_segment()) return {SpoolAppendStatus::io_error, ec};
    }

    Segment& segment = segments_.back();
    // pwrite at the committed end, not O_APPEND: a failed or partial write leaves bytes past
    // `size` that the next append overwrites (or recovery truncates), never a hole mid-segment.
    if (!pwrite_all(append_fd_, batch.data().data(), batch.bytes(), segment.size) ||
        (sync && ::fdatasync(append_fd_) != 0)) {
        const auto ec = last_error();
        if (::ftruncate(append_fd_, static_cast<off_t>(segment.size)) != 0) {
            // Keep going: the garbage is past `size` and will be overwritten or truncated.
        }
        return {SpoolAppendStatus::io_error, ec};
    }
    if (sync) {
        unsynced_.store(false);  // fdatasync covered earlier deferred appends to this file too
    } else if (options_.sync && !unsynced_.load()) {
        unsynced_since_ = std::chrono::steady_clock::now();
        unsynced_.store(true);
    }
    segment.size += batch.bytes();
    segment.pending_records += batch.records();
    disk_bytes_ += batch.bytes();
    pending_records_ += batch.records();
    pending_bytes_ += batch.bytes();
    return {};
}

// ---------------------------------------------------------------------------------------------
// Reading and consuming

void Spool::close_reader() noexcept {
    close_fd(read_fd_);
    read_seq_ = 0;
}

bool Spool::read(SpoolChunk& out, std::size_t max_records, std::size_t max_bytes) {
    out.records_.clear();
    out.skipped_bytes_ = 0;

    Segment head;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(segments_.begin(), segments_.end(),
                                     [](const Segment& s) { return s.read < s.size; });
        if (it == segments_.end()) return false;
        head = *it;
    }
    const std::uint64_t start = head.read;
    // [start, head.size) is committed and immutable: read it without the lock.
    if (read_seq_ != head.seq) {
        close_reader();
        const auto path = segment_path(head.seq);
        read_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (read_fd_ < 0) throw_errno("spool: cannot open " + path.string());
        read_seq_ = head.seq;
    }

    const std::uint64_t available = head.size - start;
    std::size_t want = static_cast<std::size_t>(
        std::min<std::uint64_t>(available, std::max<std::size_t>(max_bytes, 64)));
    out.buffer_.resize(want);
    if (!pread_all(read_fd_, out.buffer_.data(), want, start)) {
        throw_errno("spool: cannot read " + segment_path(head.seq).string());
    }

    std::size_t offset = 0;
    while (out.records_.size() < std::max<std::size_t>(max_records, 1) && offset < want) {
        auto parsed = parse_record(out.buffer_.data() + offset, want - offset);
        if (parsed.status == Parse::incomplete && out.records_.empty() && parsed.prefix != 0 &&
            parsed.total() <= available) {
            // A single record larger than max_bytes: read exactly it.
            want = parsed.total();
            out.buffer_.resize(want);
            if (!pread_all(read_fd_, out.buffer_.data(), want, start)) {
                throw_errno("spool: cannot read " + segment_path(head.seq).string());
            }
            parsed = parse_record(out.buffer_.data(), want);
        }
        if (parsed.status == Parse::incomplete) break;  // the rest comes with the next read
        if (parsed.status == Parse::corrupt) {
            // Damaged after recovery checked it (disk trouble): skip the rest of the segment.
            out.skipped_bytes_ = available - offset;
            offset = static_cast<std::size_t>(available);
            break;
        }
        out.records_.emplace_back(out.buffer_.data() + offset + parsed.prefix, parsed.payload);
        offset += parsed.total();
    }
    out.segment_ = head.seq;
    out.start_offset_ = start;
    out.end_offset_ = start + offset;
    {
        const std::lock_guard lock(mutex_);
        const auto it = std::find_if(segments_.begin(), segments_.end(),
                                     [&](const Segment& s) { return s.seq == head.seq; });
        if (it != segments_.end()) it->read = std::max(it->read, out.end_offset_);
    }
    return true;
}

void Spool::rewind() {
    const std::lock_guard lock(mutex_);
    for (auto& segment : segments_) segment.read = segment.consumed;
}

bool Spool::has_unread() const {
    const std::lock_guard lock(mutex_);
    return std::any_of(segments_.begin(), segments_.end(),
                       [](const Segment& s) { return s.read < s.size; });
}

void Spool::consume(const SpoolChunk& chunk) {
    if (chunk.segment_ == 0) return;
    const std::lock_guard lock(mutex_);
    const auto it = std::find_if(segments_.begin(), segments_.end(),
                                 [&](const Segment& s) { return s.seq == chunk.segment_; });
    if (it == segments_.end() || chunk.start_offset_ != it->consumed ||
        chunk.end_offset_ <= it->consumed || chunk.end_offset_ > it->size ||
        std::any_of(segments_.begin(), it, [](const Segment& s) { return s.consumed < s.size; })) {
        return;  // out of turn or already consumed: nothing to do
    }
    const std::uint64_t bytes = chunk.end_offset_ - it->consumed;
    const std::uint64_t records =
        std::min<std::uint64_t>(chunk.records_.size(), it->pending_records);
    it->consumed = chunk.end_offset_;
    it->read = std::max(it->read, it->consumed);
    it->pending_records -= records;
    pending_records_ -= records;
    pending_bytes_ -= bytes;
    if (it->consumed < it->size) return;
    if (it->pending_records != 0) {  // skipped corrupt records are gone too
        pending_records_ -= it->pending_records;
        it->pending_records = 0;
    }

    // Every record of this segment is consumed, and consumption is in order, so every older
    // segment is too: delete them all. The newest one goes too; the next append starts afresh.
    const bool newest = std::next(it) == segments_.end();
    for (auto done = segments_.begin(); done != std::next(it); ++done) {
        if (done->seq == read_seq_) close_reader();
        ::unlink(segment_path(done->seq).c_str());  // a failure only means a replay after restart
        disk_bytes_ -= done->size;
    }
    segments_.erase(segments_.begin(), std::next(it));
    if (newest) {
        close_fd(append_fd_);
        unsynced_.store(false);  // whatever was unsynced is consumed and deleted
    }
}

std::error_code Spool::sync_if_due(std::chrono::steady_clock::duration max_age) {
    if (!unsynced_.load()) return {};
    const std::lock_guard lock(mutex_);
    if (!unsynced_.load() || std::chrono::steady_clock::now() - unsynced_since_ < max_age)
        return {};
    if (append_fd_ >= 0 && ::fdatasync(append_fd_) != 0) {
        unsynced_since_ = std::chrono::steady_clock::now();  // retried after max_age, not at once
        return last_error();
    }
    unsynced_.store(false);
    return {};
}

std::optional<std::chrono::steady_clock::time_point> Spool::unsynced_since() const {
    if (!unsynced_.load()) return std::nullopt;
    const std::lock_guard lock(mutex_);
    if (!unsynced_.load()) return std::nullopt;
    return unsynced_since_;
}

SpoolDepth Spool::depth() const {
    const std::lock_guard lock(mutex_);
    return {pending_records_.load(), pending_bytes_, disk_bytes_, segments_.size()};
}

bool Spool::empty() const { return pending_records_.load(std::memory_order_acquire) == 0; }

}  // namespace fleetwatch::storage
