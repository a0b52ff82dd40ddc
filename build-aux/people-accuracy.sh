#!/usr/bin/env bash
# One-shot identification on the AT&T/ORL faces with a model trained on the
# people split: the people the split held out (never seen in training) are
# enrolled with one image each, their other images identified; the training
# people, never enrolled, should come out "unknown" at the model's threshold.
# Usage: people-accuracy.sh CLI ATT_FACES_DIR MODEL [SEED]
#   (MODEL trained with: CLI train ATT_FACES_DIR --split people --seed SEED -o MODEL)
set -euo pipefail
cli=$1 data=$2 model=$3 seed=${4:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

held=$("$cli" pairs "$data" --split people --seed "$seed" --csv - 2>/dev/null \
       | awk -F, '$1 == "validation" { print $5; print $6 }' | sort -u)
enrolled=() probes=() strangers=()
for dir in "$data"/*/; do
  person=$(basename "$dir")
  files=("$dir"*.pgm)
  if grep -qx "$person" <<<"$held"; then
    "$cli" enroll "$model" "$work/g.gallery" --name "$person" "${files[0]}" >/dev/null
    enrolled+=("$person")
    probes+=("${files[@]:1}")
  else
    strangers+=("${files[@]}")
  fi
done
echo "Enrolled (one image each, never seen in training): ${enrolled[*]}"

"$cli" identify "$model" "$work/g.gallery" "${probes[@]}" >"$work/probes.tsv"
"$cli" identify "$model" "$work/g.gallery" "${strangers[@]}" >"$work/strangers.tsv"
awk -F'\t' '{ n[1]++; split($1, p, "/"); truth = p[length(p) - 1];
              if ($3 == truth) right++; if ($2 == truth) accepted++ }
            END { printf "Rank-1 on %d probes of the enrolled people: %.3f (%d right); named at the threshold: %.3f\n",
                         n[1], right / n[1], right, accepted / n[1] }' "$work/probes.tsv"
awk -F'\t' '{ n++; if ($2 == "unknown") unknown++ }
            END { printf "Never-enrolled probes (the training people) called unknown: %.3f (%d of %d)\n",
                         unknown / n, unknown, n }' "$work/strangers.tsv"
