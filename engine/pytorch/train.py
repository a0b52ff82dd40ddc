#!/usr/bin/env python3
"""Train a Siamese Faces network with PyTorch, on one process or many.

Written by `siamese-faces-cli export-pytorch`; needs only PyTorch, NumPy and
Pillow (Debian: python3-torch python3-numpy python3-pil).

  python3 train.py FOLDER -o MODEL.safetensors                # one process
  torchrun --nproc_per_node=N train.py FOLDER -o MODEL.safetensors
  torchrun --nnodes=M --node_rank=R --master_addr=HOST --master_port=29500 \\
           --nproc_per_node=N train.py FOLDER -o MODEL.safetensors

FOLDER holds one subfolder per person with PGM, PPM, PNG or JPEG files, read
lazily by DataLoader workers; every process reads its shard of each batch
(DistributedSampler; the gloo backend on CPUs, NCCL on GPUs). The result is
the app's own model file: `siamese-faces-cli eval MODEL FOLDER` scores it, the
app opens it with its curves and threshold, `train --init MODEL` fine-tunes it.
It is written after every epoch (the threshold of those from the epoch's
validation scores) and at the end (threshold from mirrored embeddings, as the
app chooses it).

The recipe is the app's for these settings: the tower and head below (the
module source the model file carries), its initialisation (Glorot uniform,
zero biases), the people, images or pairs split and the pairs (one positive
and one negative per image) exactly as the app draws them, the pair loss (bce or contrastive) or the loss over all pairs
of a batch's images (softmax at the temperature, or contrastive), the
optimizer with the app's update rule (Keras' Adam), the learning-rate
schedule, L2 weight decay and the augmentation. What differs from the app:
  * the order of the pairs, augmentation, dropout and the initial weights
    come from PyTorch's and NumPy's generators, not the app's: the same seed
    gives a different but equally drawn run (the split and the pairs are the
    app's own);
  * under several processes batch norm normalises each process's share of a
    batch (on GPUs pass --sync-bn for statistics over the whole batch);
  * the loss over all pairs covers the whole global batch (every process's
    embeddings are gathered); the app splits a batch of more than 64 pairs
    into groups of 64 when the tower has no batch norm;
  * the DistributedSampler repeats a few pairs so every process gets as many.
"""
import argparse
import datetime
import functools
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

# The model: the PyTorch source every Siamese Faces model file carries
# (metadata "pytorch"), defining Siamese with .tower and, for bce, .head.
# ---- module source ----
# @SF_MODULE_SOURCE@
# ---- end of module source ----

# The network and the settings it trains with, as the app stores them.
CONFIG = json.loads(@SF_CONFIG@)
SETTINGS = CONFIG["settings"]

APP_IMAGES = (".pgm", ".ppm", ".pnm", ".png")   # what the app reads
OTHER_IMAGES = (".jpg", ".jpeg")                  # read here too (Pillow)


# ---------------------------------------------------------------------------
# The folder of people, listed as the app lists it

def natural_compare(a, b):
    """The app's order (engine/folder.c): runs of digits compare as numbers,
    the rest byte by byte, ASCII case ignored."""
    i = j = 0
    while i < len(a) and j < len(b):
        if chr(a[i]).isdigit() and chr(b[j]).isdigit():
            while a[i] == 48 and i + 1 < len(a) and chr(a[i + 1]).isdigit():
                i += 1
            while b[j] == 48 and j + 1 < len(b) and chr(b[j + 1]).isdigit():
                j += 1
            la = lb = 0
            while i + la < len(a) and chr(a[i + la]).isdigit():
                la += 1
            while j + lb < len(b) and chr(b[j + lb]).isdigit():
                lb += 1
            if la != lb:
                return la - lb
            if a[i:i + la] != b[j:j + lb]:
                return -1 if a[i:i + la] < b[j:j + lb] else 1
            i += la
            j += lb
        else:
            ca = a[i] + 32 if 65 <= a[i] <= 90 else a[i]
            cb = b[j] + 32 if 65 <= b[j] <= 90 else b[j]
            if ca != cb:
                return ca - cb
            i += 1
            j += 1
    return (a[i] if i < len(a) else 0) - (b[j] if j < len(b) else 0)


def list_people(root):
    """(paths, labels, names): every image of every person, in the app's order."""
    key = functools.cmp_to_key(natural_compare)
    root_b = os.fsencode(root)
    people = sorted((n for n in os.listdir(root_b)
                     if not n.startswith(b".") and os.path.isdir(os.path.join(root_b, n))), key=key)
    paths, labels, names = [], [], []
    for person in people:
        folder = os.path.join(root_b, person)
        files = sorted((n for n in os.listdir(folder)
                        if not n.startswith(b".") and n.lower().endswith(tuple(e.encode() for e in APP_IMAGES + OTHER_IMAGES))
                        and not os.path.isdir(os.path.join(folder, n))), key=key)
        if not files:
            continue
        for f in files:
            paths.append(os.fsdecode(os.path.join(folder, f)))
            labels.append(len(names))
        names.append(os.fsdecode(person))
    return paths, np.array(labels, dtype=np.int64), names


