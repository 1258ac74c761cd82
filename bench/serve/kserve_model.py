"""The reference server of `npm run bench:serve`: the KServe Python ModelServer serving the project's CNN
(the Keras mnist_cnn architecture, as src/domain/model/architecture.ts builds it) with the weights of one
of our model versions, read from its tfjs files (model.json's weights manifest + weights.bin).

Same protocol as ours: input `image` UINT8 (0-255) or FP32 (0-1), [N,28,28], [N,28,28,1] or [N,784];
outputs `probabilities` FP32 [N,10] and `digit` INT64 [N].

Usage: python kserve_model.py --version_dir DIR --http_port PORT
"""
import argparse
import json
import os
import uuid

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer  # noqa: E402


def build_cnn() -> tf.keras.Model:
    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def load_tfjs_weights(model: tf.keras.Model, version_dir: str) -> None:
    with open(os.path.join(version_dir, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)["weightsManifest"]
    data = b"".join(open(os.path.join(version_dir, p), "rb").read() for g in manifest for p in g["paths"])
    arrays, offset = [], 0
    for spec in (w for g in manifest for w in g["weights"]):
        if spec["dtype"] != "float32":
            raise ValueError(f"weight {spec['name']} is {spec['dtype']}, expected float32")
        n = int(np.prod(spec["shape"]))
        arrays.append(np.frombuffer(data, dtype="<f4", count=n, offset=offset).reshape(spec["shape"]))
        offset += 4 * n
    if offset != len(data):
        raise ValueError(f"weights.bin has {len(data)} bytes, the manifest names {offset}")
    # tfjs lists weights in the model's own order, with Keras' layouts (HWIO kernels, [in, out] dense).
    model.set_weights(arrays)


class MnistCnn(Model):
    def __init__(self, name: str, version_dir: str):
        super().__init__(name)
        self.version_dir = version_dir
        self.version = os.path.basename(os.path.normpath(version_dir))
        self.model = None
        self.load()

    def load(self) -> bool:
        self.model = build_cnn()
        load_tfjs_weights(self.model, self.version_dir)
        self.model(np.zeros((1, 28, 28, 1), np.float32))  # warm-up, as ours does
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        inp = payload.inputs[0]
        x = inp.as_numpy()
        if inp.datatype == "UINT8":
            x = x.astype(np.float32) / 255.0
        x = x.astype(np.float32).reshape(-1, 28, 28, 1)
        probs = self.model(x, training=False).numpy()
        digits = probs.argmax(axis=1).astype(np.int64)
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),
            model_name=self.name,
            model_version=self.version,
            infer_outputs=[
                InferOutput("probabilities", list(probs.shape), "FP32", probs),
                InferOutput("digit", list(digits.shape), "INT64", digits),
            ],
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--version_dir", required=True)
    parser.add_argument("--http_port", type=int, required=True)
    args = parser.parse_args()
    ModelServer(http_port=args.http_port, enable_grpc=False, workers=1, enable_latency_logging=False).start(
        [MnistCnn("mnist-cnn", args.version_dir)]
    )
