"""Keras side of `npm run bench:train`: trains the project's MNIST CNN on the exact samples the Node side
wrote, and prints one JSON object as its last stdout line. Run by bench/train/main.ts inside the venv that
bench/train/keras-venv.sh makes; not meant to be run by hand, though it can be (see --help).

Input files in --data-dir (raw bytes, written by bench/train/main.ts from our data layer's splits):
  train-images.u8 (N x 784 pixels), train-labels.u8 (N), and the same for validation and test.
The result has the fields of bench/train/result.ts (runResultSchema); throughput and CPU time cover the same
window as on the tfjs side (bench/train/tfjs-train.ts): end of the first batch to end of the last.
"""

import argparse
import json
import os
import resource
import sys
import time

IMAGE_BYTES = 28 * 28


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--learning-rate", type=float, default=0.001)
    p.add_argument("--learning-rate-decay", type=float, default=1.0, help="per-epoch factor, as for tfjs")
    p.add_argument("--threads", type=int, required=True, help="intra- and inter-op threads, as for tfjs")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument("--evaluate", action="store_true", help="evaluate on the validation and test sets")
    return p.parse_args()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_set(np, data_dir, name):
    images = np.fromfile(os.path.join(data_dir, f"{name}-images.u8"), dtype=np.uint8)
    labels = np.fromfile(os.path.join(data_dir, f"{name}-labels.u8"), dtype=np.uint8)
    if images.size != labels.size * IMAGE_BYTES or labels.size == 0:
        sys.exit(
            f"keras_train: {name} set in {data_dir} holds {images.size} pixel bytes for {labels.size} labels; "
            f"expected {IMAGE_BYTES} bytes per label. Rerun `npm run bench:train` to rewrite it."
        )
    x = (images.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    return x, labels.astype(np.int64)


def main():
    args = parse_args()
    # Before TensorFlow starts its thread pools.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    gpus = tf.config.list_physical_devices("GPU")
    if args.device == "gpu" and not gpus:
        sys.exit(
            f"keras_train: --device gpu, but TensorFlow {tf.__version__} sees no GPU (built with CUDA: "
            f"{tf.test.is_built_with_cuda()}). Run it through npm run check:gpu, which installs the GPU build "
            "and its CUDA wheels; TF_CPP_MIN_LOG_LEVEL=0 shows which CUDA library failed to load."
        )

    x_train, y_train = read_set(np, args.data_dir, "train")
    y_train = keras.utils.to_categorical(y_train, 10)

    # The Keras mnist_cnn example, layer for layer as src/domain/model/architecture.ts builds it.
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Dropout(0.25),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )

    class Clock(keras.callbacks.Callback):
        """Times training from the end of the first batch (graph tracing, warm-up) to the last batch."""

        def __init__(self):
            super().__init__()
            self.first = None
            self.last = None

        def on_train_batch_end(self, batch, logs=None):
            self.last = (time.perf_counter(), cpu_seconds())
            if self.first is None:
                self.first = self.last

        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("loss", float("nan"))
            print(f"keras epoch {epoch + 1}/{args.epochs}: loss {loss:.4f}", file=sys.stderr, flush=True)

    clock = Clock()
    t0 = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[
            clock,
            keras.callbacks.LearningRateScheduler(
                lambda epoch: args.learning_rate * args.learning_rate_decay**epoch
            ),
        ],
    )
    train_seconds = time.perf_counter() - t0
    trained = len(x_train) * args.epochs
    timed_images = trained - min(args.batch_size, len(x_train))
    timed_seconds = clock.last[0] - clock.first[0]
    if timed_seconds <= 0 or timed_images <= 0:
        sys.exit(
            f"keras_train: {trained} images in {args.epochs} epoch(s) is a single batch: nothing is left to "
            "time after the warm-up batch. Train on more images or more epochs."
        )

    result = {
        "framework": "keras",
        "runtime": tf.__version__,
        "imagesPerSec": timed_images / timed_seconds,
        "cpuMsPerImage": (clock.last[1] - clock.first[1]) * 1000 / timed_images,
        # ru_maxrss is in KiB on Linux.
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "trainSeconds": train_seconds,
        "firstBatchSeconds": clock.first[0] - t0,
        "finalLoss": float(history.history["loss"][-1]),
        "trainedImages": trained,
        "devices": [d.name for d in tf.config.list_logical_devices()],
    }
    if args.evaluate:
        for name in ("validation", "test"):
            x, y = read_set(np, args.data_dir, name)
            _, accuracy = model.evaluate(x, keras.utils.to_categorical(y, 10), batch_size=1024, verbose=0)
            result[f"{name}Accuracy"] = float(accuracy)
    if args.device == "gpu":
        # Where the weights live is where the optimizer's kernels run.
        result["variableDevices"] = sorted({v.device for v in model.trainable_variables})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
