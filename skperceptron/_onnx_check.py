"""The sample a graph is built from, and the onnxruntime check of a converted model.

Kept apart from the converters: this module needs only numpy, scikit-learn's public
API, onnxruntime and the package's host copies of device arrays (``_validation``), and
knows nothing of skl2onnx.
"""

import numpy as np
import onnxruntime
from scipy import sparse
from sklearn.base import is_classifier

from ._validation import convert_arrays, holds_device_arrays, to_host

# Default tolerances of check_onnx, by the graph's float type. A float32 graph's sums
# run in another order than numpy's BLAS; their round-off grows with the inputs' scale
# (standardized data: <= 5.2e-6 measured; unscaled breast cancer: 1.75e-5), while a
# wrong graph is off by far more than 1e-4.
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-4}


class OnnxMismatchError(RuntimeError):
    """The ONNX graph, run in onnxruntime, disagrees with the Python model."""


def final_estimator(model):
    """The last step of a Pipeline (recursively), or the model itself."""
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def host_model(model):
    """``model``, or its numpy copy when it was fitted on device arrays: a graph's
    weights are host constants. The fitted model itself stays on its device."""
    device = holds_device_arrays(final_estimator(model))
    return convert_arrays(model, to_host) if device else model


def _frame_array(frame):
    kinds = {getattr(t, "kind", "O") for t in frame.dtypes}
    if not kinds <= set("biuf"):
        raise TypeError(
            "to_onnx builds one numeric input tensor; the DataFrame has non-numeric "
            f"columns (dtypes {sorted({str(t) for t in frame.dtypes})}). For pipelines "
            "that encode such columns, call skl2onnx.to_onnx with initial_types."
        )
    # pandas' nullable dtypes (Float32, Int64, boolean) name their numpy dtype.
    all_float32 = all(getattr(t, "numpy_dtype", t) == np.float32 for t in frame.dtypes)
    return frame.to_numpy(dtype=np.float32 if all_float32 else np.float64, na_value=np.nan)


def sample_array(X):
    """The sample as a dense 2-D float32 or float64 array (the graph's input type).

    float32 samples give float32 graphs; float64, integer and boolean samples give
    float64 graphs, as ``validate_data`` turns integers into float64.
    """
    X = to_host(X)  # a device array's rows, as the graph's weights are host constants
    if sparse.issparse(X):
        raise TypeError(
            "ONNX export takes dense input: the graph's input is a dense tensor and "
            "onnxruntime has no sparse input for these operators. Pass a dense sample "
            "(X.toarray()) and feed dense arrays to the converted model."
        )
    if hasattr(X, "dtypes") and hasattr(X, "columns"):
        X = _frame_array(X)
    X = np.asarray(X)
    if X.dtype.kind in "biu":
        X = X.astype(np.float64)
    if X.dtype not in RTOL:
        raise TypeError(f"The sample must be numeric; got dtype {X.dtype}.")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"The sample must be a non-empty 2-D array; got shape {X.shape}.")
    return X


def tolerance(rtol, dtype):
    """The check's tolerance: ``rtol``, or the default for graphs of ``dtype``."""
    if rtol is None:
        return RTOL[np.dtype(dtype)]
    if isinstance(rtol, bool) or not isinstance(rtol, int | float | np.integer | np.floating):
        raise TypeError(f"rtol must be a number or None; got {type(rtol).__name__}.")
    if not rtol >= 0:  # NaN too
        raise ValueError(f"rtol must be a non-negative number; got {rtol!r}.")
    return float(rtol)


def run_onnx(onnx_model, X):
    """Run a graph in onnxruntime (CPU provider) and return its outputs by name.

    Parameters
    ----------
    onnx_model : onnx.ModelProto or bytes
        The graph, e.g. from :func:`to_onnx`.
    X : ndarray of shape (n_samples, n_features)
        Input of the graph's dtype (float32 or float64).

    Returns
    -------
    outputs : dict
        ``{"label": ..., "probabilities": ...}`` for classifiers, ``{"variable":
        ...}`` for regressors (skl2onnx's output names).

    Examples
    --------
    >>> import numpy as np
    >>> from skperceptron import MLPRegressor
    >>> from skperceptron.onnx import run_onnx, to_onnx
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs").fit(X, X.sum(1))
    >>> run_onnx(to_onnx(reg, X), X)["variable"].shape
    (50, 1)
    """
    payload = onnx_model if isinstance(onnx_model, bytes) else onnx_model.SerializeToString()
    session = onnxruntime.InferenceSession(payload, providers=["CPUExecutionProvider"])
    graph_input = session.get_inputs()[0]
    _check_graph_input(graph_input, X)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {graph_input.name: X}), strict=True))


