// `fleetwatch decode`: JT/T 808 frames as hex in, one JSON object per frame out (API.md).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/jt808/frame.hpp"

namespace fleetwatch::app {

struct DecodeCommandOptions {
    std::vector<std::string> frames;       // hex frames from the command line; stdin when empty
    std::optional<jt808::Dialect> dialect; // hint for bodies 2011 and 2013 share a header with
    bool pretty = false;
};

// Decodes every frame and writes one JSON line each to `out`. Returns 0 when every frame
// decoded, 1 when any was rejected (its line says why).
int run_decode(const DecodeCommandOptions& options, std::istream& in, std::ostream& out);

}  // namespace fleetwatch::app
