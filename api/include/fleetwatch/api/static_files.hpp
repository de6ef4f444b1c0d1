// Static files under /: the web dashboard's files (`http.static_dir`, default `web/`).
//
// Only GET of a path outside /api/ that no route matches reaches it (Router::set_static).
// The request path arrives percent-decoded; a segment "." or "..", a backslash, a NUL or a
// control character, or a path over 1 024 bytes is 400 `invalid_path` — refused before the
// file system is asked anything. A path that resolves (through symlinks too) outside the root,
// a missing file, anything that is not a regular file, and files over 16 MiB are 404. "/" and
// a directory serve its index.html. Content-Type by extension; `Cache-Control: no-cache`
// (the dashboard revalidates; files are small).
#pragma once

#include <filesystem>

#include "fleetwatch/api/http.hpp"

namespace fleetwatch::api {

class StaticFiles {
  public:
    static constexpr std::size_t kMaxPathBytes = 1024;
    static constexpr std::uintmax_t kMaxFileBytes = 16u * 1024 * 1024;

    // `root` need not exist (then every file is 404).
    explicit StaticFiles(std::filesystem::path root);

    // Throws ApiError (400, 404).
    Response serve(const Request& request) const;

  private:
    std::filesystem::path root_;  // canonical when it exists
};

}  // namespace fleetwatch::api
