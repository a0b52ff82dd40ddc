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

# set_metadata FILE KEY VALUE: a safetensors file with one metadata value
# changed, as someone editing a model or a gallery by hand would.
set_metadata () {
  python3 - "$@" <<'PY'
import json, struct, sys
path, key, value = sys.argv[1:4]
data = open(path, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n])
header['__metadata__'][key] = value
text = json.dumps(header, separators=(',', ':')).encode()
text += b' ' * (-len(text) % 8)
open(path, 'wb').write(struct.pack('<Q', len(text)) + text + data[8 + n:])
PY
}
# get_metadata FILE KEY
get_metadata () {
  python3 -c 'import json, struct, sys; d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]
print(json.loads(d[8:8 + n])["__metadata__"][sys.argv[2]])' "$1" "$2"
}
# AddressSanitizer reserves terabytes of address space: no `ulimit -v` there.
# meson says how the build was sanitized; ldd is the fallback for a run by hand.
asan=0
[[ ${SF_SANITIZE:-} == *address* ]] && asan=1
[[ $(ldd "$cli" 2>/dev/null) == *libasan* ]] && asan=1

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

# Special files: a FIFO named like a face is skipped, not waited on; a link
# to /dev/zero is not read; a loop of links is said to be one. `timeout`
# turns a hang into a failure.
mkdir -p "$work/special/ann" "$work/special/bob"
{ printf 'P5\n8 8\n255\n'; head -c 64 /dev/urandom; } >"$work/special/ann/1.pgm"
cp "$work/special/ann/1.pgm" "$work/special/bob/1.pgm"
mkfifo "$work/special/ann/face.pgm"
ln -s /dev/zero "$work/special/bob/zero.pgm"
timeout 60 "$cli" info "$work/special" >"$work/out" 2>"$work/err"
if [[ $? -eq 0 ]] && grep -q '^Images: *2$' "$work/out" && grep -q 'face.pgm: a FIFO' "$work/err" \
   && grep -q 'zero.pgm: a device' "$work/err"; then
  ok "info skips a FIFO and a link to /dev/zero"
else
  not_ok "info skips a FIFO and a link to /dev/zero" "$(cat "$work/out" "$work/err")"
fi
ln -s /dev/zero "$work/zero.mat"
expect_failure "a .mat linked to /dev/zero" "zero.mat: a device" info "$work/zero.mat"
ln -s "$work/loop-b" "$work/loop-a"
ln -s "$work/loop-a" "$work/loop-b"
expect_failure "a loop of links as the dataset" "loop-a: symbolic links that loop" info "$work/loop-a"

head -c 1000 /dev/urandom >"$work/noise.pkz"
expect_failure "garbage .pkz" "noise.pkz" info "$work/noise.pkz"

expect_failure "unknown command" "frobnicate" frobnicate
expect_failure "bad split" "sideways" pairs --split sideways
expect_failure "bad pair loss" "drawn, all or softmax" train --pair-loss sideways -o "$work/never.safetensors"
expect_failure "l2norm on an image" "l2norm needs a flat input" train --spec "conv8k3 l2norm gap" -o "$work/never.safetensors"
expect_failure "zero epochs" "epochs must be 1 to 100000" train --epochs 0 -o "$work/never.safetensors"
expect_failure "unknown precision" "--precision fp16: expected fp32, bf16 or auto" train --precision fp16 -o "$work/never.safetensors"
expect_failure "unknown precision in bench" "--precision fp16: expected fp32, bf16 or auto" bench --precision fp16 --epochs 1
expect_failure "unknown precision in sweep" "--precision fp16: expected fp32, bf16 or auto" sweep --precision fp16 --grid lr=1e-3 --runs "$work/never-runs"
expect_failure "zero batch" "batch size must be 1 to 4096" train --batch 0 -o "$work/never.safetensors"
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

