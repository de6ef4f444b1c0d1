#include "corpus.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "fleetwatch/jt808/encode.hpp"

namespace fleetwatch::testing {

std::filesystem::path corpus_dir() { return std::filesystem::path(FLEETWATCH_SHARED_DIR) / "testdata" / "jt808"; }

std::vector<CorpusRow> read_corpus(const std::string& name) {
    const auto path = corpus_dir() / name;
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("JT/T 808 corpus missing: " + path.string() +
                                 " (check out shared/ beside the repository)");
    }
    std::vector<std::string> columns;
    std::vector<CorpusRow> rows;
    std::string line;
    std::size_t line_no = 0;
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::string cell;
        std::istringstream ss(s);
        while (std::getline(ss, cell, '\t')) out.push_back(cell);
        if (!s.empty() && s.back() == '\t') out.emplace_back();
        return out;
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        auto cells = split(line);
        if (columns.empty()) {
            columns = cells;
            continue;
        }
        CorpusRow row;
        row.line = line_no;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            row.fields[columns[i]] = i < cells.size() ? cells[i] : std::string();
        }
        rows.push_back(std::move(row));
    }
    if (rows.empty()) throw std::runtime_error("JT/T 808 corpus has no rows: " + path.string());
    return rows;
}

std::vector<std::uint8_t> to_wire(const std::vector<std::uint8_t>& unescaped) {
    std::vector<std::uint8_t> out;
    jt808::escape_into(unescaped, out);
    return out;
}

}  // namespace fleetwatch::testing
