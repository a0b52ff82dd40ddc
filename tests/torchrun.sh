#!/usr/bin/env bash
# The PyTorch program of export-pytorch, as a user runs it: under torchrun
# with two processes (gloo, CPU) on the demo faces written as a folder of
# people (PGM, grey PNG and colour PNG, 48×48 read at 32×32), the model file
# it writes opens in eval with every metadata key and the dataset fingerprint
# the app computes; one process with the same global batch gives the same loss
# curve; eval finds the threshold it chose on the same validation pairs;
# --init starts from an app-trained model's weights.
# Usage: torchrun.sh PATH-TO-siamese-faces-cli
set -uo pipefail
cli=$1
python=/usr/bin/python3
if ! "$python" -c 'import torch, numpy, PIL' 2>/dev/null || ! command -v torchrun >/dev/null; then
  echo "1..0 # SKIP python3-torch, python3-numpy or python3-pil is not installed (apt-get install python3-torch python3-numpy python3-pil)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
finish () { echo "1..$n"; exit $failed; }
meta () {
  "$python" -c 'import json, struct, sys; d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]
print(json.loads(d[8:8 + n])["__metadata__"][sys.argv[2]])' "$1" "$2"
}

# The demo faces as a folder of people, in the three kinds of file the app reads.
"$cli" export --size 48 --images images.npy --labels labels.npy >/dev/null || { not_ok "export the demo faces"; finish; }
"$python" - <<'PY' || { not_ok "write the demo faces as files"; finish; }
import os
import numpy as np
from PIL import Image
images, labels = np.load("images.npy"), np.load("labels.npy")
count = {}
for image, person in zip(images, labels):
    folder = f"faces/person{person + 1}"
    os.makedirs(folder, exist_ok=True)
    k = count[person] = count.get(person, 0) + 1
    grey = np.round(image * 255).astype(np.uint8)
    if person % 3 == 0:
        open(f"{folder}/{k}.pgm", "wb").write(b"P5\n# a comment\n48 48\n255\n" + grey.tobytes())
    elif person % 3 == 1:
        Image.fromarray(grey).save(f"{folder}/{k}.png")
    else:
        Image.fromarray(np.stack([grey, np.roll(grey, 1, 0), 255 - grey], -1)).save(f"{folder}/{k}.png")
PY
fingerprint=$("$cli" info faces --size 32 | sed -n 's/^Fingerprint: *//p')

# A tiny tower without batch norm or dropout, so one process and two see the same numbers;
# the compact preset's recipe otherwise (softmax over all pairs, people split, cosine, augmentation).
spec="conv8k3-relu pool2 conv16k3-relu pool2 gap dense16 l2norm"
if ! "$cli" export-pytorch --size 32 --spec "$spec" --epochs 2 --batch 32 --seed 1 -o train.py 2>export.log; then
  not_ok "export-pytorch"
  cat export.log
  finish
fi
ok "export-pytorch wrote a program"

# Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its own default
# --redirects 0 (README, "Training at scale"); any other value works.
launcher=(torchrun --standalone --nproc_per_node=2)
if ! "$python" -c 'from torch.distributed.elastic.multiprocessing.api import Std; assert Std.from_str("0") is not None' 2>/dev/null; then
  launcher+=(--redirects 1 --tee 1)
fi
if OMP_NUM_THREADS=1 "${launcher[@]}" train.py faces -o two.safetensors --workers 0 --threads 1 >two.log 2>&1 \
   && grep -q "2 process(es)" two.log; then
  ok "torchrun --nproc_per_node=2 trained two epochs"
else
  not_ok "torchrun --nproc_per_node=2"
  tail -30 two.log
  finish
fi

# The program draws the app's own split and pairs and reads the app's pixels:
# eval, on the model's validation pairs (same fingerprint), finds the
# equal-error threshold the program chose.
if "$cli" eval two.safetensors faces --json >eval.json 2>eval.log \
   && out=$("$python" - <<'PY' 2>&1
import json
e = json.load(open("eval.json"))
assert e["evaluated"] == "validation pairs of training", e["evaluated"]
assert e["eer"] > 0 and abs(e["eer_threshold"] - e["model_threshold"]) <= 1e-4, (e["eer_threshold"], e["model_threshold"])
print(f"EER {e['eer']:.3f} at {e['eer_threshold']:.5f}, the model's threshold {e['model_threshold']:.5f}")
PY
); then
  ok "eval scores it on its own validation pairs: $out"
else
  not_ok "eval two.safetensors: ${out##*$'\n'}"
  cat eval.log
fi