# enroll, identify, verify: a tiny model and noise "faces" written as PGM files.
pgm () { { printf 'P5\n32 32\n255\n'; head -c 1024 /dev/urandom; } >"$1"; }
mkdir -p "$work/ann" "$work/bob" "$work/nobody"
pgm "$work/ann/1.pgm"; pgm "$work/ann/2.pgm"; pgm "$work/bob/1.pgm"; pgm "$work/bob/2.pgm"
if "$cli" train --size 32 --spec "pool2 conv4k3-bn-relu gap dense8" --epochs 1 -o "$work/m.safetensors" \
     >/dev/null 2>"$work/train-err"; then
  m="$work/m.safetensors" g="$work/people.gallery"
  if "$cli" enroll "$m" "$g" --name Ann "$work/ann/1.pgm" "$work/ann/2.pgm" >"$work/out" 2>"$work/err" \
     && "$cli" enroll "$m" "$g" --name Bob "$work/bob" >>"$work/out" 2>>"$work/err" \
     && grep -q "Saved .*: 2 people, 4 faces" "$work/out"; then
    ok "enroll from files and from a folder"
  else
    not_ok "enroll from files and from a folder" "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" identify "$m" "$g" "$work/bob/2.pgm" --threshold 0 --top 2 >"$work/out" 2>"$work/err" \
     && grep -q "^Identified: Bob" "$work/out" && [[ $(grep -c '^ *[0-9] ' "$work/out") -eq 2 ]]; then
    ok "identify an enrolled face"
  else
    not_ok "identify an enrolled face" "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" identify "$m" "$g" "$work/ann/1.pgm" --threshold 1.5 >"$work/out" 2>"$work/err" \
     && grep -q "^Unknown person" "$work/out"; then
    ok "identify says unknown below the threshold"
  else
    not_ok "identify says unknown below the threshold" "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" identify "$m" "$g" "$work/ann" >"$work/out" 2>"$work/err" && [[ $(wc -l <"$work/out") -eq 2 ]]; then
    ok "identify a folder of probes, one line each"
  else
    not_ok "identify a folder of probes, one line each" "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" verify "$m" "$work/ann/1.pgm" "$work/ann/1.pgm" >"$work/out" 2>"$work/err" \
     && grep -q "same person" "$work/out"; then
    ok "verify a face against itself"
  else
    not_ok "verify a face against itself" "$(cat "$work/out" "$work/err")"
  fi
  # train, eval, similarity: what they print, and the threshold from train to eval.
  if grep -Eq "^Saved .* after 1 epochs, threshold [0-9]\.[0-9]{4} " "$work/train-err"; then
    ok "train says the threshold it saved"
  else
    not_ok "train says the threshold it saved" "$(tail -3 "$work/train-err")"
  fi
  if "$cli" eval "$m" --json >"$work/out" 2>"$work/err" \
     && grep -q '"evaluated" : "validation pairs of training"' "$work/out" \
     && grep -q '"split" : "people"' "$work/out" && grep -q '"rank1_probes" : [1-9]' "$work/out" \
     && [[ $(grep -o '"threshold" : [0-9.e-]*' "$work/out" | cut -d' ' -f3) == \
           $(grep -o '"model_threshold" : [0-9.e-]*' "$work/out" | cut -d' ' -f3) ]]; then
    ok "eval --json on the validation pairs at the model's threshold"
  else
    not_ok "eval --json on the validation pairs at the model's threshold" "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" eval "$m" --threshold 0.25 >"$work/out" 2>"$work/err" \
     && grep -q "^Threshold (--threshold):    0.2500$" "$work/out" \
     && grep -Eq "^Evaluated: +[0-9]+ validation pairs of training \([0-9]+ same, [0-9]+ different\)$" "$work/out" \
     && grep -Eq "^Rank-1 identification: +[0-9.]+$" "$work/out"; then
    ok "eval prints the metrics at a threshold"
  else
    not_ok "eval prints the metrics at a threshold" "$(cat "$work/out" "$work/err")"
  fi
  # The demo faces: 20 people of 10 images, so one partner for every person.
  if "$cli" similarity "$m" --image 13 --seed 4 >"$work/out" 2>"$work/err" \
     && "$cli" similarity "$m" --image 13 --seed 4 >"$work/again" 2>>"$work/err" \
     && cmp -s "$work/out" "$work/again" && grep -q "^Test face: 13 of Demo 2, threshold" "$work/out" \
     && [[ $(grep -Ec "^ +[0-9]+  [0-9.]+  Demo " "$work/out") -eq 20 ]] \
     && [[ $(awk '$3 == "Demo" && $5 == 13' "$work/out" | wc -l) -eq 0 ]] \
     && grep -Eq "^[0-9]+ of 20 verdicts right$" "$work/out"; then
    ok "similarity: one partner per person, never the face itself, the same for a seed"
  else
    not_ok "similarity: one partner per person, never the face itself, the same for a seed" \
      "$(cat "$work/out" "$work/err")"
  fi
  if "$cli" similarity "$m" --image "$work/ann/1.pgm" >"$work/out" 2>"$work/err" \
     && [[ $(grep -Ec "^ +[0-9]+  [0-9.]+  Demo " "$work/out") -eq 20 ]] && ! grep -q "verdicts right" "$work/out"; then
    ok "similarity of an outside image: one partner per person"
  else
    not_ok "similarity of an outside image: one partner per person" "$(cat "$work/out" "$work/err")"
  fi
  # A dataset folder whose name is not UTF-8: the model saved from it loads
  # again (it once said "Saved", then every load failed: data lost).
  latin1="$work/caf$(printf '\351')"
  mkdir -p "$latin1/ann" "$latin1/bob"
  cp "$work/ann/"*.pgm "$latin1/ann/"; cp "$work/bob/"*.pgm "$latin1/bob/"
  if "$cli" train "$latin1" --size 16 --spec "pool2 gap dense4" --epochs 1 --split pairs -o "$work/latin1.safetensors" \
       >/dev/null 2>"$work/err" \
     && "$cli" eval "$work/latin1.safetensors" "$latin1" >"$work/out" 2>>"$work/err" \
     && grep -q "^Evaluated: .*validation pairs of training" "$work/out"; then
    ok "a model trained on a folder whose name is not UTF-8 loads again"
  else
    not_ok "a model trained on a folder whose name is not UTF-8 loads again" "$(cat "$work/out" "$work/err")"
  fi

  # A model whose input size was raised by hand from 32 to 512: eval embeds
  # in groups sized by memory (it asked for 6.7 GB at once, and took 2.8 GB
  # and 40 s here), so it runs within 1.5 GB of address space.
  if [[ $asan -eq 1 ]]; then
    n=$((n + 1)); echo "ok $n # SKIP no address-space limit under AddressSanitizer"
  elif "$cli" train --size 32 --spec "conv8k3 gap dense8" --epochs 1 -o "$work/raised.safetensors" >/dev/null 2>"$work/err" \
       && set_metadata "$work/raised.safetensors" input_size 512 \
       && (ulimit -v 1500000; "$cli" eval "$work/raised.safetensors") >"$work/out" 2>>"$work/err" \
       && grep -q "^Rank-1 identification:" "$work/out"; then
    ok "eval of a model whose input size was raised runs in bounded memory"
  else
    not_ok "eval of a model whose input size was raised runs in bounded memory" "$(cat "$work/out" "$work/err")"
  fi

  # A gallery that names this model's fingerprint but holds narrower
  # embeddings (made with a dense4 tower): identify printed a CRITICAL and
  # crashed on a NULL error, enrol overflowed the heap. One line each now.
  if "$cli" train --size 32 --spec "pool2 conv4k3-bn-relu gap dense4" --epochs 1 -o "$work/narrow.safetensors" \
       >/dev/null 2>"$work/err" \
     && "$cli" enroll "$work/narrow.safetensors" "$work/narrow.gallery" --name Ann "$work/ann" >/dev/null 2>>"$work/err" \
     && set_metadata "$work/narrow.gallery" model_fingerprint "$(get_metadata "$g" model_fingerprint)" 2>>"$work/err"; then
    expect_failure "identify with a gallery of narrower embeddings" "narrow.gallery: tensor 'embeddings' is 4 wide" \
      identify "$m" "$work/narrow.gallery" "$work/ann/1.pgm"
    expect_failure "enroll into a gallery of narrower embeddings" "narrow.gallery: tensor 'embeddings' is 4 wide" \
      enroll "$m" "$work/narrow.gallery" --name Bob "$work/bob/1.pgm"
  else
    not_ok "a gallery of narrower embeddings" "$(cat "$work/err")"
  fi

  echo "not a gallery" >"$work/bad.gallery"
  expect_failure "enroll a missing image" "/no/such/face.pgm: no such file or folder" enroll "$m" "$g" --name Cy /no/such/face.pgm
  expect_failure "identify a loop of links" "loop-a: symbolic links that loop" identify "$m" "$g" "$work/loop-a"
  expect_failure "enroll a folder with no images" "nobody" enroll "$m" "$g" --name Cy "$work/nobody"
  expect_failure "enroll without a name" "--name" enroll "$m" "$g" "$work/ann/1.pgm"
  expect_failure "identify with a corrupt gallery" "bad.gallery" identify "$m" "$work/bad.gallery" "$work/ann/1.pgm"
  expect_failure "identify with a missing gallery" "missing.gallery" identify "$m" "$work/missing.gallery" "$work/ann/1.pgm"
  expect_failure "identify a probe that is not an image" "bad.gallery" identify "$m" "$g" "$work/bad.gallery"
  expect_failure "verify with one image" "two IMAGE" verify "$m" "$work/ann/1.pgm"
  timeout 60 "$cli" verify "$m" "$work/special/ann/face.pgm" "$work/ann/1.pgm" >"$work/out" 2>"$work/err"
  if [[ $? -eq 1 && $(wc -l <"$work/err") -eq 1 ]] && grep -q "face.pgm: a FIFO" "$work/err"; then
    ok "verify refuses a FIFO without waiting"
  else
    not_ok "verify refuses a FIFO without waiting" "$(cat "$work/err")"
  fi
  expect_failure "verify with a model that is not one" "bad.gallery" verify "$work/bad.gallery" "$work/ann/1.pgm" "$work/ann/2.pgm"
