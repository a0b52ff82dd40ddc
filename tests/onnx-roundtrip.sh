#!/usr/bin/env bash
# The ONNX export through two real clients: for the article preset, the
# default (compact) preset, a tower of res/sep/se blocks and one of the plain
# layers (ELU, LeakyReLU, BatchNorm1d, dropout, odd sizes that pooling
# floors), export-onnx writes a file onnx.checker accepts and OpenCV's dnn
# runs, giving the embeddings of `siamese-faces-cli embed` within 1e-4 — on
# the ORL faces (real ones) when ../shared/datasets has them, else on the
# demo faces. Each model is trained one epoch on the demo faces first, so the
# batch norm statistics are not the initial ones.
# Usage: onnx-roundtrip.sh PATH-TO-siamese-faces-cli PATH-TO-onnx-peer.py
set -uo pipefail
cli=$1
peer=$2
python=/usr/bin/python3
datasets=${SF_DATASETS_DIR:-}
if ! "$python" -c 'import onnx, cv2, numpy' 2>/dev/null; then
  echo "1..0 # SKIP python3-onnx or python3-opencv is not installed (apt-get install python3-onnx python3-opencv)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
faces=()
faces_name="the demo faces"
if [[ -n "$datasets" && -d "$datasets/att_faces" ]]; then
  faces=("$datasets/att_faces")
  faces_name="the ORL faces"
fi
# name | size | training options; the article's tower at 32 (its layers, a
# quarter of the time), the compact one at its own 64.
cases=(
  "article|32|--preset article"
  "compact|64|--preset compact"
  "blocks|32|--spec conv16k3s2-bn-relu res16 res32s2 sep64k3s2 se4 avgpool2 conv32k3s2 res32 gap dense32 l2norm"
  "plain|30|--spec conv8k3-bn-relu pool2 conv16k5-elu-bn pool2 drop0.2 conv16k3-leaky0.1 flatten dense24-bn dense16-relu"
)
failed=0
n=0
for entry in "${cases[@]}"; do
  IFS='|' read -r name size options <<<"$entry"
  n=$((n + 1))
  model="$work/$name.safetensors"
  read -ra train_options <<<"$options"
  if [[ "${train_options[0]}" == --spec ]]; then
    train_options=(--spec "${options#--spec }")
  fi
  if ! "$cli" train --size "$size" --epochs 1 --no-run "${train_options[@]}" -o "$model" >"$work/log" 2>&1 \
     || ! "$cli" export-onnx "$model" -o "$work/$name.onnx" >>"$work/log" 2>&1 \
     || ! "$cli" embed "$model" "${faces[@]}" -o "$work/$name-embeddings.npy" >>"$work/log" 2>&1 \
     || ! "$cli" export --size "$size" "${faces[@]}" --images "$work/$name-images.npy" >>"$work/log" 2>&1; then
    echo "not ok $n - $name: train, export-onnx, embed or export failed"
    sed 's/^/# /' "$work/log"
    failed=1
    continue
  fi
  if out=$("$python" "$peer" "$work/$name.onnx" "$work/$name-images.npy" "$work/$name-embeddings.npy" 2>"$work/err"); then
    echo "ok $n - $name: onnx.checker and OpenCV agree with embed on $faces_name: $out"
  else
    echo "not ok $n - $name: $out"
    grep -v '^\[' "$work/err" | sed 's/^/# /'
    failed=1
  fi
done
echo "1..$n"
exit $failed
