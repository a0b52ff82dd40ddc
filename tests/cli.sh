#!/usr/bin/env bash
# The command line as a user meets it: exit codes, one-line errors naming the
# file, and the files it writes. Usage: cli.sh PATH-TO-siamese-faces-cli
set -uo pipefail
cli=$1
datasets=${SF_DATASETS_DIR:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
n=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failures=$((failures + 1)); echo "not ok $n - $1"; shift; for line in "$@"; do echo "# $line"; done; }

# expect_failure NAME NEEDLE ARGS...: non-zero exit, exactly one line on stderr containing NEEDLE.
expect_failure () {
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$work/out" 2>"$work/err"
  local rc=$? lines
  lines=$(wc -l <"$work/err")
  if [[ $rc -ne 0 && $lines -eq 1 ]] && grep -qF -- "$needle" "$work/err"; then
    ok "$name"
  else
    not_ok "$name" "exit $rc, $lines stderr lines:" "$(head -5 "$work/err")"
  fi
}

"$cli" info >"$work/out" 2>"$work/err"
if [[ $? -eq 0 ]] && grep -q '^Images: *[0-9]' "$work/out" && grep -q '^Fingerprint: *[0-9a-f]\{64\}' "$work/out"; then
  ok "info on the demo faces"
else
  not_ok "info on the demo faces" "$(cat "$work/err")"
fi

expect_failure "missing dataset" "/no/such/folder" info /no/such/folder

# A MAT-file header followed by a data element that stops short.
{ printf 'MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024'; \
  head -c 200 /dev/zero | tr '\0' ' '; } | head -c 116 >"$work/truncated.mat"
printf '\0\0\0\0\0\0\0\0\x00\x01IM\x0f\x00\x00\x00\x00\x10\x00\x00\x78\x9c' >>"$work/truncated.mat"
expect_failure "truncated .mat" "truncated.mat" info "$work/truncated.mat"

mkdir "$work/empty"
expect_failure "empty folder" "empty" info "$work/empty"

head -c 1000 /dev/urandom >"$work/noise.pkz"
expect_failure "garbage .pkz" "noise.pkz" info "$work/noise.pkz"

expect_failure "unknown command" "frobnicate" frobnicate
expect_failure "bad split" "sideways" pairs --split sideways
expect_failure "export without outputs" "--images" export

if "$cli" export --images "$work/images.npy" --labels "$work/labels.npy" >/dev/null 2>"$work/err" \
   && [[ -s "$work/images.npy" && -s "$work/labels.npy" ]] \
   && head -c 6 "$work/images.npy" | grep -q 'NUMPY'; then
  ok "export writes .npy files"
else
  not_ok "export writes .npy files" "$(cat "$work/err")"
fi

expect_failure "export into a missing folder" "/no/such/dir/x.npy" export --images /no/such/dir/x.npy

if "$cli" pairs --seed 3 --csv "$work/pairs.csv" >"$work/out" 2>"$work/err"; then
  train=$(sed -n 's/^Training: *\([0-9]*\) pairs.*/\1/p' "$work/out")
  validation=$(sed -n 's/^Validation: *\([0-9]*\) pairs.*/\1/p' "$work/out")
  rows=$(($(wc -l <"$work/pairs.csv") - 1))
  if [[ -n "$train" && $rows -eq $((train + validation)) ]] && head -1 "$work/pairs.csv" | grep -q '^split,a,b,same'; then
    ok "pairs --csv lists every pair"
  else
    not_ok "pairs --csv lists every pair" "train=$train validation=$validation rows=$rows"
  fi
  "$cli" pairs --seed 3 --csv - 2>/dev/null >"$work/again.csv"
  if cmp -s "$work/pairs.csv" "$work/again.csv"; then ok "pairs are the same for a seed"; else not_ok "pairs are the same for a seed"; fi
else
  not_ok "pairs --csv lists every pair" "$(cat "$work/err")"
fi

if [[ -d "$datasets/att_faces" ]]; then
  "$cli" info "$datasets/att_faces" >"$work/out" 2>"$work/err"
  if grep -q '^Images: *400$' "$work/out" && grep -q '^People: *40$' "$work/out"; then
    ok "info on the AT&T/ORL faces: 400 images, 40 people"
  else
    not_ok "info on the AT&T/ORL faces" "$(head -8 "$work/out")" "$(cat "$work/err")"
  fi
else
  n=$((n + 1)); echo "ok $n # SKIP ../shared/datasets/att_faces is absent"
fi

echo "1..$n"
[[ $failures -eq 0 ]]