# ---------------------------------------------------------------------------
# Pixels as the app makes them (engine/image.c): grey float32 in [0, 1],
# files scaled by their maxval, colour by Rec. 601 luma, resized by area
# averaging. PGM, PPM and PNG come out bit for bit as in the app, so the
# dataset fingerprint can be computed here.

def _pnm_tokens(data):
    pos = 2
    values = []
    while len(values) < 3:
        while pos < len(data) and (chr(data[pos]).isspace() or data[pos] == 35):
            if data[pos] == 35:
                while pos < len(data) and data[pos] not in (10, 13):
                    pos += 1
            else:
                pos += 1
        start = pos
        while pos < len(data) and chr(data[pos]).isdigit():
            pos += 1
        if start == pos:
            raise ValueError("the PNM header lacks its width, height or maxval")
        values.append(int(data[start:pos]))
    return values, pos


def decode_pnm(data):
    kind = chr(data[1])
    (width, height, maxval), pos = _pnm_tokens(data)
    if not 1 <= maxval <= 65535:
        raise ValueError(f"maxval {maxval} is outside 1 to 65535")
    channels = 3 if kind in "36" else 1
    n = width * height * channels
    if kind in "56":
        pos += 1
        if maxval > 255:
            samples = np.frombuffer(data, dtype=">u2", count=n, offset=pos).astype(np.float32)
        else:
            samples = np.frombuffer(data, dtype=np.uint8, count=n, offset=pos).astype(np.float32)
    else:
        text = data[pos:].replace(b"#", b" # ")
        words = []
        for line in text.split(b"\n"):
            words.extend(line.split(b"#")[0].split())
        samples = np.array([int(w) for w in words[:n]], dtype=np.float32)
        if len(samples) < n:
            raise ValueError("truncated")
    scale = np.float32(1.0) / np.float32(maxval)
    values = np.minimum(samples * scale, np.float32(1.0)).reshape(height, width, channels)
    return luma(values) if channels == 3 else values[:, :, 0]


def luma(rgb):
    """Rec. 601, in float32 in the app's order of operations."""
    return (np.float32(0.299) * rgb[:, :, 0] + np.float32(0.587) * rgb[:, :, 1]) + np.float32(0.114) * rgb[:, :, 2]


def decode_with_pillow(path, png):
    from PIL import Image
    with Image.open(path) as image:
        image.load()
        mode = image.mode
        if png and mode in ("I;16", "I;16B", "I;16L", "I"):
            return np.asarray(image, dtype=np.float32) / np.float32(65535)
        if png and mode in ("L", "LA", "1"):
            grey = np.asarray(image.convert("L"), dtype=np.float32) * np.float32(257)
            return grey / np.float32(65535)
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
        if png:
            # libpng expands to 16 bits (×257) and the app divides the luma by 65535.
            return luma(rgb * np.float32(257)) / np.float32(65535)
        return luma(rgb / np.float32(255))


def read_grey(path):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) >= 2 and head[:1] == b"P" and head[1:2] in b"2356":
            return decode_pnm(head + f.read())
    return decode_with_pillow(path, head == b"\x89PNG\r\n\x1a\n")


def _resize_rows(src, dst_len):
    """One axis of the app's area resize (engine/image.c), same arithmetic."""
    src_len = src.shape[1]
    ratio = src_len / dst_len
    out = np.empty((src.shape[0], dst_len), dtype=np.float32)
    for d in range(dst_len):
        lo, hi = d * ratio, (d + 1) * ratio
        total = np.zeros(src.shape[0], dtype=np.float64)
        for s in range(int(lo), min(math.ceil(hi), src_len)):
            overlap = min(hi, s + 1.0) - max(lo, float(s))
            if overlap > 0:
                total += overlap * src[:, s].astype(np.float64)
        out[:, d] = (total / ratio).astype(np.float32)
    return out


def resize_area(image, size):
    if image.shape == (size, size):
        return np.ascontiguousarray(image, dtype=np.float32)
    rows = _resize_rows(image, size)             # [h, size]
    return np.ascontiguousarray(_resize_rows(rows.T, size).T)


def load_face(path, size):
    try:
        return resize_area(read_grey(path), size)
    except Exception as e:  # the file is named: a worker's traceback alone would not say which
        raise RuntimeError(f"{path}: {e}") from e


# ---------------------------------------------------------------------------
# Augmentation: the app's transformations and strengths (engine/augment.c),
# drawn from NumPy.

