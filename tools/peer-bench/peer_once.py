"""One cold inference in a fresh process: load the model, read the input, run once, print.

`peers.py` spawns this to time process start to first result and read peak RSS, the way a
user's Python service would start. Usage: peer_once.py litert|onnxruntime MODEL INPUT.npy
"""

import sys

import numpy as np


def main() -> None:
    runtime, model, input_path = sys.argv[1:4]
    x = np.load(input_path)
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter
        interpreter = Interpreter(model_path=model, num_threads=1)
        interpreter.allocate_tensors()
        detail = interpreter.get_input_details()[0]
        interpreter.set_tensor(detail["index"], x.reshape(detail["shape"]).astype(detail["dtype"]))
        interpreter.invoke()
        y = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    else:
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0]
        y = session.run(None, {feed.name: x.reshape([d if isinstance(d, int) else 1 for d in feed.shape])})[0]
    print(int(np.argmax(y)))


if __name__ == "__main__":
    main()
