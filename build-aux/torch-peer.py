#!/usr/bin/env python3
"""Rebuild a Siamese Faces model in PyTorch from its .safetensors file alone.

The file's __metadata__["pytorch"] holds the module's source; the tensors carry
PyTorch's names and layouts. Two uses:

  torch-peer.py MODEL --images IMAGES.npy --embeddings EMB.npy
      load the weights, embed IMAGES (N×H×W float32, from `siamese-faces-cli
      export`) in eval mode and compare with EMB (from `siamese-faces-cli
      embed`): prints the largest difference, exits 1 if it exceeds 1e-3.

  torch-peer.py MODEL --bench [--epochs N] [--threads T]
      train the same network from scratch in PyTorch on 720 + 80 pairs of
      64×64 images at batch 64 (Adam), as `siamese-faces-cli bench` does, and
      print the median seconds per epoch as JSON: the side-by-side peer.

Needs Debian's python3-torch and python3-numpy; reads safetensors with
struct + json only (python3-safetensors is not packaged for Debian 12).
"""
import argparse, json, os, resource, struct, sys, time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, meta


def build(meta):
    scope = {}
    exec(meta["pytorch"], scope)  # our own file's source, as documented in the README
    return scope["Siamese"]()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--images")
    ap.add_argument("--embeddings")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tensors, meta = read_safetensors(args.model)
    net = build(meta)

    if args.images:
        missing, unexpected = net.load_state_dict(tensors, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            sys.exit(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
        net.eval()
        images = torch.from_numpy(np.load(args.images)).unsqueeze(1)
        with torch.no_grad():
            ours = net.tower(images).numpy()
        theirs = np.load(args.embeddings)
        diff = float(np.abs(ours - theirs).max())
        scale = float(np.abs(theirs).max())
        print(json.dumps({"images": len(images), "max_abs_difference": diff, "max_abs_embedding": scale}))
        sys.exit(0 if diff <= 1e-3 * max(1.0, scale) else 1)

    if args.bench:
        rng = np.random.default_rng(0)
        size = int(meta["input_size"])
        images = torch.from_numpy(rng.random((400, 1, size, size), dtype=np.float32))
        labels = np.repeat(np.arange(40), 10)
        a = np.arange(400).repeat(2)
        b = np.array([rng.choice(np.where((labels == labels[i]) == same)[0]) for i in range(400) for same in (True, False)])
        y = torch.tensor([1.0, 0.0] * 400)
        order = rng.permutation(800)
        train, val = order[:720], order[720:]
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
        times = []
        for epoch in range(args.epochs):
            t0 = time.perf_counter()
            net.train()
            for s in range(0, 720, 64):
                idx = train[s:s + 64]
                p = net(images[a[idx]], images[b[idx]])
                loss = F.binary_cross_entropy(p, y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                net(images[a[val]], images[b[val]])
            times.append(time.perf_counter() - t0)
            print(f"epoch {epoch + 1}/{args.epochs} {times[-1]:.3f}s", file=sys.stderr, flush=True)
        print(json.dumps({"peer": "pytorch " + torch.__version__, "spec": meta["spec"], "threads": args.threads,
                          "epoch_seconds_median": float(np.median(times)),
                          "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