def parse_augment(text):
    s = dict(flip=False, shift=0.0, rotate=0.0, scale=0.0, brightness=0.0, contrast=0.0, crop=0.0, gamma=0.0, erase=0.0)
    defaults = dict(shift=0.06, rotate=8.0, scale=0.08, crop=0.2, gamma=0.3, erase=0.5)
    if text in ("", "none"):
        return s
    for word in text.split(","):
        name, _, value = word.partition("=")
        if name == "all":
            s.update(flip=True, shift=0.06, rotate=8.0, scale=0.08, brightness=0.1, contrast=0.15)
        elif name == "flip":
            s["flip"] = True
        elif name == "light":
            s.update(brightness=0.1, contrast=0.15)
        elif name in defaults:
            s[name] = float(value) if value else defaults[name]
    return s


def augment(src, s, rng):
    h, w = src.shape
    sym = lambda amp: (2 * rng.random() - 1) * amp if amp > 0 else 0.0
    flip = s["flip"] and rng.random() < 0.5
    dx, dy = sym(s["shift"]) * w, sym(s["shift"]) * h
    angle = sym(s["rotate"]) * math.pi / 180
    zoom = 1 + sym(s["scale"])
    brightness, contrast = sym(s["brightness"]), 1 + sym(s["contrast"])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    px, py = xs, ys
    power, erase = 1.0, None
    if s["crop"] > 0 or s["gamma"] > 0 or s["erase"] > 0:
        area = 1 - rng.random() * s["crop"]
        aspect = math.exp(sym(math.log(4 / 3)))
        fx, fy = rng.random(), rng.random()
        if s["crop"] > 0:
            cw, ch = min(math.sqrt(area * aspect), 1.0), min(math.sqrt(area / aspect), 1.0)
            px = fx * (1 - cw) * w + (xs + 0.5) * cw - 0.5
            py = fy * (1 - ch) * h + (ys + 0.5) * ch - 0.5
        log_power = sym(math.log1p(s["gamma"]))
        power = math.exp(log_power) if s["gamma"] > 0 else 1.0
        if rng.random() < s["erase"]:
            e_area = (0.02 + 0.18 * rng.random()) * w * h
            e_aspect = math.exp(sym(math.log(3)))
            eh = min(max(int(round(math.sqrt(e_area * e_aspect))), 1), h)
            ew = min(max(int(round(math.sqrt(e_area / e_aspect))), 1), w)
            ex = min(int(rng.random() * (w - ew + 1)), w - ew)
            ey = min(int(rng.random() * (h - eh + 1)), h - eh)
            erase = (ey, ex, eh, ew)
    cx, cy = (w - 1) * 0.5, (h - 1) * 0.5
    c, sn = math.cos(angle) / zoom, math.sin(angle) / zoom
    u, v = px - cx - dx, py - cy - dy
    sx, sy = c * u + sn * v + cx, -sn * u + c * v + cy
    if flip:
        sx = (w - 1) - sx
    sx, sy = np.clip(sx, 0, w - 1), np.clip(sy, 0, h - 1)
    x0, y0 = sx.astype(np.int64), sy.astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = sx - x0, sy - y0
    top = src[y0, x0] * (1 - fx) + src[y0, x1] * fx
    bottom = src[y1, x0] * (1 - fx) + src[y1, x1] * fx
    out = (top * (1 - fy) + bottom * fy).astype(np.float32)
    if power != 1:
        out = np.clip(out, 0, 1) ** np.float32(power)
    if brightness != 0 or contrast != 1:
        mean = out.mean(dtype=np.float64)
        out = np.clip((out - mean) * contrast + mean + brightness, 0, 1).astype(np.float32)
    if erase is not None:
        ey, ex, eh, ew = erase
        out[ey:ey + eh, ex:ex + ew] = rng.random((eh, ew))
    return out


class Pairs(torch.utils.data.Dataset):
    """Pairs of faces read from their files when asked for (in the workers)."""

    def __init__(self, paths, labels, pairs, size, augment_settings=None, seed=0, epoch=0):
        self.paths, self.labels, self.pairs, self.size = paths, labels, pairs, size
        self.augment, self.seed, self.epoch = augment_settings, seed, epoch

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, k):
        a, b, same = self.pairs[k]
        faces = [load_face(self.paths[a], self.size), load_face(self.paths[b], self.size)]
        if self.augment is not None:
            # Drawn from the pair's own stream: the same faces whichever process reads them.
            rng = np.random.default_rng([self.seed, self.epoch, k])
            faces = [augment(f, self.augment, rng) for f in faces]
        return (torch.from_numpy(faces[0])[None], torch.from_numpy(faces[1])[None], torch.tensor(float(same)),
                int(self.labels[a]), int(self.labels[b]))


class Faces(torch.utils.data.Dataset):
    def __init__(self, paths, size):
        self.paths, self.size = paths, size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, k):
        try:
            return torch.from_numpy(resize_area(read_grey(self.paths[k]), self.size)), True
        except Exception:
            return torch.zeros(self.size, self.size), False


# ---------------------------------------------------------------------------
# Splits and pairs exactly as the app draws them (engine/pairs.c, engine/rng.c):
# the same seed holds out the same people (or images, or pairs) and makes the
# same pairs, so `siamese-faces-cli eval` judges the model on the very
# validation pairs it was never trained on.

M64 = (1 << 64) - 1