if out=$("$python" - two.safetensors "$fingerprint" "$spec" 2>&1 <<'PY'
import json, math, struct, sys
path, fingerprint, spec = sys.argv[1:4]
d = open(path, "rb").read()
n = struct.unpack("<Q", d[:8])[0]
m = json.loads(d[8:8 + n])["__metadata__"]
keys = ["format", "spec", "head", "margin", "input_size", "embedding_size", "pixel_scaling", "train_steps",
        "threshold", "settings", "history", "pytorch", "dataset_fingerprint", "dataset_source"]
missing = [k for k in keys if not m.get(k)]
assert not missing, f"metadata lacks {missing}"
assert m["spec"] == spec and m["input_size"] == "32" and m["head"] == "contrastive", m
assert m["dataset_fingerprint"] == fingerprint, (m["dataset_fingerprint"], fingerprint)
assert 0 < float(m["threshold"]) < 1 and int(m["train_steps"]) == 2 * math.ceil(300 / 32), m
settings = json.loads(m["settings"])
assert settings["epochs"] == 2 and settings["batch_size"] == 32 and settings["temperature"] > 0, settings
history = json.loads(m["history"])
fields = ["loss", "accuracy", "val_loss", "val_accuracy", "seconds", "pairs_per_second", "learning_rate"]
assert [r["epoch"] for r in history] == [1, 2], history
assert all(isinstance(r[f], float) and math.isfinite(r[f]) for r in history for f in fields), history
print(f"threshold {float(m['threshold']):.4f}, {len(history)} epochs")
PY
); then
  ok "complete metadata: $out, the app's dataset fingerprint"
else
  not_ok "metadata: ${out##*$'\n'}"
fi

# One process, the same global batch of 32 pairs: the same batches in the same
# order, the loss over all pairs over the same 64 faces. What differs is the
# order of floating-point sums, which Adam's first steps amplify a little.
if OMP_NUM_THREADS=1 "$python" train.py faces -o one.safetensors --workers 0 --threads 1 >one.log 2>&1; then
  if out=$("$python" - one.safetensors two.safetensors 2>&1 <<'PY'
import json, struct, sys
def history(path):
    d = open(path, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    return json.loads(json.loads(d[8:8 + n])["__metadata__"]["history"])
one, two = history(sys.argv[1]), history(sys.argv[2])
worst = 0.0
for a, b in zip(one, two):
    for f in ("loss", "val_loss"):
        worst = max(worst, abs(a[f] - b[f]) / abs(a[f]))
print(f"largest relative difference {worst:.2e} (tolerance 1e-2); one process {[round(r['loss'], 4) for r in one]}, "
      f"two {[round(r['loss'], 4) for r in two]}")
sys.exit(0 if len(one) == len(two) == 2 and worst <= 1e-2 else 1)
PY
  ); then
    ok "the same loss curve on one process: $out"
  else
    not_ok "loss curves differ: $out"
  fi
else
  not_ok "one process"
  tail -30 one.log
fi

# --init: from a model the app trained, at a learning rate too small to move a
# weight, the weights come back as they went in (and a run from scratch does not).
"$cli" train faces --size 32 --spec "$spec" --epochs 1 --no-run -o app.safetensors >/dev/null 2>&1 \
  || { not_ok "app training"; finish; }
# The program of the model file itself: its network and settings (batch 64).
"$cli" export-pytorch app.safetensors -o resume.py 2>/dev/null || { not_ok "export-pytorch MODEL"; finish; }
if OMP_NUM_THREADS=1 "$python" resume.py faces --init app.safetensors --epochs 1 --lr 1e-12 -o init.safetensors \
     --workers 0 --threads 1 >init.log 2>&1; then
  if out=$("$python" - app.safetensors init.safetensors one.safetensors 2>&1 <<'PY'
import json, struct, sys
import numpy as np
def tensors(path):
    d = open(path, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n])
    meta = h.pop("__metadata__")
    return meta, {k: np.frombuffer(d[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f4") for k, v in h.items()}
(app_meta, app), (init_meta, init), (_, scratch) = (tensors(p) for p in sys.argv[1:4])
assert app.keys() == init.keys(), (app.keys(), init.keys())
moved = max(float(np.abs(app[k] - init[k]).max()) for k in app)
apart = max(float(np.abs(app[k] - scratch[k]).max()) for k in app)
steps = int(init_meta["train_steps"]) - int(app_meta["train_steps"])
print(f"largest change {moved:.1e} (from scratch: {apart:.2f}), {steps} steps added to the app's")
sys.exit(0 if moved <= 1e-6 and apart > 1e-3 and steps == 5 else 1)
PY
  ); then
    ok "export-pytorch MODEL, --init continues from the app's weights: $out"
  else
    not_ok "--init: $out"
  fi
else
  not_ok "--init"
  tail -30 init.log
fi

"$cli" export-pytorch --size 32 --spec "conv8k3-relu pool2 gap dense16 l2norm" -o other.py 2>/dev/null
if ! "$python" other.py faces --init app.safetensors -o other.safetensors --workers 0 >other.log 2>&1 \
   && grep -q "app.safetensors: spec is" other.log && [ ! -e other.safetensors ]; then
  ok "--init refuses a model of another spec: $(tail -1 other.log)"
else
  not_ok "--init with another spec"
  tail -5 other.log
fi
finish
