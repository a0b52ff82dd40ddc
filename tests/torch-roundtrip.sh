#!/usr/bin/env bash
# A checkpoint loads into PyTorch as it is and gives the same embeddings
# (l2norm included, as the L2Norm module the source defines).
# Usage: torch-roundtrip.sh PATH-TO-siamese-faces-cli PATH-TO-torch-peer.py
set -uo pipefail
cli=$1
peer=$2
python=/usr/bin/python3
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "1..0 # SKIP python3-torch is not installed (apt-get install python3-torch)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" train --size 32 --epochs 1 --spec "conv8k3-bn-relu pool2 conv16k5-elu-bn pool2 drop0.2 conv16k3-leaky0.1 gap dense24-bn dense16 l2norm" \
  -o "$work/model.safetensors" 2>"$work/train.log" || { echo "not ok 1 - train"; cat "$work/train.log"; exit 1; }
"$cli" export --size 32 --images "$work/images.npy" >/dev/null &&
"$cli" embed "$work/model.safetensors" -o "$work/embeddings.npy" >/dev/null || { echo "not ok 1 - embed"; exit 1; }
if out=$("$python" "$peer" "$work/model.safetensors" --images "$work/images.npy" --embeddings "$work/embeddings.npy"); then
  echo "ok 1 - PyTorch rebuilds the model from the file alone: $out"
else
  echo "not ok 1 - PyTorch embeddings differ: $out"
  exit 1
fi
echo "1..1"