class AppRng:
    """xoshiro256** seeded with splitmix64, as sf_rng."""

    def __init__(self, seed):
        x, self.s = seed & M64, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s0, s1, s2, s3 = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64
        result = (rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, rotl(s3, 45)]
        return result

    def below(self, n):
        limit = M64 - (M64 % n)
        while True:
            r = self.next()
            if r < limit:
                return r % n

    def shuffle(self, items, first=0, count=None):
        count = len(items) - first if count is None else count
        for i in range(count - 1, 0, -1):
            j = self.below(i + 1)
            items[first + i], items[first + j] = items[first + j], items[first + i]


def c_round(x):
    """C's lround for x >= 0: halves away from zero."""
    whole = math.floor(x)
    return int(whole) + (1 if x - whole >= 0.5 else 0)


class PartIndex:
    """The images of a part grouped by person, ascending within a person."""

    def __init__(self, labels, n_people, in_part=None):
        self.offsets = [0] * (n_people + 1)
        for i, p in enumerate(labels):
            if in_part is None or in_part[i]:
                self.offsets[p + 1] += 1
        for p in range(n_people):
            self.offsets[p + 1] += self.offsets[p]
        self.members = [0] * self.offsets[n_people]
        self.slot = [-1] * len(labels)
        fill = self.offsets[:n_people]
        for i, p in enumerate(labels):
            if in_part is None or in_part[i]:
                self.members[fill[p]] = i
                self.slot[i] = fill[p]
                fill[p] += 1
        self.n_people = sum(1 for p in range(n_people) if self.count(p) > 0)

    def count(self, p):
        return self.offsets[p + 1] - self.offsets[p]


def make_part_pairs(labels, index, rng):
    """One positive and one negative pair per image of the part, in image order."""
    pairs = []
    for i, p in enumerate(labels):
        if index.slot[i] < 0:
            continue
        first, count = index.offsets[p], index.count(p)
        if count >= 2:
            k = first + rng.below(count - 1)
            pairs.append((i, index.members[k + (k >= index.slot[i])], 1.0))
        if index.n_people >= 2:
            k = rng.below(len(index.members) - count)
            pairs.append((i, index.members[k + count if k >= first else k], 0.0))
    return pairs


def generate_pairs(labels, n_people, split, share, seed):
    """(train, validation, held_out) as sf_pairs_generate makes them."""
    rng = AppRng(seed)
    held = [False] * len(labels)
    if split == "pairs":
        pairs = make_part_pairs(labels, PartIndex(labels, n_people), rng)
        rng.shuffle(pairs)
        n_val = c_round(share * len(pairs))
        if n_val == 0 or n_val == len(pairs):
            sys.exit(f"pairs split: holding out {share} of {len(pairs)} pairs leaves no pairs on one side")
        return pairs[n_val:], pairs[:n_val], held
    if split == "images":
        index = PartIndex(labels, n_people)
        order = list(index.members)
        for p in range(n_people):
            count = index.count(p)
            if count < 4:
                continue
            n_held = min(max(2, c_round(share * count)), count - 2)
            rng.shuffle(order, index.offsets[p], count)
            for k in range(n_held):
                held[order[index.offsets[p] + k]] = True
    else:
        present = sorted(set(labels))
        if len(present) < 4:
            sys.exit(f"a people split needs at least 4 people (2 to train on, 2 to validate on); this folder has {len(present)}")
        n_held = min(max(c_round(share * len(present)), 2), len(present) - 2)
        rng.shuffle(present)
        chosen = set(present[:n_held])
        held = [p in chosen for p in labels]
    train_index = PartIndex(labels, n_people, [not h for h in held])
    val_index = PartIndex(labels, n_people, held)
    for what, index in (("training", train_index), ("validation", val_index)):
        if index.n_people < 2:
            sys.exit(f"{split} split: the {what} images belong to fewer than two people")
    train = make_part_pairs(labels, train_index, rng)
    validation = make_part_pairs(labels, val_index, rng)
    rng.shuffle(train)
    rng.shuffle(validation)
    return train, validation, held


# ---------------------------------------------------------------------------
# Losses and scores (engine/heads.c)

def distance(ea, eb):
    return torch.sqrt(torch.clamp(((ea - eb) ** 2).sum(1), min=1e-7))


def squared_distances(e):
    n = (e * e).sum(1)
    return torch.clamp(n[:, None] + n[None, :] - 2 * e @ e.t(), min=0)


def all_pairs_softmax(e, labels, temperature):
    """Mean over anchors of -log Σ_same p_ij, p_ij ∝ exp(-d²_ij / T), j ≠ i."""
    s = squared_distances(e) / temperature
    eye = torch.eye(len(e), dtype=torch.bool, device=e.device)
    same = (labels[:, None] == labels[None, :]) & ~eye
    anchors = same.any(1)
    if not anchors.any():
        return e.sum() * 0
    logits = (-s).masked_fill(eye, float("-inf"))
    log_all = torch.logsumexp(logits, 1)
    log_same = torch.logsumexp(logits.masked_fill(~same, float("-inf")), 1)
    return (log_all - log_same)[anchors].mean()