else
  not_ok "train a tiny model for enroll/identify/verify" "$(cat "$work/train-err")"
fi

# Ctrl+C twice with --save-on-interrupt: the model is saved and loads. The
# handlers were removed before the threshold was chosen and the file saved,
# so a second SIGINT then killed the process and lost the model (7 times in
# 19). Once training runs, SIGINT goes as fast as the shell sends it until
# the process ends, so one always arrives during the evaluation and the save.
"$cli" train --size 16 --spec "pool2 conv4k3 gap dense4" --epochs 100000 --save-on-interrupt \
  -o "$work/interrupted.safetensors" >/dev/null 2>"$work/train-int" &
pid=$!
for ((tries = 0; tries < 1200; tries++)); do
  grep -q "^epoch 1/" "$work/train-int" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05   # polling for the first epoch's line; 60 s at most
done
while kill -INT $pid 2>/dev/null; do :; done
wait $pid
rc=$?
if [[ $rc -eq 130 ]] && grep -q "^Saved .*interrupted.safetensors" "$work/train-int" \
   && "$cli" eval "$work/interrupted.safetensors" >"$work/out" 2>"$work/err"; then
  ok "Ctrl+C twice with --save-on-interrupt still saves a model that loads"
else
  not_ok "Ctrl+C twice with --save-on-interrupt still saves a model that loads" "exit $rc" \
    "$(cat "$work/train-int" "$work/err")"
