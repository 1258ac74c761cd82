"""Calls our inference server with the official tritonclient[http], unchanged: liveness, readiness,
model metadata, and inference with the binary tensor extension (the client's default) and with JSON.
Prints one JSON line with what it got. Usage: python tritonclient_check.py HOST:PORT PIXELS_FILE COUNT"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient

url, pixels_file, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
images = np.fromfile(pixels_file, dtype=np.uint8).reshape(count, 28, 28)

client = httpclient.InferenceServerClient(url=url)
out = {
    "live": client.is_server_live(),
    "ready": client.is_server_ready(),
    "modelReady": client.is_model_ready("mnist-cnn"),
    "metadata": client.get_model_metadata("mnist-cnn"),
}

# Binary tensor data both ways (tritonclient's default for inputs and outputs), UINT8 pixels.
inp = httpclient.InferInput("image", list(images.shape), "UINT8")
inp.set_data_from_numpy(images)
res = client.infer("mnist-cnn", [inp], request_id="tc-binary")
out["binary"] = {
    "version": res.get_response()["model_version"],
    "id": res.get_response().get("id"),
    "digits": res.as_numpy("digit").tolist(),
    "probabilitiesShape": list(res.as_numpy("probabilities").shape),
}

# JSON both ways, FP32 pixels in 0..1 of shape [N, 784], asking for the digit only.
inp = httpclient.InferInput("image", [count, 784], "FP32")
inp.set_data_from_numpy((images.reshape(count, 784) / 255.0).astype(np.float32), binary_data=False)
res = client.infer(
    "mnist-cnn", [inp], outputs=[httpclient.InferRequestedOutput("digit", binary_data=False)]
)
out["json"] = {
    "version": res.get_response()["model_version"],
    "outputs": [o["name"] for o in res.get_response()["outputs"]],
    "digits": res.as_numpy("digit").tolist(),
}

# A protocol error surfaces as the client's exception with the server's message.
try:
    client.infer("no-such-model", [inp])
    out["error"] = None
except Exception as err:  # tritonclient raises InferenceServerException
    out["error"] = str(err)
print(json.dumps(out))