def all_pairs_contrastive(e, labels, margin):
    i, j = torch.triu_indices(len(e), len(e), 1, device=e.device)
    d = torch.sqrt(torch.clamp(squared_distances(e)[i, j], min=1e-7))
    same = labels[i] == labels[j]
    active = ~same & (d < margin)
    loss = e.sum() * 0
    if same.any():
        loss = loss + (d[same] ** 2).mean()
    if active.any():
        loss = loss + ((margin - d[active]) ** 2).mean()
    return loss


def pair_scores(d, z):
    """The score of the model's head: 1 = same person."""
    if CONFIG["head"] == "bce":
        return torch.sigmoid(z)
    return 1 / (1 + (2 * d / CONFIG["margin"]) ** 2)


def pair_loss(d, z, same):
    """Sum over the pairs of the head's loss."""
    if CONFIG["head"] == "bce":
        return (F.softplus(z) - same * z).sum()
    m = CONFIG["margin"]
    return (same * d ** 2 + (1 - same) * torch.clamp(m - d, min=0) ** 2).sum()


class Trainee(torch.nn.Module):
    """What DistributedDataParallel wraps: the tower on a batch's 2n faces,
    and the bce head on the n drawn pairs, so every parameter takes part."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, faces):
        e = self.net.tower(faces)
        ea, eb = e.chunk(2)
        d = distance(ea, eb)
        z = self.net.head(d[:, None])[:, 0] if CONFIG["head"] == "bce" else None
        return e, d, z


# ---------------------------------------------------------------------------
# The app's optimizers (engine/optimizer.c): Adam as Keras updates it, RMSprop,
# SGD with momentum; L2 decay added to the gradient.

class AppOptimizer:
    def __init__(self, params, s):
        self.params = [p for p in params if p.requires_grad]
        self.kind, self.s = s["optimizer"], s
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.steps = 0

    @torch.no_grad()
    def step(self, rate):
        s = self.s
        b1, b2, eps, decay = s["beta1"], s["beta2"], s["epsilon"], s["weight_decay"]
        self.steps += 1
        if self.kind == "adam":
            rate = rate * math.sqrt(1 - b2 ** self.steps) / (1 - b1 ** self.steps)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad + decay * p if decay else p.grad
            if self.kind == "adam":
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.addcdiv_(m, v.sqrt().add_(eps), value=-rate)
            elif self.kind == "rmsprop":
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.addcdiv_(g, v.sqrt().add_(eps), value=-rate)
            else:
                m.mul_(b1).add_(g)
                p.add_(m, alpha=-rate)


def rate_at(epoch, n_epochs):
    s = SETTINGS
    if s["schedule"] == "step":
        return s["learning_rate"] * s["step_gamma"] ** (epoch // max(s["step_epochs"], 1))
    if s["schedule"] == "cosine" and n_epochs > 1:
        return s["learning_rate"] * 0.5 * (1 + math.cos(math.pi * epoch / n_epochs))
    return s["learning_rate"]


def initialise(net, seed):
    """The app's initialisation: Glorot-uniform weights, zero biases, γ = 1, running variance 1;
    the bce head's weight negative (a larger distance starts as a lower score)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith(".weight") and t.dim() >= 2:
                receptive = t[0][0].numel()
                limit = math.sqrt(6.0 / ((t.shape[1] + t.shape[0]) * receptive))
                t.copy_((torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 - 1) * limit)
                if name == "head.weight":
                    t.view(-1)[0] = -t.view(-1)[0].abs()
            elif name.endswith(".weight") or name.endswith(".running_var"):
                t.fill_(1)
            elif t.is_floating_point():
                t.zero_()


# ---------------------------------------------------------------------------
# The app's model file (engine/checkpoint.c, engine/safetensors.c)

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, meta


def write_model(path, net, meta):
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in net.state_dict().items()
               if not k.endswith("num_batches_tracked")}
    header, blobs, offset = {"__metadata__": meta}, [], 0
    for name, t in tensors.items():
        blob = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def finite_or_none(x):
    return x if x is not None and math.isfinite(x) else None


def metadata(threshold, train_steps, history, fingerprint, source):
    shown = lambda x: repr(float(x))
    return {
        "format": CONFIG["format"],
        "spec": CONFIG["spec"],
        "head": CONFIG["head"],
        "margin": shown(CONFIG["margin"]),
        "input_size": str(CONFIG["input_size"]),
        "embedding_size": str(CONFIG["embedding_size"]),
        "pixel_scaling": CONFIG["pixel_scaling"],
        "train_steps": str(train_steps),
        "threshold": shown(min(max(threshold, 0.0), 1.0)),
        "settings": json.dumps(SETTINGS, separators=(",", ":")),
        "history": json.dumps([{k: finite_or_none(v) if k != "epoch" else v for k, v in r.items()} for r in history],
                              separators=(",", ":")),
        "pytorch": CONFIG["pytorch"],
        "dataset_fingerprint": fingerprint or "",
        "dataset_source": source,
    }


