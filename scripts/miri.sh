#!/usr/bin/env bash
# Runs seqzoo-autograd's Miri set: the unit tests named `miri_*`, in the modules that hold unsafe
# code (simd, element, tensor::{gemm, packed, par_map}, ops::matmul, ops::recurrent::scan), under
# Miri, which reports undefined behaviour: out-of-bounds or misaligned accesses, reads of
# uninitialized memory, aliasing violations, data races.
#
# NOT part of CI: CI uses the stable toolchain only. This needs the nightly toolchain with the
# `miri` and `rust-src` components; it installs nothing, and prints the command when they are
# missing. About 10 minutes on the project's 2-core machine, 15 when it is busy; the first run
# also builds Miri's sysroot and the dependencies, a few minutes more.
#
# Configurations (Miri sees one CPU, so the tests that need threads build a 2-thread rayon pool):
#   1. Stacked Borrows (Miri's default aliasing model), on the tests that never start a rayon
#      thread. rayon's deque uses crossbeam-epoch, whose intrusive list breaks a Stacked Borrows
#      rule (crossbeam-rs/crossbeam#545, #1181; sound under Tree Borrows), so any test that starts
#      the pool fails in crossbeam-epoch under Stacked Borrows, not in seqzoo.
#   2. Tree Borrows, on the whole set, threads included.
#   3. As 2, for a target with AVX2 and FMA: every `vectorized` call takes its AVX2 branch, and
#      matrixmultiply its AVX2/FMA kernels (`_mm256_*` intrinsics, which Miri implements).
#   4. As 2, for a target with AVX-512F/VL, on the kernels whose code differs by target (simd,
#      element, gemm, packed): `vectorized` takes its AVX-512 branch and matrixmultiply its
#      AVX-512 kernels (`_mm512_*` intrinsics; those it uses are implemented by Miri).
# Under Miri, `is_x86_feature_detected!` reports the target's compile-time features, so each
# configuration exercises exactly one dispatch branch (1 and 2: the plain fallback).
#
# Usage: scripts/miri.sh                  all four configurations
#        scripts/miri.sh FILTER...        configurations 2 and 3 only, on the tests whose names
#                                         contain a FILTER (e.g. scripts/miri.sh packed)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "Miri is not installed for the nightly toolchain. Install it with:" >&2
    echo "    rustup toolchain install nightly --component miri,rust-src" >&2
    echo "(or, with nightly present: rustup +nightly component add miri rust-src)" >&2
    exit 1
fi
cargo +nightly miri --version

# The tests that start no rayon thread (none of them reaches a `rayon::current_num_threads`).
SERIAL=(
    simd::tests::miri_
    element::tests::miri_
    tensor::packed::tests::miri_every_entry_point
    tensor::packed::tests::miri_empty_dimensions
    tensor::packed::tests::miri_f32_tiles
    tensor::par_map::tests::miri_small_maps
)
# Leaks: rayon's global pool threads are never joined. Provenance: crossbeam-epoch keeps tags in
# the low bits of pointers (integer-to-pointer casts; seqzoo's own code has none).
THREADED_FLAGS="-Zmiri-tree-borrows -Zmiri-ignore-leaks -Zmiri-permissive-provenance"

run() {
    local name=$1 flags=$2 target_dir=$3 rustflags=$4
    shift 4
    echo
    echo "== $name (MIRIFLAGS=\"$flags\"${rustflags:+ RUSTFLAGS=\"$rustflags\"})"
    local start=$SECONDS
    # MIRIFLAGS do not change the build; RUSTFLAGS do, so that configuration has its own
    # target directory (and the others do not rebuild after it).
    MIRIFLAGS="$flags" RUSTFLAGS="$rustflags" CARGO_TARGET_DIR="${target_dir:-target}" \
        cargo +nightly miri test -p seqzoo-autograd --lib -- "$@"
    echo "== $name: $((SECONDS - start)) s"
}

if [ $# -gt 0 ]; then
    run "Tree Borrows, threads" "$THREADED_FLAGS" "" "" "$@"
    run "Tree Borrows, AVX2+FMA" "$THREADED_FLAGS" target/miri-avx2-fma \
        "-C target-feature=+avx2,+fma" "$@"
    exit 0
fi

run "Stacked Borrows, no threads" "-Zmiri-strict-provenance" "" "" "${SERIAL[@]}"
run "Tree Borrows, threads" "$THREADED_FLAGS" "" "" miri_
run "Tree Borrows, AVX2+FMA" "$THREADED_FLAGS" target/miri-avx2-fma \
    "-C target-feature=+avx2,+fma" miri_
run "Tree Borrows, AVX-512" "$THREADED_FLAGS" target/miri-avx512 \
    "-C target-feature=+avx512f,+avx512vl,+avx2,+fma" \
    simd::tests::miri_ element::tests::miri_ tensor::gemm::tests::miri_ tensor::packed::tests::miri_
echo
echo "Miri found no undefined behaviour."
