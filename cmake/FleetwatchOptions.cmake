# FleetwatchOptions.cmake — build options, warnings, sanitizers and fuzzers for fleetwatch.
#
# Included from the top-level CMakeLists.txt, after project():
#   list(APPEND CMAKE_MODULE_PATH ${CMAKE_SOURCE_DIR}/cmake)
#   include(FleetwatchOptions)
#
# Options
#   FLEETWATCH_WERROR    (OFF) turn warnings from fleetwatch_warnings() into errors
#   FLEETWATCH_SANITIZE  (OFF) ASan + UBSan on everything, no recovery (any report fails)
#   FLEETWATCH_FUZZ      (OFF) libFuzzer targets from fleetwatch_fuzzer(); Clang only. All code is
#                              compiled with coverage instrumentation and ASan + UBSan so the
#                              fuzzer sees inside the libraries it links, not just its harness.
#   FLEETWATCH_BENCH     (ON)  Google Benchmark targets (read by tests/bench)
#
# Functions
#   fleetwatch_warnings(<target>)
#   fleetwatch_compute_bound(<target>)
#   fleetwatch_fuzzer(<name> <source>... [LINK <lib>...])
include_guard(GLOBAL)

if(NOT DEFINED PROJECT_NAME)
    message(FATAL_ERROR "include(FleetwatchOptions) after project(): it needs the compiler id")
endif()

option(FLEETWATCH_WERROR "Treat compiler warnings as errors" OFF)
option(FLEETWATCH_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(FLEETWATCH_FUZZ "Build libFuzzer targets (requires Clang)" OFF)
option(FLEETWATCH_BENCH "Build Google Benchmark targets" ON)

# ---------------------------------------------------------------------------------------------
# Build type and tooling

get_property(_fleetwatch_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT _fleetwatch_multi_config AND NOT CMAKE_BUILD_TYPE)
    message(STATUS "fleetwatch: CMAKE_BUILD_TYPE not set, using RelWithDebInfo")
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING
        "Build type: Debug Release RelWithDebInfo MinSizeRel" FORCE)
    set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS Debug Release RelWithDebInfo MinSizeRel)
endif()
unset(_fleetwatch_multi_config)

# compile_commands.json for clang-tidy, clangd and the like.
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# ---------------------------------------------------------------------------------------------
# Sanitizers (global: every target, including static libraries linked into tests)

set(_fleetwatch_sanitize_flags
    -fsanitize=address,undefined
    -fno-sanitize-recover=all
    -fno-omit-frame-pointer)

if(FLEETWATCH_SANITIZE)
    message(STATUS "fleetwatch: ASan + UBSan enabled for all targets")
    add_compile_options(${_fleetwatch_sanitize_flags})
    add_link_options(-fsanitize=address,undefined)
endif()

# fleetwatch_compute_bound(<target>): in a sanitizer build, compile <target> at -O1 (after the
# build type's flags, so it wins over scripts/test.sh's -O0). For code whose tests compute
# rather than wait: the rule engine's four shuffled-arrival property tests took 296 s at -O0
# (ctest, ASan step of test.sh at 9a0eb89) and 95 s at -O1 (the same four run by hand, same
# build); the ASan ctest step went from 540 s to 494 s. Elsewhere a no-op.
function(fleetwatch_compute_bound target)
    if(FLEETWATCH_SANITIZE)
        target_compile_options(${target} PRIVATE -O1)
    endif()
endfunction()

# ---------------------------------------------------------------------------------------------
# Fuzzing

if(FLEETWATCH_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR
            "FLEETWATCH_FUZZ=ON needs Clang (libFuzzer), but the C++ compiler is "
            "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a fresh build "
            "directory with clang, e.g.\n"
            "  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DFLEETWATCH_FUZZ=ON\n"
            "On Debian the fuzzer runtime is in package libclang-rt-14-dev "
            "(deploy/install-deps.sh installs it).")
    endif()
    message(STATUS "fleetwatch: fuzz build (coverage instrumentation + ASan + UBSan everywhere)")
    # Instrument all code for coverage without linking libFuzzer's main(); only the targets made
    # by fleetwatch_fuzzer() link libFuzzer. Ordinary executables still link (the ASan runtime
    # provides the coverage callbacks).
    add_compile_options(-fsanitize=fuzzer-no-link ${_fleetwatch_sanitize_flags})
    add_link_options(-fsanitize=address,undefined)
    # `cmake --build <dir> --target fleetwatch_fuzzers` builds every fuzzer and nothing else.
    if(NOT TARGET fleetwatch_fuzzers)
        add_custom_target(fleetwatch_fuzzers)
    endif()
endif()

# ---------------------------------------------------------------------------------------------
# fleetwatch_warnings(<target>)
#
# The project's warning set, PRIVATE to <target> (never leaks to dependants). Every flag is
# understood by both g++ 12 and clang 14. With FLEETWATCH_WERROR, warnings are errors, except
# GCC 12's known false positives from inlined libstdc++ code at -O2 (e.g. `s.insert(0, "x")`
# on a std::string gives -Wrestrict, GCC PR 105329; -Wnull-dereference inside basic_string when
# CLI11 is inlined): those stay warnings.
function(fleetwatch_warnings target)
    if(NOT TARGET ${target})
        message(FATAL_ERROR "fleetwatch_warnings: '${target}' is not a target")
    endif()
    target_compile_options(${target} PRIVATE
        -Wall
        -Wextra
        -Wpedantic
        -Wshadow
        -Wconversion
        -Wsign-conversion
        -Wold-style-cast
        -Wnon-virtual-dtor
        -Woverloaded-virtual
        -Wnull-dereference
        -Wimplicit-fallthrough)
    if(FLEETWATCH_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
            target_compile_options(${target} PRIVATE
                -Wno-error=restrict
                -Wno-error=array-bounds
                -Wno-error=stringop-overflow
                -Wno-error=stringop-overread
                -Wno-error=null-dereference)
        endif()
    endif()
endfunction()

# ---------------------------------------------------------------------------------------------
# fleetwatch_fuzzer(<name> <source>... [LINK <lib>...])
#
# A libFuzzer executable (the sources define LLVMFuzzerTestOneInput). Does nothing unless
# FLEETWATCH_FUZZ is ON, so tests/fuzz/CMakeLists.txt can call it unconditionally.
function(fleetwatch_fuzzer name)
    cmake_parse_arguments(PARSE_ARGV 1 _fw "" "" "LINK")
    if(NOT FLEETWATCH_FUZZ)
        return()
    endif()
    if(NOT _fw_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "fleetwatch_fuzzer(${name}): no source files given")
    endif()
    add_executable(${name} ${_fw_UNPARSED_ARGUMENTS})
    target_compile_options(${name} PRIVATE
        -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=all
        -fno-omit-frame-pointer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    if(_fw_LINK)
        target_link_libraries(${name} PRIVATE ${_fw_LINK})
    endif()
    fleetwatch_warnings(${name})
    add_dependencies(fleetwatch_fuzzers ${name})
endfunction()