def roc(scores, truths):
    """[(threshold, far, tar)] from above every score down, one point per distinct score (engine/metrics.c)."""
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], truths[order]
    n, n_same = len(s), int(truths.sum())
    points = [(float(np.nextafter(s[0], np.float32(np.inf))), 0.0, 0.0)]
    same = different = 0
    k = 0
    while k < n:
        score = s[k]
        while k < n and s[k] == score:
            same += int(t[k])
            different += int(not t[k])
            k += 1
        points.append((float(score), different / (n - n_same), same / n_same))
    return points


def metrics(scores, truths):
    """(eer, eer_threshold, best_threshold) as the app computes them; NaNs without both kinds of pair."""
    scores, truths = np.asarray(scores, dtype=np.float32), np.asarray(truths) > 0.5
    nan = float("nan")
    if len(scores) == 0 or truths.all() or not truths.any() or not np.isfinite(scores).all():
        return nan, nan, nan
    points, n, n_same = roc(scores, truths), len(scores), int(truths.sum())
    eer = eer_threshold = nan
    for k in range(1, len(points)):
        before = points[k - 1][1] - (1 - points[k - 1][2])
        after = points[k][1] - (1 - points[k][2])
        if after >= 0:
            f = -before / (after - before) if after - before > 0 else 0
            eer = points[k - 1][1] + f * (points[k][1] - points[k - 1][1])
            top = min(points[k - 1][0], 1.0)
            eer_threshold = float(np.float32(top + f * (points[k][0] - top)))
            break
    best, best_threshold = nan, nan
    for k in range(len(points)):
        accuracy = (points[k][2] * n_same + (1 - points[k][1]) * (n - n_same)) / n
        if math.isnan(best) or accuracy > best:
            best = accuracy
            if k == 0:
                best_threshold = min(1.0, points[0][0])
            elif k + 1 < len(points):
                best_threshold = float(np.float32((points[k][0] + points[k + 1][0]) / 2))
            else:
                best_threshold = points[k][0]
    return eer, eer_threshold, best_threshold


def choose_threshold(scores, truths):
    """The app's rule: the threshold at the equal error rate, the best accuracy's when that is 0; else 0.5."""
    eer, eer_threshold, best_threshold = metrics(scores, truths)
    if not math.isfinite(eer):
        return 0.5
    threshold = eer_threshold if eer > 0 else best_threshold
    return threshold if math.isfinite(threshold) else 0.5


def fingerprint(paths, labels, size, workers):
    """SHA-256 of the dataset as the app loads it (engine/dataset.c), hashed as
    the images stream by; None when the app would not read every file this
    program reads (another format, or a file it cannot decode)."""
    if any(not p.lower().endswith(APP_IMAGES) for p in paths):
        return None
    h = hashlib.sha256()
    h.update(struct.pack("<4i", len(paths), size, size, len(np.unique(labels))))
    h.update(labels.astype("<i4").tobytes())
    for faces, good in torch.utils.data.DataLoader(Faces(paths, size), batch_size=64, num_workers=workers):
        if not bool(good.all()):
            return None
        h.update(faces.numpy().astype("<f4").tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Training

def say(*parts):
    if RANK == 0:
        print(*parts, file=sys.stderr, flush=True)


def gather(x):
    """Every process's x, concatenated in rank order (x the same shape everywhere)."""
    if WORLD == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(WORLD)]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


def total(*values):
    """The sums over the processes (on the device: NCCL reduces GPU tensors only)."""
    t = torch.tensor(values, dtype=torch.float64, device=DEVICE)
    if WORLD > 1:
        dist.all_reduce(t)
    return t.tolist()


