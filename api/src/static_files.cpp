#include "fleetwatch/api/static_files.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace fleetwatch::api {
namespace {

std::string_view content_type(const std::filesystem::path& p) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".yaml", "application/yaml; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
    }};
    const std::string ext = p.extension().string();
    for (const auto& [e, t] : kTypes) {
        if (e == ext) return t;
    }
    return "application/octet-stream";
}

ApiError not_found() { return ApiError(404, "not_found", "no such file"); }

// The path relative to the root, checked segment by segment; throws 400.
std::filesystem::path relative_path(std::string_view path) {
    const auto bad = [] {
        return ApiError(400, "invalid_path",
                        "the path has a '.' or '..' segment, a backslash or a control character");
    };
    if (path.size() > StaticFiles::kMaxPathBytes) {
        throw ApiError(400, "invalid_path", "the path is longer than 1024 bytes");
    }
    std::filesystem::path rel;
    std::size_t start = 1;  // after the leading '/'
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                            : slash - start);
        if (seg == "." || seg == "..") throw bad();
        for (const char c : seg) {
            if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) throw bad();
        }
        if (!seg.empty()) rel /= std::string(seg);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return rel;
}

}  // namespace

StaticFiles::StaticFiles(std::filesystem::path root) {
    std::error_code ec;
    auto canonical = std::filesystem::canonical(root, ec);
    root_ = ec ? std::move(root) : std::move(canonical);
}

Response StaticFiles::serve(const Request& request) const {
    const std::filesystem::path rel = relative_path(request.path);
    std::error_code ec;
    std::filesystem::path file = std::filesystem::canonical(root_ / rel, ec);
    if (ec) throw not_found();
    // A directory's index.html is resolved too: it may be a symlink of its own.
    if (std::filesystem::is_directory(file, ec)) {
        file = std::filesystem::canonical(file / "index.html", ec);
        if (ec) throw not_found();
    }
    // Symlinks may not lead out of the root.
    const auto [r_end, f_it] = std::mismatch(root_.begin(), root_.end(), file.begin(), file.end());
    if (r_end != root_.end()) throw not_found();
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::is_regular_file(status)) throw not_found();
    const auto size = std::filesystem::file_size(file, ec);
    if (ec || size > kMaxFileBytes) throw not_found();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw not_found();
    Response r;
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    r.content_type = std::string(content_type(file));
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
}

}  // namespace fleetwatch::api