fi

# A sweep whose first combination cannot train: recorded as failed with its
# message, the next one still trains, and info says which epoch a model holds.
sweep_runs="$work/sweep-runs"
"$cli" sweep --preset compact --epochs 1 --seeds 0 --runs "$sweep_runs" \
  --grid "spec=conv8k3 l2norm gap,conv8k3-bn-relu pool2 conv8k3 gap dense8 l2norm" >"$work/out" 2>"$work/err"
rc=$?
if [[ $rc -eq 1 ]] && grep -q "^1 runs trained now, 1 failed" "$work/out" \
   && "$cli" runs --runs "$sweep_runs" >"$work/runs" 2>"$work/err" \
   && grep -q "failed: tower spec: .*l2norm needs a flat input" "$work/runs" \
   && [[ $(grep -c " finished " "$work/runs") -eq 1 ]]; then
  ok "a sweep records a failed run with its message and goes on"
else
  not_ok "a sweep records a failed run with its message and goes on" "exit $rc" "$(cat "$work/out" "$work/err" "$work/runs")"
fi
sweep_model=$(find "$sweep_runs" -name model.safetensors | head -1)
if [[ -n $sweep_model ]] && "$cli" info "$sweep_model" >"$work/out" 2>"$work/err" \
   && grep -q "^Weights of:  epoch 1 of 1 (the last)" "$work/out"; then
  ok "info on a model says which epoch it holds"