def main():
    global RANK, WORLD, DEVICE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="folder of people: one subfolder per person")
    ap.add_argument("-o", "--output", required=True, help="the model file to write (.safetensors)")
    ap.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    ap.add_argument("--batch", type=int, default=SETTINGS["batch_size"],
                    help="pairs per batch over all processes (each process takes its share)")
    ap.add_argument("--lr", type=float, default=SETTINGS["learning_rate"])
    ap.add_argument("--seed", type=int, default=SETTINGS["seed"])
    ap.add_argument("--init", metavar="MODEL", help="start from this model file's weights (same spec)")
    ap.add_argument("--workers", type=int, default=None, help="DataLoader workers per process (default: cores / processes, at most 4)")
    ap.add_argument("--threads", type=int, default=None, help="PyTorch threads per process (default: cores / processes)")
    ap.add_argument("--device", default="auto", help="auto (a GPU per process when there are GPUs), cpu or cuda")
    ap.add_argument("--sync-bn", action="store_true", help="batch norm statistics over the whole batch (GPUs)")
    ap.add_argument("--fingerprint", choices=("auto", "always", "never"), default="auto",
                    help="record the dataset's fingerprint (auto: up to 100000 images)")
    args = ap.parse_args()

    WORLD = int(os.environ.get("WORLD_SIZE", "1"))
    RANK = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = DEVICE = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if WORLD > 1:
        dist.init_process_group("nccl" if use_cuda else "gloo", timeout=datetime.timedelta(minutes=30))
    cores = os.cpu_count() or 1
    torch.set_num_threads(args.threads or max(1, cores // local_world))
    workers = args.workers if args.workers is not None else min(4, max(1, cores // local_world))
    if args.batch % WORLD != 0 or args.batch < WORLD:
        sys.exit(f"--batch {args.batch}: give a multiple of the {WORLD} processes")
    if SETTINGS.get("identity_loss", "pairs") != "pairs":
        sys.exit("this program trains with the pair losses only, not " + SETTINGS["identity_loss"])
    SETTINGS.update(epochs=args.epochs, batch_size=args.batch, learning_rate=args.lr, seed=args.seed)

    size = CONFIG["input_size"]
    paths, labels, names = list_people(args.data)
    if len(names) < 2:
        sys.exit(f"{args.data}: expected one subfolder per person, with images, for two people or more")
    split, share = SETTINGS["split"], SETTINGS["split_share"]
    label_list = [int(p) for p in labels]
    train_pairs, val_pairs, held = generate_pairs(label_list, len(names), split, share, args.seed)
    say(f"Training {CONFIG['spec']} on {args.data}: {len(paths)} images of {len(names)} people, "
        f"{len(train_pairs)} training + {len(val_pairs)} validation pairs ({split} split), "
        f"{WORLD} process(es) on {device.type}, batch {args.batch}")

    net = Siamese()
    initialise(net, args.seed)
    torch.manual_seed(args.seed * 1000 + RANK)   # dropout: reproducible, each process its own draws
    train_steps = 0
    if args.init:
        tensors, meta = read_safetensors(args.init)
        for key, want in (("spec", CONFIG["spec"]), ("head", CONFIG["head"]), ("input_size", str(size))):
            if meta.get(key) != want:
                sys.exit(f"{args.init}: {key} is {meta.get(key)!r}, this program trains {want!r}")
        own = net.state_dict()
        for name, t in own.items():
            if name.endswith("num_batches_tracked"):
                continue
            if name not in tensors or tuple(tensors[name].shape) != tuple(t.shape):
                sys.exit(f"{args.init}: tensor {name} is missing or not shaped {list(t.shape)}")
            t.copy_(tensors[name])
        train_steps = int(meta.get("train_steps", "0"))
        say(f"Starting from {args.init}")
    net.to(device)
    if args.sync_bn and WORLD > 1:
        net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    trainee = Trainee(net)
    model = torch.nn.parallel.DistributedDataParallel(trainee, device_ids=[local_rank] if use_cuda else None) \
        if WORLD > 1 else trainee
    optimizer = AppOptimizer(net.parameters(), SETTINGS)
    softmax = CONFIG["head"] == "contrastive" and SETTINGS["all_pairs"]
    temperature = SETTINGS["temperature"] if CONFIG["unit_sphere"] else 0.0
    aug = parse_augment(SETTINGS["augment"])
    aug = aug if any(aug.values()) else None
    per_process = args.batch // WORLD
    source = os.path.abspath(args.data)
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        source = ""

    def loader(pairs, epoch, augmenting, shuffle):
        data = Pairs(paths, labels, pairs, size, aug if augmenting else None, args.seed, epoch)
        sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=WORLD, rank=RANK,
                                                                  shuffle=shuffle, seed=args.seed)
        sampler.set_epoch(epoch)
        return torch.utils.data.DataLoader(data, batch_size=per_process, sampler=sampler, num_workers=workers,
                                           pin_memory=use_cuda, persistent_workers=False)

    def validate(mirrored=False):
        """Scores, truths and loss sum of the validation pairs, every process a shard, gathered."""
        net.eval()
        shard = val_pairs[RANK::WORLD]
        scores, truths, loss = [], [], 0.0
        data = Pairs(paths, labels, shard, size)
        with torch.no_grad():
            for a, b, same, _, _ in torch.utils.data.DataLoader(data, batch_size=per_process, num_workers=workers):
                a, b, same = a.to(device), b.to(device), same.to(device)
                faces = torch.cat([a, b])
                e = net.tower(faces)
                if mirrored:
                    e = (e + net.tower(torch.flip(faces, dims=[3]))) / 2
                    if CONFIG["unit_sphere"]:
                        e = F.normalize(e, dim=1)
                ea, eb = e.chunk(2)
                d = distance(ea, eb)
                z = net.head(d[:, None])[:, 0] if CONFIG["head"] == "bce" else None
                scores.append(pair_scores(d, z).cpu())
                truths.append(same.cpu())
                loss += float(pair_loss(d, z, same))
        scores = torch.cat(scores).tolist() if scores else []
        truths = torch.cat(truths).tolist() if truths else []
        if WORLD > 1:
            parts = [None] * WORLD
            dist.all_gather_object(parts, (scores, truths, loss))
            scores = [x for p in parts for x in p[0]]
            truths = [x for p in parts for x in p[1]]
            loss = sum(p[2] for p in parts)
        net.train()
        return scores, truths, loss

    history, best, best_epoch, best_state = [], None, 0, None
    fp = None
    run_start = time.perf_counter()
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        if epoch > 0 and SETTINGS["new_pairs_each_epoch"]:
            # As the app: new pairs only when the new draw holds out the same part.
            fresh, _, fresh_held = generate_pairs(label_list, len(names), split, share, args.seed + epoch * 1000003)
            if fresh_held == held and len(fresh) == len(train_pairs):
                train_pairs = fresh
        rate = rate_at(epoch, args.epochs)
        loss_sum = right = seen = 0.0
        net.train()
        for a, b, same, la, lb in loader(train_pairs, epoch, True, True):
            a, b, same = a.to(device, non_blocking=True), b.to(device, non_blocking=True), same.to(device)
            e, d, z = model(torch.cat([a, b]))
            n = len(same)
            if softmax:
                # Over the whole global batch: every process's embeddings, its own with their gradient.
                everyone = gather(e.detach())
                everyone = torch.cat([everyone[:RANK * 2 * n], e, everyone[(RANK + 1) * 2 * n:]])
                tags = gather(torch.cat([la, lb]).to(device))
                loss = all_pairs_softmax(everyone, tags, temperature) if temperature > 0 \
                    else all_pairs_contrastive(everyone, tags, CONFIG["margin"])
                (loss * WORLD).backward()   # DistributedDataParallel averages over the processes
                batch_loss = float(loss) * n   # the same loss on every process: a mean over all pairs
            else:
                loss = pair_loss(d, z, same)
                (loss / n).backward()
                batch_loss = float(loss)
            optimizer.step(rate)
            model.zero_grad(set_to_none=True)
            train_steps += 1
            with torch.no_grad():
                right += float(((pair_scores(d, z) >= 0.5) == (same > 0.5)).sum())
            loss_sum += batch_loss
            seen += n
        loss_sum, right, seen = total(loss_sum, right, seen)
        scores, truths, val_loss = validate()
        n_val = len(scores)
        record = {
            "epoch": epoch + 1, "loss": loss_sum / seen, "accuracy": right / seen,
            "val_loss": val_loss / n_val if n_val else float("nan"),
            "val_accuracy": sum((s >= 0.5) == (t > 0.5) for s, t in zip(scores, truths)) / n_val if n_val else float("nan"),
            "seconds": time.perf_counter() - t0, "pairs_per_second": 0.0, "learning_rate": rate,
        }
        record["pairs_per_second"] = (len(train_pairs) + n_val) / record["seconds"]
        history.append(record)
        say(f"epoch {epoch + 1}/{args.epochs}: loss {record['loss']:.4f} accuracy {record['accuracy']:.3f} "
            f"val_loss {record['val_loss']:.4f} val_accuracy {record['val_accuracy']:.3f} "
            f"{record['seconds']:.1f} s ({record['pairs_per_second']:.0f} pairs/s) lr {rate:.3g}")
        if not math.isfinite(record["loss"]):
            sys.exit(f"the loss became {record['loss']} in epoch {epoch + 1}: lower the learning rate")

        keep = SETTINGS.get("keep_best", "last")
        stop = False
        if keep != "last" and n_val:
            value = record["val_loss"] if keep == "loss" else metrics(scores, truths)[0]
            if math.isfinite(value) and (best is None or value < best):
                best, best_epoch = value, epoch + 1
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            patience = SETTINGS.get("patience", 0)
            stop = patience > 0 and best_epoch > 0 and epoch + 1 - best_epoch >= patience
        if RANK == 0:
            write_model(args.output, net, metadata(choose_threshold(scores, truths), train_steps, history, None, source))
        if stop:
            say(f"no better epoch than {best_epoch} for {SETTINGS['patience']} epochs: stopping")
            break

    if best_state is not None and best_epoch != len(history):
        net.load_state_dict(best_state)
        say(f"keeping the weights of epoch {best_epoch}")
    scores, truths, _ = validate(mirrored=True)
    threshold = choose_threshold(scores, truths)
    if RANK == 0:
        if args.fingerprint == "always" or (args.fingerprint == "auto" and len(paths) <= 100000):
            fp = fingerprint(paths, labels, size, workers)
        write_model(args.output, net, metadata(threshold, train_steps, history, fp, source))
        say(f"Saved {args.output} after {len(history)} epochs in {time.perf_counter() - run_start:.1f} s, "
            f"threshold {threshold:.4f}" + ("" if fp else " (no dataset fingerprint)"))
    if WORLD > 1:
        dist.barrier()
        dist.destroy_process_group()


RANK, WORLD, DEVICE = 0, 1, torch.device("cpu")

if __name__ == "__main__":
    main()
