#!/usr/bin/env bash
# Fine-tuning against training from scratch on the AT&T/ORL faces, with
# people nobody trained on as the test (docs/PERFORMANCE.md, "Fine-tuning").
# For each seed S: the people split S holds out ten people (H, the test);
# the other thirty are shuffled with S and halved into A (pretraining) and
# B (the new task). Then:
#   pre        trained on A with the compact preset (40 epochs)
#   pre→B      pre fine-tuned on B for EPOCHS epochs (--init)
#   pre→B fz   the same with the first FREEZE layers frozen (--freeze)
#   scratch    trained on B from scratch for the same EPOCHS epochs
#   scratch 40 trained on B from scratch for the preset's 40 epochs
# and each is scored on H: the EER over all pairs of H's images (eval on a
# folder of H only) and one-shot rank-1 (people-accuracy.sh: H enrolled with
# one image each). H is in neither training set.
# Usage: fine-tune-accuracy.sh CLI ATT_FACES_DIR WORK_DIR [EPOCHS] [FREEZE] [SEEDS...]
set -euo pipefail
cli=$(realpath "$1") data=$(realpath "$2") work=$3 epochs=${4:-5} freeze=${5:-8}
shift $(( $# < 5 ? $# : 5 ))
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
here=$(dirname "$(realpath "$0")")
mkdir -p "$work"

link_people () {  # FOLDER PERSON...
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir"
  for p in "$@"; do ln -s "$data/$p" "$dir/$p"; done
}

score () {  # NAME MODEL SEED
  local eer rank1
  eer=$("$cli" eval "$2" "$work/H$3" --json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["eer"])')
  rank1=$("$here/people-accuracy.sh" "$cli" "$data" "$2" "$3" | sed -n 's/^Rank-1 on [0-9]* probes of the enrolled people: \([0-9.]*\).*/\1/p')
  printf '%s\t%s\t%s\t%s\n' "$3" "$1" "$eer" "$rank1"
}

printf 'seed\tmodel\tEER\trank-1\n'
for s in "${seeds[@]}"; do
  held=$("$cli" pairs "$data" --split people --seed "$s" --csv - 2>/dev/null \
         | awk -F, '$1 == "validation" { print $5; print $6 }' | sort -u)
  mapfile -t H <<<"$held"
  mapfile -t rest < <(for dir in "$data"/*/; do p=$(basename "$dir"); grep -qx "$p" <<<"$held" || echo "$p"; done \
                      | python3 -c 'import random,sys; p=sys.stdin.read().split(); random.Random('"$s"').shuffle(p); print("\n".join(p))')
  half=$(( ${#rest[@]} / 2 ))
  link_people "$work/H$s" "${H[@]}"
  link_people "$work/A$s" "${rest[@]:0:$half}"
  link_people "$work/B$s" "${rest[@]:$half}"
  common=(--preset compact --seed "$s" --no-run)
  "$cli" train "$work/A$s" "${common[@]}" -o "$work/pre$s.safetensors" 2>/dev/null
  "$cli" train "$work/B$s" "${common[@]}" --epochs "$epochs" --init "$work/pre$s.safetensors" \
    -o "$work/ft$s.safetensors" 2>/dev/null
  "$cli" train "$work/B$s" "${common[@]}" --epochs "$epochs" --init "$work/pre$s.safetensors" --freeze "$freeze" \
    -o "$work/fz$s.safetensors" 2>/dev/null
  "$cli" train "$work/B$s" "${common[@]}" --epochs "$epochs" -o "$work/scratch$s.safetensors" 2>/dev/null
  "$cli" train "$work/B$s" "${common[@]}" -o "$work/scratch40-$s.safetensors" 2>/dev/null
  score "pre (A only)" "$work/pre$s.safetensors" "$s"
  score "pre→B" "$work/ft$s.safetensors" "$s"
  score "pre→B fz$freeze" "$work/fz$s.safetensors" "$s"
  score "scratch B" "$work/scratch$s.safetensors" "$s"
  score "scratch B 40" "$work/scratch40-$s.safetensors" "$s"
done
