#!/usr/bin/env python3
"""Check an exported tower with two real ONNX clients.

  onnx-peer.py TOWER.onnx IMAGES.npy EMBEDDINGS.npy

onnx.checker (full check, with shape inference) must accept the file; its
input "image" must be float32 N×1×H×W with a free N and its output
"embedding" float32 N×D; the metadata must document the pixel scaling.
OpenCV's dnn module (cv2.dnn.readNetFromONNX) then embeds IMAGES (N×H×W
float32, from `siamese-faces-cli export`) in one batch and one image at a
time, and both must equal EMBEDDINGS (from `siamese-faces-cli embed`) within
1e-4. onnxruntime runs too when it is installed. Prints one JSON line; exits
1 on any difference. Needs python3-onnx, python3-opencv and python3-numpy.
"""
import json, sys

import cv2
import numpy as np
import onnx

TOLERANCE = 1e-4


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def main():
    path, images_path, embeddings_path = sys.argv[1:4]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    images = np.load(images_path)[:, None].astype(np.float32)
    theirs = np.load(embeddings_path)
    n, _, h, w = images.shape
    (inp,), (out,) = model.graph.input, model.graph.output
    problems = []
    if inp.name != "image" or dims(inp)[1:] != [1, h, w] or not isinstance(dims(inp)[0], str):
        problems.append(f"input {inp.name} {dims(inp)}")
    if out.name != "embedding" or dims(out)[1:] != [theirs.shape[1]]:
        problems.append(f"output {out.name} {dims(out)}")
    meta = {p.key: p.value for p in model.metadata_props}
    if not meta.get("pixel_scaling") or meta["pixel_scaling"] not in model.doc_string:
        problems.append("the pixel scaling is not documented")

    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(images)
    batch = net.forward()
    single = []
    for k in range(min(n, 4)):
        net.setInput(images[k:k + 1])
        single.append(net.forward()[0])
    result = {"images": int(n),
              "opencv_batch": float(np.abs(batch - theirs).max()),
              "opencv_single": float(np.abs(np.array(single) - theirs[:len(single)]).max())}
    try:
        import onnxruntime
    except ImportError:
        onnxruntime = None
    if onnxruntime is not None:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        result["onnxruntime"] = float(np.abs(session.run(None, {"image": images})[0] - theirs).max())
    for client in ("opencv_batch", "opencv_single", "onnxruntime"):
        if client in result and not result[client] <= TOLERANCE:
            problems.append(f"{client} differs by {result[client]:g}")
    result["problems"] = problems
    print(json.dumps(result))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
