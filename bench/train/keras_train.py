"""Keras side of `npm run bench:train`: trains the project's MNIST CNN on the exact samples the Node side
wrote, and prints one JSON object as its last stdout line. Run by bench/train/main.ts inside the venv that
bench/train/keras-venv.sh makes; not meant to be run by hand, though it can be (see --help).

Input files in --data-dir (raw bytes, written by bench/train/main.ts from our data layer's splits):
  train-images.u8 (N x 784 pixels), train-labels.u8 (N), test-images.u8, test-labels.u8.
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
    return p.parse_args()


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

    x_train, y_train = read_set(np, args.data_dir, "train")
    x_test, y_test = read_set(np, args.data_dir, "test")
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

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
            self.first_batch_end = None
            self.last_batch_end = None

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            if self.first_batch_end is None:
                self.first_batch_end = now
            self.last_batch_end = now

        def on_epoch_end(self, epoch, logs=None):
            loss = (logs or {}).get("loss", float("nan"))
            print(f"keras epoch {epoch + 1}/{args.epochs}: loss {loss:.4f}", file=sys.stderr, flush=True)

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    clock = Clock()
    cpu0 = cpu_seconds()
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
    cpu = cpu_seconds() - cpu0
    first_batch = min(args.batch_size, len(x_train))
    timed_images = len(x_train) * args.epochs - first_batch
    timed_seconds = clock.last_batch_end - clock.first_batch_end
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)

    result = {
        "framework": "keras",
        "tensorflow": tf.__version__,
        "imagesPerSec": timed_images / timed_seconds if timed_seconds > 0 else None,
        "testAccuracy": float(test_accuracy),
        # ru_maxrss is in KiB on Linux.
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpuMsPerImage": cpu * 1000 / (len(x_train) * args.epochs),
        "trainSeconds": train_seconds,
        "firstBatchSeconds": clock.first_batch_end - t0,
        "finalLoss": float(history.history["loss"][-1]),
        "threads": args.threads,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
