"""Collection rules for the whole test run (pytest also collects the package's doctests)."""

import importlib.util

# The optional ONNX modules import skl2onnx, onnx and onnxruntime (the [onnx] extra);
# without them their doctests cannot be collected. tests/test_onnx.py skips itself.
collect_ignore_glob = []
if not all(importlib.util.find_spec(m) for m in ("skl2onnx", "onnx", "onnxruntime")):
    collect_ignore_glob += ["skperceptron/onnx.py", "skperceptron/_onnx_*.py"]

# skperceptron.callbacks imports mlflow only inside MLflowLogger (the [tracking] extra),
# but its docstring example runs one; tests/test_tracking.py skips itself.
if importlib.util.find_spec("mlflow") is None:
    collect_ignore_glob += ["skperceptron/callbacks.py"]
