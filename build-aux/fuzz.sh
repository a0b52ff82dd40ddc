#!/usr/bin/env bash
# Fuzzes one reader of the files people send each other for MINUTES minutes
# in the AddressSanitizer + UBSan build (build-asan, set up here if missing),
# keeping every input that crashes or hangs in build-asan/fuzz-findings/READER.
# Readers: dataset (or image, mat, pkz alone), pickle, model, gallery.
#   build-aux/fuzz.sh READER MINUTES [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 ]]; then
  echo "usage: build-aux/fuzz.sh READER MINUTES [SEED]   (readers: dataset image mat pkz pickle model gallery)" >&2
  exit 2
fi
reader=$1
minutes=$2
seed=${3:-1}

if [[ ! -f build-asan/build.ninja ]]; then
  meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-asan tests/fuzz/sf-fuzz

# As build-aux/test.sh runs the sanitizer build; criticals are findings too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export G_DEBUG=fatal-criticals
exec build-asan/tests/fuzz/sf-fuzz "$reader" --seconds $((minutes * 60)) --seed "$seed" \
  --out "build-asan/fuzz-findings/$reader"
