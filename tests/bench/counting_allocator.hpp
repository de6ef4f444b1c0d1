// A counting global allocator for the benchmarks: replaces operator new/delete (malloc-based) in
// the executable that links the `fleetwatch_counting_allocator` object library, and counts every
// allocation in the process, so a benchmark can prove its hot path allocates nothing.
#pragma once

#include <cstdint>

namespace fleetwatch::bench {

// Allocations since the process started (relaxed atomic; all threads).
std::uint64_t allocation_count() noexcept;

// Reads the counter around a timed loop.
class AllocationProbe {
  public:
    AllocationProbe() : start_(allocation_count()) {}
    std::uint64_t count() const noexcept { return allocation_count() - start_; }

  private:
    std::uint64_t start_;
};

}  // namespace fleetwatch::bench
