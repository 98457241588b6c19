"""What the ONNX converters read from a fitted estimator: one reader per estimator,
returning a small record of plain arrays (:class:`Network`, :class:`Linear`), and the
list of the attributes they read, which the tests enforce. Needs neither skl2onnx nor
onnx."""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._mlp import MLPClassifier
from ._onnx_graph import OUTPUT_LINKS, hidden_activations
from ._perceptron import PerceptronClassifier

FITTED_ATTRIBUTES = {
    "MLPClassifier": (
        "activation", "classes_", "coefs_", "intercepts_", "n_outputs_", "out_activation_",
    ),
    "MLPRegressor": ("activation", "coefs_", "intercepts_", "n_outputs_", "out_activation_"),
    "PerceptronClassifier": ("classes_", "coef_", "intercept_", "temperature_"),
}
"""The attributes (and the ``activation`` parameter) each converter reads."""

TRAINING_ONLY_ATTRIBUTES = frozenset({
    "best_loss_", "best_validation_score_", "feature_names_in_", "loss_", "loss_curve_",
    "n_features_in_", "n_iter_", "n_layers_", "t_", "validation_loss_curve_",
    "validation_scores_",
})
"""Fitted attributes that do not change predictions (diagnostics, input checks)."""


@dataclass(frozen=True)
class Labels:
    kind: str  # "binary", "multiclass" or "multilabel"
    classes: np.ndarray  # int64 or str, as the graph emits them


@dataclass(frozen=True)
class Network:
    coefs: tuple
    intercepts: tuple
    hidden: tuple
    out_activation: str
    labels: Labels = None  # classifiers only


@dataclass(frozen=True)
class Linear:
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    labels: Labels


def _label_values(classes):
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        if classes.dtype.kind == "f" and not np.array_equal(classes, np.round(classes)):
            raise ValueError(
                f"ONNX labels are int64 or strings; classes_ {classes} are floats that "
                "are not integers. Fit with integer or string labels."
            )
        int64 = np.iinfo(np.int64)
        if classes.size and not (int64.min <= classes.min() and classes.max() <= int64.max):
            raise ValueError(
                f"ONNX labels are int64 or strings; classes_ {classes} lie outside "
                "int64's range (they would wrap around). Fit with smaller integer or "
                "string labels."
            )
        return classes.astype(np.int64)
    if classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes):
        return classes.astype(str)
    raise TypeError(f"Cannot convert class labels of dtype {classes.dtype} to ONNX.")


def read_network(model):
    """The fitted network of an MLP, from the attributes in FITTED_ATTRIBUTES."""
    check_is_fitted(model)
    coefs, intercepts = list(model.coefs_), list(model.intercepts_)
    out_activation, n_outputs = model.out_activation_, int(model.n_outputs_)
    if out_activation not in OUTPUT_LINKS:
        raise ValueError(f"Cannot convert out_activation_={out_activation!r}.")
    if coefs[-1].shape[1] != n_outputs:
        raise ValueError("coefs_ and n_outputs_ disagree; is the model fitted?")
    hidden = hidden_activations(model.activation, len(coefs) - 1)
    labels = None
    if isinstance(model, MLPClassifier):
        kind = {"softmax": "multiclass", "logistic": "binary"}.get(out_activation)
        if kind is None:
            raise ValueError(f"A classifier with out_activation_={out_activation!r}.")
        if kind == "binary" and n_outputs > 1:
            kind = "multilabel"
        labels = Labels(kind, _label_values(model.classes_))
    return Network(tuple(coefs), tuple(intercepts), hidden, out_activation, labels)


def read_linear(model):
    """The fitted perceptron, from the attributes in FITTED_ATTRIBUTES."""
    check_is_fitted(model)
    coef = model.coef_.toarray() if sp.issparse(model.coef_) else model.coef_  # sparsify()
    coef, intercept = np.asarray(coef), np.asarray(model.intercept_)
    temperature, classes = float(model.temperature_), model.classes_
    if not temperature > 0:
        raise ValueError(f"temperature_ must be positive, got {temperature}.")
    kind = "binary" if coef.shape[0] == 1 else "multiclass"
    return Linear(coef, intercept, temperature, Labels(kind, _label_values(classes)))


def read(model):
    """The spec of any of the three estimators."""
    return read_linear(model) if isinstance(model, PerceptronClassifier) else read_network(model)
