#!/usr/bin/env bash
# Our epoch time against the PyTorch peer's, in one sitting, alternating:
# the article network (`bench --preset article` against the peer program in
# ../shared/peers) and the compact preset like for like (`bench --preset
# compact --augment none --pair-loss drawn` against build-aux/torch-peer.py
# on the same tower). Prints each round, then the median of the rounds and
# the ratio. A measurement, not a test: run it on a quiet machine.
#
# Usage: compare-peer.sh [BUILD_DIR] [ROUNDS] [article|compact ...]
#   (defaults: build, 3, both)
# SF_PEER_ALLOCATOR=tcmalloc|glibc: the peer's allocator. tcmalloc (Debian's
#   libtcmalloc-minimal4, preloaded) when installed, as PyTorch's own CPU
#   performance guide advises: glibc's malloc gives PyTorch's large buffers
#   back to the kernel after every operation, and on a virtual machine where
#   page faults are dear the peer then runs several times slower (see
#   docs/PERFORMANCE.md). Our engine keeps its buffers and does not care.
# SF_PEER_THREADS: the peer's threads (default: the number of CPUs).
# SF_COMPARE_ISA=avx2: both sides without AVX-512, the stand-in for CPUs
#   that lack it. Ours must be a build made with -Davx512=false and runs
#   OpenBLAS's Haswell kernels; the peer runs oneDNN with
#   ONEDNN_MAX_CPU_ISA=AVX2 (it picks AVX-512 and bf16 on its own where the
#   CPU has them), ATen's AVX2 kernels and OpenBLAS's Haswell kernels.
#   Default: each side uses what the CPU has.
# SF_COMPARE_PRECISION=fp32|bf16|auto: our `bench --precision` (default: the
#   engine's default, fp32). bf16 needs AVX512_BF16; the peer stays fp32.
# The environment's OPENBLAS_CORETYPE and SF_* switches reach our runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
rounds=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(article compact)
cli="$build/app/siamese-faces-cli"
peer_dir="$here/../../shared/peers"
threads=${SF_PEER_THREADS:-$(nproc)}
python=/usr/bin/python3

[ -x "$cli" ] || { echo "compare-peer.sh: $cli: not built" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || {
  echo "compare-peer.sh: PyTorch is missing: apt-get install python3-torch python3-scipy" >&2
  exit 1
}

tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
allocator=${SF_PEER_ALLOCATOR:-tcmalloc}
case "$allocator" in
  tcmalloc)
    if [ -e "$tcmalloc" ]; then
      peer_env=(env "LD_PRELOAD=$tcmalloc")
    else
      echo "compare-peer.sh: $tcmalloc is missing (apt-get install libtcmalloc-minimal4): the peer uses glibc's malloc" >&2
      allocator=glibc
      peer_env=(env)
    fi ;;
  glibc) peer_env=(env) ;;
  *) echo "compare-peer.sh: SF_PEER_ALLOCATOR must be tcmalloc or glibc, not “$allocator”" >&2; exit 1 ;;
esac

precision=()
case "${SF_COMPARE_PRECISION:-}" in
  "") ;;
  fp32|bf16|auto) precision=(--precision "$SF_COMPARE_PRECISION") ;;
  *) echo "compare-peer.sh: SF_COMPARE_PRECISION must be fp32, bf16 or auto, not “$SF_COMPARE_PRECISION”" >&2; exit 1 ;;
esac

isa=${SF_COMPARE_ISA:-native}
ours_env=(env)
case "$isa" in
  native) ;;
  avx2)
    if "$cli" bench --preset compact --epochs 1 --json 2>/dev/null | grep -q '"engine_simd": "x86-64-v4'; then
      echo "compare-peer.sh: SF_COMPARE_ISA=avx2 needs a build made with -Davx512=false; $build has AVX-512 paths" >&2
      exit 1
    fi
    ours_env=(env OPENBLAS_CORETYPE=Haswell)
    peer_env+=(ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell) ;;
  *) echo "compare-peer.sh: SF_COMPARE_ISA must be native or avx2, not “$isa”" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median () { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field () { sed -n "s/.*\"$1\": \"\{0,1\}\([^,\"}]*\).*/\1/p" | tail -1; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), family $(grep -m1 'cpu family' /proc/cpuinfo | awk '{ print $NF }'), $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peer: PyTorch $("$python" -c 'import torch; print(torch.__version__)'), $threads threads, $allocator malloc; instruction sets: $isa"

for net in "${which[@]}"; do
  case "$net" in
    article)
      [ -e "$peer_dir/torch_seed_siamese.py" ] || { echo "compare-peer.sh: $peer_dir/torch_seed_siamese.py is missing" >&2; exit 1; }
      ours=("$cli" bench --preset article --epochs 2 "${precision[@]}" --json)
      peer=("$python" "$peer_dir/torch_seed_siamese.py" --epochs 2 --threads "$threads") ;;
    compact)
      # The peer rebuilds the tower from a model file's metadata.
      "$cli" train --epochs 1 --seed 0 -o "$work/compact.safetensors" >/dev/null 2>&1
      ours=("$cli" bench --preset compact --augment none --pair-loss drawn --epochs 3 "${precision[@]}" --json)
      peer=("$python" "$here/torch-peer.py" "$work/compact.safetensors" --bench --epochs 3 --threads "$threads") ;;
    *) echo "compare-peer.sh: unknown network “$net” (article or compact)" >&2; exit 1 ;;
  esac
  : >"$work/ours"; : >"$work/peer"; kernels=""
  for r in $(seq "$rounds"); do
    json=$("${ours_env[@]}" "${ours[@]}" 2>/dev/null)
    o=$(field epoch_seconds_median <<<"$json")
    kernels=$(field kernels <<<"$json")
    ran=$(field precision <<<"$json")
    p=$("${peer_env[@]}" "${peer[@]}" 2>/dev/null | field epoch_seconds_median | awk '{ printf "%.3f", $1 }')
    echo "$o" >>"$work/ours"; echo "$p" >>"$work/peer"
    echo "$net round $r: ours $o s, peer $p s"
  done
  o=$(median <"$work/ours"); p=$(median <"$work/peer")
  echo "$net: ours $o s per epoch ($kernels kernels, $ran), peer $p s: $(awk -v o="$o" -v p="$p" 'BEGIN { printf "%.2f×", p / o }')"
done