else
  not_ok "info on a model says which epoch it holds" "$(cat "$work/out" "$work/err")"
fi
# eval on a run's model also reports its run group over seeds (the same
# settings, other seeds), as the sweep's summary does; a model with no
# siblings in the store gets no such lines.
group_runs="$work/group-runs"
"$cli" sweep --size 16 --spec "conv4k3-bn-relu pool2 gap dense8 l2norm" --epochs 1 --seeds 0-2 \
  --runs "$group_runs" >"$work/sweep-out" 2>"$work/err"
group_model=$(find "$group_runs" -name model.safetensors | head -1)
sweep_eer=$(awk '$1 == "1" && $3 == "3" { print $7, $8, $9 }' "$work/sweep-out")
if [[ -n $group_model && -n $sweep_eer ]] \
   && "$cli" eval "$group_model" --runs "$group_runs" >"$work/out" 2>>"$work/err" \
   && grep -q "^Over seeds (run group [0-9a-f]*, 3 runs, mean ± sd):" "$work/out" \
   && [[ $(awk '$1 == "eer" { print $2, $3, $4 }' "$work/out") == "$sweep_eer" ]] \
   && "$cli" eval "$group_model" --runs "$work/no-such-store" >"$work/out2" 2>>"$work/err" \
   && ! grep -q "^Over seeds" "$work/out2"; then
  ok "eval reports a run's group over seeds, as the sweep summary does"
else
  not_ok "eval reports a run's group over seeds, as the sweep summary does" "sweep: $sweep_eer" \
    "$(cat "$work/sweep-out" "$work/out" "$work/err")"
fi
# Fine-tuning: train --init takes a model file's spec, image size and weights,
# --freeze keeps its first layers (here conv0 and bn1 of layer 1) bit for bit,
# the model file records the start, and a model of another tower is refused
# with the first differing layer named.
fine_spec="conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8"
if "$cli" train --size 16 --spec "$fine_spec" --epochs 1 --no-run -o "$work/base.safetensors" >/dev/null 2>&1 \
   && "$cli" train --epochs 2 --no-run --init "$work/base.safetensors" --freeze 2 -o "$work/tuned.safetensors" \
        >/dev/null 2>"$work/err" \
   && grep -q '^Starting from base.safetensors (1 epochs, weights [0-9a-f]\{12\}), layers 1-2 frozen$' "$work/err" \
   && python3 - "$work/base.safetensors" "$work/tuned.safetensors" <<'PY'
