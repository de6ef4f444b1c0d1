#include "fleetwatch/jt808/text.hpp"

#include <iconv.h>

#include <cerrno>
#include <memory>

namespace fleetwatch::jt808 {
namespace {

// One iconv descriptor per thread and direction; iconv_t is not thread-safe.
class Converter {
public:
    Converter(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
    ~Converter() {
        if (valid()) iconv_close(cd_);
    }
    Converter(const Converter&) = delete;
    Converter& operator=(const Converter&) = delete;

    bool valid() const noexcept { return cd_ != reinterpret_cast<iconv_t>(-1); }

    // Converts `in`, calling on_bad(out) and skipping `skip` bytes at each invalid sequence.
    template <class OnBad>
    std::string convert(Bytes in, std::size_t skip, OnBad on_bad) {
        std::string out;
        out.resize(in.size() * 2 + 8);
        iconv(cd_, nullptr, nullptr, nullptr, nullptr);
        auto* src = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
        std::size_t src_left = in.size();
        std::size_t used = 0;
        while (src_left > 0) {
            char* dst = out.data() + used;
            std::size_t dst_left = out.size() - used;
            const std::size_t rc = iconv(cd_, &src, &src_left, &dst, &dst_left);
            used = out.size() - dst_left;
            if (rc != static_cast<std::size_t>(-1)) break;
            if (errno == E2BIG) {
                out.resize(out.size() * 2);
            } else {  // EILSEQ or EINVAL (incomplete sequence at the end)
                on_bad(out, used);
                const std::size_t n = std::min(skip, src_left);
                src += n;
                src_left -= n;
            }
        }
        out.resize(used);
        return out;
    }

private:
    iconv_t cd_;
};

void append_at(std::string& out, std::size_t& used, std::string_view s) {
    if (out.size() < used + s.size()) out.resize(used + s.size() + 16);
    out.replace(used, s.size(), s);
    used += s.size();
}

}  // namespace

std::string gbk_to_utf8(Bytes gbk) {
    bool ascii = true;
    for (const std::uint8_t b : gbk) ascii = ascii && b < 0x80;
    if (ascii) return std::string(reinterpret_cast<const char*>(gbk.data()), gbk.size());
    thread_local Converter conv("UTF-8", "GB18030");
    if (!conv.valid()) return std::string(reinterpret_cast<const char*>(gbk.data()), gbk.size());
    return conv.convert(gbk, 1, [](std::string& out, std::size_t& used) {
        append_at(out, used, "\xEF\xBF\xBD");
    });
}

std::vector<std::uint8_t> utf8_to_gbk(std::string_view utf8) {
    const Bytes in = as_bytes(utf8);
    bool ascii = true;
    for (const std::uint8_t b : in) ascii = ascii && b < 0x80;
    if (ascii) return {in.begin(), in.end()};
    thread_local Converter conv("GBK", "UTF-8");
    if (!conv.valid()) return {in.begin(), in.end()};
    // Skip a whole UTF-8 character at a time when it has no GBK form.
    std::string out;
    std::size_t pos = 0;
    std::string result;
    while (pos < in.size()) {
        std::size_t len = 1;
        const std::uint8_t lead = in[pos];
        if (lead >= 0xF0) len = 4;
        else if (lead >= 0xE0) len = 3;
        else if (lead >= 0xC0) len = 2;
        len = std::min(len, in.size() - pos);
        bool bad = false;
        std::string piece = conv.convert(in.subspan(pos, len), len,
                                         [&bad](std::string&, std::size_t&) { bad = true; });
        result += bad ? std::string("?") : piece;
        pos += len;
    }
    return {result.begin(), result.end()};
}

Bytes trim_padding(Bytes b, bool front) noexcept {
    auto pad = [](std::uint8_t c) { return c == 0x00 || c == 0x20; };
    while (!b.empty() && pad(b.back())) b = b.first(b.size() - 1);
    if (front) {
        while (!b.empty() && pad(b.front())) b = b.subspan(1);
    }
    return b;
}

}  // namespace fleetwatch::jt808
