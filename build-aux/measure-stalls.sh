#!/usr/bin/env bash
# How quick the window stays while a model trains: runs
# `siamese-faces --measure-stalls SECONDS` under xvfb-run (training with the
# Train view's settings while every view is shown in turn, a 10 ms
# high-priority timeout noting how late the main loop runs), then trains the
# same number of epochs with the command line, without a window, for the
# throughput to compare; ROUNDS times, alternating, and prints the medians.
# A measurement, not a test: the numbers depend on the machine and on
# whatever else runs on it.
# Usage: measure-stalls.sh [BUILD_DIR] [DATASET] [SECONDS] [ROUNDS]
#   (defaults: build, the ORL folder under /work/shared/datasets, 30, 1)
# SF_WORKER_NICE and SF_NUM_THREADS (README, Switches) reach both programs.
set -euo pipefail
build=${1:-build}
data=${2:-/work/shared/datasets/att_faces}
seconds=${3:-30}
rounds=${4:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median () { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for round in $(seq "$rounds"); do
  [ "$rounds" -eq 1 ] || echo "=== round $round of $rounds"
  echo "== the window: siamese-faces --measure-stalls $seconds (1400 × 900, under Xvfb)"
  xvfb-run -a -s "-screen 0 1400x900x24" env GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 \
    "$build/app/siamese-faces" --dataset "$data" --measure-stalls "$seconds" >"$work/gui.txt" 2>"$work/gui.err" || {
    cat "$work/gui.err" >&2
    exit 1
  }
  grep -v '^epoch ' "$work/gui.txt"
  epochs=$(grep -c '^epoch ' "$work/gui.txt" || true)
  split=$(sed -n 's/^training: .* split \([a-z]*\) .*/\1/p' "$work/gui.txt")
  if [ "$epochs" -lt 1 ]; then
    echo "no epoch finished in the window: measure for longer" >&2
    exit 1
  fi

  echo "== no window: siamese-faces-cli train --split $split --epochs $epochs"
  "$build/app/siamese-faces-cli" train "$data" --split "$split" --epochs "$epochs" --no-run \
    -o "$work/model.safetensors" 2>&1 | grep -o '[0-9]* pairs/s' >"$work/cli.txt"
  cli=$(awk '{ sum += $1 } END { printf "%.0f", sum / NR }' "$work/cli.txt")
  gui=$(sed -n 's/^throughput: \([0-9]*\) pairs\/s.*/\1/p' "$work/gui.txt")
  change=$(awk -v g="$gui" -v c="$cli" 'BEGIN { printf "%+.1f", 100 * (g - c) / c }')
  echo "throughput: $cli pairs/s, the mean of $epochs epochs"
  echo "== the window trained at $gui pairs/s, the command line at $cli pairs/s: $change %"
  sed -n 's/^main loop: .*worst \([0-9.]*\) ms;.*/\1/p' "$work/gui.txt" >>"$work/worst.txt"
  sed -n 's/^main loop: .*, \([0-9]*\) by more than 100 ms$/\1/p' "$work/gui.txt" >>"$work/over100.txt"
  echo "$change" >>"$work/change.txt"
done

if [ "$rounds" -gt 1 ]; then
  echo "=== $rounds rounds: worst lateness $(tr '\n' ' ' <"$work/worst.txt")ms (median $(median <"$work/worst.txt") ms);" \
    "ticks late by more than 100 ms: $(tr '\n' ' ' <"$work/over100.txt")(total $(awk '{ s += $1 } END { print s }' "$work/over100.txt"));" \
    "window against command line: $(tr '\n' ' ' <"$work/change.txt")% (median $(median <"$work/change.txt") %)"
fi
