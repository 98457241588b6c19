"""
==========================================
Training on a GPU with PyTorch tensors
==========================================

With scikit-learn's Array API dispatch switched on, a pipeline of
:class:`~sklearn.preprocessing.StandardScaler` and :class:`~skperceptron.MLPClassifier`
fitted on PyTorch tensors runs where the tensors are: on the GPU when there is one
(here ``"cuda"`` when :func:`torch.cuda.is_available`), otherwise on the CPU, which is
slower than numpy for data this small but runs the same code. Its fitted weights are
tensors on that device. Because the initial weights and the shuffles are drawn on the
host with numpy, the tensor fit starts exactly where the numpy fit starts and differs
from it only by round-off. Finally the model is moved to numpy, as one would before
saving it for a machine without a GPU.

Requires scikit-learn >= 1.9, SciPy >= 1.14 and PyTorch; see the GPU page of the
documentation.
"""

import os

# SciPy reads SCIPY_ARRAY_API once, when it is first imported, and scikit-learn's Array
# API dispatch needs it: the variable must be set before anything imports SciPy. This line
# does it when the script runs on its own; the documentation build, which has imported
# SciPy before it runs the examples, sets it in its environment instead.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import matplotlib.pyplot as plt
import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._array_api import move_estimator_to

from skperceptron import MLPClassifier

device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"device: {device}")

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X.astype(np.float32), y, random_state=0
)


def make_model():
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=0),
    )


# %%
# Fit on tensors
# --------------
# The data goes to the device once; ``fit`` and ``predict`` run there under
# ``array_api_dispatch=True``. The labels are numeric, so they go to the device too,
# and ``predict`` returns a tensor on it; ``classes_`` stays a numpy array.
X_train_t = torch.asarray(X_train, device=device)
y_train_t = torch.asarray(y_train, device=device)
X_test_t = torch.asarray(X_test, device=device)

with sklearn.config_context(array_api_dispatch=True):
    tensor_model = make_model().fit(X_train_t, y_train_t)
    tensor_labels = tensor_model.predict(X_test_t)
    tensor_proba = tensor_model.predict_proba(X_test_t)

mlp = tensor_model[-1]
print(f"coefs_[0]: {type(mlp.coefs_[0]).__name__} on {mlp.coefs_[0].device}, "
      f"{mlp.coefs_[0].dtype}; classes_: {type(mlp.classes_).__name__}")
print(f"predict: {type(tensor_labels).__name__} on {tensor_labels.device}")
tensor_labels = tensor_labels.cpu().numpy()
tensor_proba = tensor_proba.cpu().numpy()
print(f"test accuracy (tensors): {np.mean(tensor_labels == y_test):.3f}")

# %%
# The same pipeline on numpy
# --------------------------
# Same data (float32), same ``random_state``: the same initial weights and minibatches.
numpy_model = make_model().fit(X_train, y_train)
numpy_labels = numpy_model.predict(X_test)
gap = np.abs(tensor_proba - numpy_model.predict_proba(X_test)).max(axis=1)
print(f"test accuracy (numpy): {np.mean(numpy_labels == y_test):.3f}; "
      f"{np.mean(tensor_labels == numpy_labels):.1%} of the labels equal, largest "
      f"probability gap {gap.max():.2g}; {numpy_model[-1].n_iter_} and {mlp.n_iter_} "
      "epochs to converge")

# %%
# Back to numpy
# -------------
# :func:`sklearn.utils._array_api.move_estimator_to` returns a copy of the pipeline with
# every fitted array moved, here to numpy on the CPU. That copy predicts on numpy arrays
# without dispatch, and is the one to save with joblib for a machine without a GPU.
cpu_model = move_estimator_to(tensor_model, np, "cpu")
print(f"moved: coefs_[0] is a {type(cpu_model[-1].coefs_[0]).__name__}; "
      f"{np.mean(cpu_model.predict(X_test) == tensor_labels):.1%} of its labels equal "
      "the tensor model's")

# %%
# The two training curves lie on top of each other. The right panel shows how far apart
# the predicted probabilities of the two fits are, per test sample: the fits start equal
# and drift apart by round-off, which grows slowly over the epochs (float32 here).
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(numpy_model[-1].loss_curve_, label="numpy", linewidth=3, alpha=0.5)
left.plot(mlp.loss_curve_, label=f"torch ({device})", linestyle="--")
left.set_xlabel("epoch")
left.set_ylabel("training loss")
left.set_yscale("log")
left.legend()
right.hist(np.log10(np.maximum(gap, 1e-12)), bins=30)
right.set_xlabel("log10 of the largest |torch - numpy| probability of a sample")
right.set_ylabel("test samples")
fig.suptitle("MLPClassifier on the digits: PyTorch tensors against numpy")
fig.tight_layout()
plt.show()
