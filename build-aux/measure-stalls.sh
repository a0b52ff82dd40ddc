#!/usr/bin/env bash
# How quick the window stays while a model trains: runs
# `siamese-faces --measure-stalls SECONDS` under xvfb-run (training with the
# Train view's settings while every view is shown in turn, a 10 ms
# high-priority timeout noting how late the main loop runs), then trains the
# same number of epochs with the command line, without a window, for the
# throughput to compare. A measurement, not a test: the numbers depend on
# the machine and on whatever else runs on it.
# Usage: measure-stalls.sh [BUILD_DIR] [DATASET] [SECONDS]
#   (defaults: build, the ORL folder under /work/shared/datasets, 30)
# SF_WORKER_NICE and SF_NUM_THREADS (README, Switches) reach both programs.
set -euo pipefail
build=${1:-build}
data=${2:-/work/shared/datasets/att_faces}
seconds=${3:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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
echo "throughput: $cli pairs/s, the mean of $epochs epochs"
echo "== the window trained at $gui pairs/s, the command line at $cli pairs/s:" \
  "$(awk -v g="$gui" -v c="$cli" 'BEGIN { printf "%+.0f %%", 100 * (g - c) / c }')"