import json, struct, sys
def load(path):
    d = open(path, 'rb').read()
    n = struct.unpack('<Q', d[:8])[0]
    h = json.loads(d[8:8 + n])
    t = {k: d[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__'}
    return h['__metadata__'], t
(_, base), (meta, tuned) = load(sys.argv[1]), load(sys.argv[2])
s = json.loads(meta['settings'])
assert meta['spec'] == 'conv4k3-bn-relu pool2 conv8k3-bn-relu gap dense8' and meta['input_size'] == '16', meta
assert s['init'] == 'base.safetensors' and s['init_epochs'] == 1 and s['freeze'] == 2, s
assert len(s['init_fingerprint']) == 64, s
for name in ('tower.0.weight', 'tower.0.bias', 'tower.1.weight', 'tower.1.running_mean', 'tower.1.running_var'):
    assert base[name] == tuned[name], name + ' changed'
for name in ('tower.4.weight', 'tower.5.running_mean', 'tower.9.weight'):
    assert base[name] != tuned[name], name + ' did not change'
PY
then
  ok "train --init --freeze: the start recorded, frozen tensors kept"
else
  not_ok "train --init --freeze: the start recorded, frozen tensors kept" "$(cat "$work/err")"
fi
if "$cli" eval "$work/tuned.safetensors" >"$work/out" 2>"$work/err" \
   && grep -q '^Started from: *base.safetensors (1 epochs, weights [0-9a-f]\{12\}), 2 layers frozen$' "$work/out"; then
  ok "eval says where a fine-tuned model started"
else
  not_ok "eval says where a fine-tuned model started" "$(cat "$work/out" "$work/err")"
fi
expect_failure "train --init with another spec names the layer" \
  "layer 3: the model file has conv8k3-bn-relu, the spec asks for conv16k3-bn-relu" \
  train --init "$work/base.safetensors" --spec "conv4k3-bn-relu pool2 conv16k3-bn-relu gap dense8" --no-run \
  -o "$work/never.safetensors"
expect_failure "train --init at another size" "input: the model file takes 16×16 images, the training 32×32" \
  train --init "$work/base.safetensors" --size 32 --no-run -o "$work/never.safetensors"
expect_failure "train --freeze past the layers" "cannot freeze 6 layers: the spec has 5" \
  train --init "$work/base.safetensors" --freeze 6 --no-run -o "$work/never.safetensors"
expect_failure "train --freeze without --init" "with --init MODEL" train --freeze 2 -o "$work/never.safetensors"

# bench names the lowering of each convolution and the engine's vector code:
# a 1×1 and a strided convolution are im2col everywhere; the first block is
# fused where the engine runs AVX-512 or AVX2, and nothing is AVX-512 in a
# build without it (meson option avx512=false).
bench_spec="conv8k3-bn-relu pool2 conv8k5 conv8k1 conv8k3s2 gap dense8"
if "$cli" bench --size 32 --spec "$bench_spec" --epochs 1 >"$work/out" 2>"$work/err"; then
  convolutions=$(sed -n 's/^Convolutions: *//p' "$work/out")
  simd=$(sed -n 's/^Engine SIMD: *//p' "$work/out")
  first='(fused first block \(direct AVX(-512|2)\)|Winograd F\([0-9]+×[0-9]+, 3×3\)|im2col)'
  [[ $simd == x86-64-v4* ]] && first='fused first block \(direct AVX-512\)'
  [[ $simd == x86-64-v3* ]] && first='fused first block \(direct AVX2\)'
  if grep -qE "^conv8k3 $first · conv8k5 (Winograd F\([0-9]+×[0-9]+, 5×5\)|im2col) · conv8k1 im2col · conv8k3s2 im2col\$" \
       <<<"$convolutions" && [[ -n $simd ]]; then
    ok "bench names the kernels of each convolution"
  else
    not_ok "bench names the kernels of each convolution" "Convolutions: $convolutions" "Engine SIMD: $simd" \
      "$(tail -3 "$work/err")"
  fi
else
  not_ok "bench names the kernels of each convolution" "$(tail -3 "$work/err")"
fi

echo "1..$n"
[[ $failures -eq 0 ]]