_ONNX_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def _check_graph_input(graph_input, X):
    """A ValueError naming the mismatch, where onnxruntime would raise its own
    InvalidArgument: the wrong width or dtype for the graph's input."""
    X = np.asarray(X)
    width = graph_input.shape[-1] if graph_input.shape else None
    if X.ndim != 2 or (isinstance(width, int) and X.shape[1] != width):
        raise ValueError(f"X has shape {X.shape}, but the ONNX graph expects "
                         f"(n_samples, {width}).")
    dtype = _ONNX_TYPES.get(graph_input.type)
    if dtype is not None and X.dtype != dtype:
        raise ValueError(f"X has dtype {X.dtype}, but the ONNX graph expects "
                         f"{np.dtype(dtype).name}; convert X or export the model "
                         f"from a {np.dtype(dtype).name} sample.")


def expected_outputs(model, X, raw_scores=False):
    """What the graph must reproduce, from the Python model, by output name."""
    if not is_classifier(model):
        return {"variable": np.asarray(model.predict(X)).reshape(len(X), -1)}
    scores = model.decision_function(X) if raw_scores else model.predict_proba(X)
    if scores.ndim == 1:  # binary decision_function: the graph gives [-s, s]
        scores = np.column_stack([-scores, scores])
    labels = model.predict(X)  # CSR after a sparse multilabel fit; the graph's are dense
    labels = labels.toarray() if sparse.issparse(labels) else np.asarray(labels)
    return {"label": labels, "probabilities": scores}


def relative_error(actual, expected):
    """max |actual - expected| / max(|expected|, 1): relative for values of magnitude
    above 1, absolute below (probabilities, outputs near zero)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64).reshape(expected.shape)
    if expected.size == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1.0)))


def check_onnx(onnx_model, model, X, *, raw_scores=False, rtol=None):
    """Run the graph in onnxruntime on ``X`` and compare it with the Python model.

    Parameters
    ----------
    onnx_model : onnx.ModelProto or bytes
        A graph with tensor outputs (``zipmap=False``), as :func:`to_onnx` makes.
    model : estimator or Pipeline
        The fitted model the graph was converted from.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data to compare on; the Python model gets it as given, the graph as the
        dense float array of :func:`to_onnx`'s sample.
    raw_scores : bool, default=False
        Whether the graph's second output holds decision scores, not probabilities.
    rtol : float, default=None
        Largest allowed ``max |onnx - python| / max(|python|, 1)``; None uses 1e-12
        for float64 graphs and 1e-4 for float32 graphs.

    Returns
    -------
    errors : dict
        The largest relative error of each floating output, by output name.

    Raises
    ------
    OnnxMismatchError
        If a label differs, or a floating output is further than ``rtol`` away.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skperceptron import PerceptronClassifier
    >>> from skperceptron.onnx import check_onnx, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = PerceptronClassifier(random_state=0).fit(X, y)
    >>> onx = to_onnx(clf, X, options={"raw_scores": True})
    >>> errors = check_onnx(onx, clf, X[::2], raw_scores=True)
    >>> bool(errors["probabilities"] < 1e-12)
    True
    """
    model, X = host_model(model), to_host(X)
    X_graph = sample_array(X)
    rtol = tolerance(rtol, X_graph.dtype)
    actual = run_onnx(onnx_model, X_graph)
    return _compare(actual, expected_outputs(model, X, raw_scores), rtol)


def _compare(actual, expected, rtol):
    """The relative error of each floating output; OnnxMismatchError past ``rtol``."""
    errors = {}
    for name, wanted in expected.items():
        if name not in actual:
            raise OnnxMismatchError(f"The graph has no output {name!r}: {sorted(actual)}.")
        if name == "label":
            got = np.asarray(actual[name]).reshape(np.shape(wanted))
            wrong = int(np.sum(got != wanted))
            if wrong:
                raise OnnxMismatchError(f"{wrong} of {len(got)} labels differ.")
            continue
        errors[name] = relative_error(actual[name], wanted)
        if not errors[name] <= rtol:
            raise OnnxMismatchError(
                f"Output {name!r} differs from the Python model by {errors[name]:.3g} "
                f"(relative), more than rtol={rtol:g}."
            )
    return errors
