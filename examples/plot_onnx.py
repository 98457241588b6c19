"""
===========================================
Deploying a pipeline with ONNX
===========================================

A fitted pipeline is converted to an ONNX graph and run in onnxruntime, which needs
neither scikit-learn nor skperceptron (nor scipy) at prediction time. Importing
:mod:`skperceptron.onnx` registers the converters with skl2onnx; its
:func:`~skperceptron.onnx.to_onnx` turns off skl2onnx's ``zipmap`` (plain tensor
outputs), builds a float32 or float64 graph following the sample's dtype, and checks
the graph against the Python model in onnxruntime before returning it.

The figure shows how far the graph's probabilities are from ``predict_proba``: a few
units in the last place for the float64 graph, about float32's precision for the
float32 graph. Requires the ``[onnx]`` extra (skl2onnx, onnx, onnxruntime).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier
from skperceptron.onnx import run_onnx, to_onnx

# %%
# A pipeline of a scaler and a network with GELU and SiLU hidden layers.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipe = make_pipeline(
    StandardScaler(),
    MLPClassifier((64, 32), activation=["gelu", "silu"], solver="lbfgs", max_iter=200,
                  random_state=0),
).fit(X_train, y_train)

# %%
# Convert it twice: from a float64 sample and from a float32 sample. ``check=True`` (the
# default) has already compared labels and probabilities on the sample.
graphs = {
    "float64": to_onnx(pipe, X_test),
    "float32": to_onnx(pipe, X_test.astype(np.float32)),
}
for name, graph in graphs.items():
    print(f"{name}: {len(graph.SerializeToString()) / 1024:.0f} KiB, "
          f"inputs {[i.name for i in graph.graph.input]}, "
          f"outputs {[o.name for o in graph.graph.output]}")

# %%
# Run each graph as a deployment would. With onnxruntime alone (and numpy) this is::
#
#     import onnxruntime as ort
#     session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
#     label, proba = session.run(None, {"X": X})
expected_labels, expected_proba = pipe.predict(X_test), pipe.predict_proba(X_test)
fig, ax = plt.subplots(figsize=(7, 4))
for name, graph in graphs.items():
    out = run_onnx(graph, X_test.astype(name))
    assert (out["label"] == expected_labels).all()
    gap = np.abs(out["probabilities"] - expected_proba).max(axis=1)
    print(f"{name}: labels identical, largest probability gap {gap.max():.2g}")
    ax.hist(np.log10(np.maximum(gap, 1e-20)), bins=30, alpha=0.6, label=f"{name} graph")
ax.set_xlabel("log10 of the largest |ONNX - predict_proba| of a sample (1e-20: equal)")
ax.set_ylabel("test samples")
ax.set_title("onnxruntime against the Python pipeline on the digits test set")
ax.legend()
fig.tight_layout()
plt.show()
