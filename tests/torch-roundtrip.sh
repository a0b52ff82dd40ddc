#!/usr/bin/env bash
# A checkpoint loads into PyTorch as it is and gives the same embeddings: the
# plain layers (l2norm included, as the L2Norm module the source defines), and
# the blocks (BasicBlock, SeparableConv, SqueezeExcite), strided convolution
# and average pooling, tensors and batch norm statistics under PyTorch's names.
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
specs=(
  "conv8k3-bn-relu pool2 conv16k5-elu-bn pool2 drop0.2 conv16k3-leaky0.1 gap dense24-bn dense16 l2norm"
  "conv16k3s2-bn-relu res16 res32s2 sep64k3s2 se4 avgpool2 conv32k3s2 res32 gap dense32 l2norm"
)
"$cli" export --size 32 --images "$work/images.npy" >/dev/null || { echo "not ok 1 - export"; exit 1; }
failed=0
for k in "${!specs[@]}"; do
  n=$((k + 1))
  spec=${specs[$k]}
  if ! "$cli" train --size 32 --epochs 1 --spec "$spec" -o "$work/model$n.safetensors" 2>"$work/train.log"; then
    echo "not ok $n - train $spec"
    cat "$work/train.log"
    failed=1
    continue
  fi
  if ! "$cli" embed "$work/model$n.safetensors" -o "$work/embeddings$n.npy" >/dev/null; then
    echo "not ok $n - embed $spec"
    failed=1
    continue
  fi
  if out=$("$python" "$peer" "$work/model$n.safetensors" --images "$work/images.npy" --embeddings "$work/embeddings$n.npy"); then
    echo "ok $n - PyTorch rebuilds “$spec” from the file alone: $out"
  else
    echo "not ok $n - PyTorch embeddings of “$spec” differ: $out"
    failed=1
  fi
done
echo "1..${#specs[@]}"
exit $failed
