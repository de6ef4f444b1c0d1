// Reading the shared JT/T 808 test corpora (../shared/testdata/jt808/*.tsv).
//
// The corpus path comes from the FLEETWATCH_SHARED_DIR compile definition (CMake cache
// variable of the same name). A missing corpus is a hard failure, never a skip: CI has it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace fleetwatch::testing {

// One data row of a TSV file: column name -> value, plus its 1-based line number.
struct CorpusRow {
    std::size_t line = 0;
    std::map<std::string, std::string> fields;
    const std::string& at(const std::string& column) const { return fields.at(column); }
};

// The corpus folder, e.g. /work/shared/testdata/jt808.
std::filesystem::path corpus_dir();

// Reads `name` (e.g. "smallchi_vectors.tsv"): '#' lines are comments, the first other line
// names the columns. Throws std::runtime_error with the path when the file is missing.
std::vector<CorpusRow> read_corpus(const std::string& name);

// Un-escaped frame bytes (no flags) -> wire bytes (flags, escaped).
std::vector<std::uint8_t> to_wire(const std::vector<std::uint8_t>& unescaped);

}  // namespace fleetwatch::testing
