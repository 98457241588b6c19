"""ONNX export (skperceptron.onnx): every estimator, target type, activation, output
link and float type, run in onnxruntime and compared with the Python model.

The oracle is the fitted Python model itself (``predict``, ``predict_proba``,
``decision_function``), and for the perceptron's probabilities also the documented
formula computed here in numpy from the fitted attributes.
"""

import ast
import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

import skl2onnx
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skperceptron
import skperceptron.onnx as sko
from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier
from skperceptron._activations import ACTIVATIONS
from skperceptron._losses import INVERSE_LINKS
from skperceptron._options import REGRESSION_LOSSES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}
ALL_ACTIVATIONS = sorted(ACTIVATIONS)
PACKAGE = Path(skperceptron.__file__).parent


# ------------------------------------------------------------------ helpers
MEASURED = {"float32": [0.0], "float64": [0.0]}


@pytest.fixture(scope="module", autouse=True)
def _print_largest_errors():
    # ``pytest tests/test_onnx.py -s`` prints the figures quoted in docs/onnx.rst.
    yield
    print("\nlargest ONNX vs Python error:",
          {k: f"{max(v):.3g}" for k, v in MEASURED.items()})


def _error(actual, expected):
    """max |a - e| / max(|e|, 1), the documented measure."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual)
    dtype = "float32" if actual.dtype == np.float32 else "float64"
    actual = actual.astype(np.float64).reshape(expected.shape)
    error = float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1.0)))
    MEASURED[dtype].append(error)
    return error


def _run(onx, X):
    return sko.run_onnx(onx, np.ascontiguousarray(X))


def _assert_classifier(model, X, dtype):
    onx = sko.to_onnx(model, X, check=False)
    out = _run(onx, X)
    assert out["probabilities"].dtype == dtype
    np.testing.assert_array_equal(out["label"], model.predict(X))
    error = _error(out["probabilities"], model.predict_proba(X))
    assert error <= RTOL[dtype], error
    return error


def _assert_regressor(model, X, dtype):
    out = _run(sko.to_onnx(model, X, check=False), X)["variable"]
    expected = model.predict(X).reshape(len(X), -1)
    assert out.dtype == dtype and out.shape == expected.shape
    error = _error(out, expected)
    assert error <= RTOL[dtype], error
    return error


def _data(loader, dtype):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(dtype), y


def _random_classification(dtype, n_classes=3, n=300, seed=0):
    X, y = make_classification(n, 12, n_informative=6, n_classes=n_classes, random_state=seed)
    return X.astype(dtype), y


# ----------------------------------------------------- activations and links
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
def test_every_activation_on_breast_cancer(activation, dtype):
    X, y = _data(load_breast_cancer, dtype)
    model = MLPClassifier((12, 6), activation=activation, solver="lbfgs", max_iter=60,
                          random_state=0).fit(X, y)
    _assert_classifier(model, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_activation_per_layer_on_digits(dtype):
    X, y = _data(load_digits, dtype)
    model = MLPClassifier([8] * len(ALL_ACTIVATIONS), activation=ALL_ACTIVATIONS,
                          solver="adam", max_iter=15, random_state=0).fit(X, y)
    _assert_classifier(model, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
def test_saturated_pre_activations(activation, dtype):
    # First-layer weights times 40: pre-activations of several hundred, both signs,
    # where exp overflows, erf is +-1 and softplus/elu take their asymptotes.
    X, y = _random_classification(dtype, n_classes=2)
    model = MLPRegressor(hidden_layer_sizes=(10,), activation=activation,
                         solver="lbfgs", max_iter=30, random_state=0).fit(X, y)
    model = copy.deepcopy(model)
    model.coefs_[0] = model.coefs_[0] * 40
    z = X @ model.coefs_[0]
    assert z.min() < -200 and z.max() > 200
    _assert_regressor(model, X, dtype)


@pytest.mark.parametrize("target_opset", [11, 15])
def test_older_opsets(target_opset):
    X, y = _data(load_breast_cancer, np.float64)
    model = MLPClassifier([6] * len(ALL_ACTIVATIONS), activation=ALL_ACTIVATIONS,
                          max_iter=20, random_state=0).fit(X, y)
    onx = sko.to_onnx(model, X, target_opset=target_opset)  # checked at 1e-12
    assert max(o.version for o in onx.opset_import if o.domain == "") <= target_opset


@pytest.mark.parametrize("dtype", DTYPES)
def test_opsets_before_11_are_refused_by_name(dtype):
    # ONNX's Equal takes floats from opset 11 on; softplus and elu compare floats.
    X, y = _data(load_breast_cancer, dtype)
    model = MLPClassifier((4,), activation="softplus", max_iter=5, random_state=0).fit(X, y)
    for target_opset in (9, 10):
        with pytest.raises(ValueError, match="needs opset 11 or later"):
            sko.to_onnx(model, X, target_opset=target_opset)


def test_the_converter_knows_every_activation_and_link():
    # A new activation or loss link fails here until the converter knows it.
    from skperceptron._onnx_graph import ACTIVATIONS as GRAPH_ACTIVATIONS
    from skperceptron._onnx_graph import OUTPUT_LINKS

    assert set(GRAPH_ACTIVATIONS) == set(ACTIVATIONS)
    assert set(OUTPUT_LINKS) == set(INVERSE_LINKS)


# ------------------------------------------------------------- classifiers
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 10])
def test_binary_and_multiclass_labels_and_probabilities(n_classes, labels, dtype):
    if n_classes == 2:
        X, y = _data(load_breast_cancer, dtype)
    else:
        X, y = _data(load_digits, dtype)
    if labels == "str":
        y = np.array([f"class_{v}" for v in y])
    else:
        y = y * 3 - 5  # integers that are not 0..n-1
    model = MLPClassifier((20,), solver="lbfgs", max_iter=80, random_state=0).fit(X, y)
    assert len(model.classes_) == n_classes
    _assert_classifier(model, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_labels_and_probabilities(dtype):
    X, Y = make_multilabel_classification(300, 15, n_classes=4, random_state=0)
    X = X.astype(dtype)
    model = MLPClassifier((16,), solver="lbfgs", max_iter=80, random_state=0).fit(X, Y)
    out = _run(sko.to_onnx(model, X), X)
    assert out["label"].shape == (300, 4) and out["label"].dtype == np.int64
    np.testing.assert_array_equal(out["label"], model.predict(X))
    assert _error(out["probabilities"], model.predict_proba(X)) <= RTOL[dtype]
    plain = sko.run_onnx(skl2onnx.to_onnx(model, X[:1]), X)  # skl2onnx's defaults
    np.testing.assert_array_equal(plain["label"], model.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_in_a_pipeline_converts_with_skl2onnx_defaults(dtype):
    # skl2onnx's Pipeline parser hands its default zipmap=True to the last classifier;
    # for a multilabel model it is ignored with a warning (as skl2onnx does for
    # MultiOutputClassifier) and the graph is the one of zipmap=False.
    X, Y = make_multilabel_classification(120, 6, n_classes=3, random_state=2)
    X = X.astype(dtype)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), solver="lbfgs", max_iter=60,
                                                         random_state=0)).fit(X, Y)
    with pytest.warns(UserWarning, match="zipmap is ignored for the multilabel"):
        out = sko.run_onnx(skl2onnx.to_onnx(pipe, X[:1]), X)
    np.testing.assert_array_equal(out["label"], pipe.predict(X))
    assert _error(out["probabilities"], pipe.predict_proba(X)) <= RTOL[dtype]
    off = skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}})
    np.testing.assert_array_equal(sko.run_onnx(off, X)["probabilities"],
                                  out["probabilities"])
    for option in ({"zipmap": "columns"}, {"zipmap": False, "output_class_labels": True}):
        with pytest.raises(ValueError, match="multilabel"):
            skl2onnx.to_onnx(pipe, X[:1], options={id(pipe[-1]): option})


def test_sparse_label_indicator_model_checks_against_dense_labels():
    # Fitted on a sparse indicator matrix, predict returns CSR; the graph's labels
    # (and to_onnx's own check) are the same labels, dense.
    X, Y = make_multilabel_classification(60, 5, n_classes=3, random_state=1)
    X = X.astype(np.float32)
    model = MLPClassifier((6,), solver="lbfgs", max_iter=30, random_state=0)
    model.fit(X, sparse.csr_matrix(Y))
    out = _run(sko.to_onnx(model, X[:5], check=True), X)
    np.testing.assert_array_equal(out["label"], model.predict(X).toarray())


def test_integer_input_is_cast_like_validate_data():
    X, y = _data(load_digits, np.float64)
    X_int = np.round(X * 4).astype(np.int64)
    model = MLPClassifier((16,), solver="lbfgs", max_iter=40, random_state=0).fit(X_int, y)
    onx = skl2onnx.to_onnx(model, X_int[:1], options={id(model): {"zipmap": False}})
    assert onx.graph.input[0].type.tensor_type.elem_type == 7  # INT64
    out = sko.run_onnx(onx, X_int)
    np.testing.assert_array_equal(out["label"], model.predict(X_int))
    assert _error(out["probabilities"], model.predict_proba(X_int)) <= 1e-12


def test_mlp_decision_function_as_raw_scores():
    X, y = _data(load_breast_cancer, np.float64)
    model = MLPClassifier((10,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
    out = _run(sko.to_onnx(model, X, options={"raw_scores": True}), X)["probabilities"]
    scores = model.decision_function(X)
    assert _error(out[:, 1], scores) <= 1e-12 and _error(out[:, 0], -scores) <= 1e-12


# -------------------------------------------------------------- regressors
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_every_regression_loss_and_link_on_diabetes(loss, dtype):
    X, y = _data(load_diabetes, dtype)
    y = (y / 50.0).astype(dtype)  # positive, moderate counts for poisson
    model = MLPRegressor(loss, hidden_layer_sizes=(16,), solver="lbfgs", max_iter=80,
                         random_state=0).fit(X, y)
    assert model.out_activation_ == ("exp" if loss == "poisson" else "identity")
    _assert_regressor(model, X, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_output_regression_shape_and_values(dtype):
    X, Y = make_regression(200, 8, n_targets=3, random_state=0)
    X = X.astype(dtype)
    model = MLPRegressor(hidden_layer_sizes=(16, 8), activation=["gelu", "elu"],
                         solver="lbfgs", max_iter=60, random_state=0).fit(X, Y / 100)
    onx = sko.to_onnx(model, X)
    declared = onx.graph.output[0].type.tensor_type.shape.dim
    assert declared[1].dim_value == 3
    _assert_regressor(model, X, dtype)


def test_regressor_without_hidden_layers():
    X, y = _data(load_diabetes, np.float64)
    model = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs").fit(X, y)
    _assert_regressor(model, X, np.float64)


# ------------------------------------------------------------ perceptron
def _perceptron_contract(model, X):
    # The contract in the model's float type: scores X @ coef_.T + intercept_, then
    # sigmoid or softmax of scores / temperature_.
    s = np.asarray(X @ model.coef_.T + model.intercept_, dtype=np.float64)
    z = s / model.temperature_
    if s.shape[1] == 1:
        p = expit(z)
        return np.hstack([1 - p, p])
    return softmax(z, axis=1)


def _perceptron_data(n_classes, labels, dtype):
    X, y = _data(load_breast_cancer if n_classes == 2 else load_digits, dtype)
    if labels == "str":
        y = np.array([f"c{v}" for v in y])
    return X, y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 10])
def test_perceptron_labels_scores_and_contract_probabilities(n_classes, labels, dtype):
    X, y = _perceptron_data(n_classes, labels, dtype)
    model = PerceptronClassifier(random_state=0).fit(X, y)
    out = _run(sko.to_onnx(model, X, check=False), X)
    np.testing.assert_array_equal(out["label"], model.predict(X))
    assert _error(out["probabilities"], _perceptron_contract(model, X)) <= RTOL[dtype]
    scores = _run(sko.to_onnx(model, X, options={"raw_scores": True}), X)["probabilities"]
    expected = model.decision_function(X)
    if n_classes == 2:
        expected = np.column_stack([-expected, expected])
    assert _error(scores, expected) <= RTOL[dtype]


@pytest.mark.parametrize("n_classes", [2, 10])
def test_perceptron_probabilities_match_predict_proba(n_classes):
    X, y = _perceptron_data(n_classes, "int", np.float64)
    model = PerceptronClassifier(random_state=0).fit(X, y)
    out = _run(sko.to_onnx(model, X, check=False), X)
    assert _error(out["probabilities"], model.predict_proba(X)) <= 1e-12


# --------------------------------------------------------------- pipelines
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("final", ["mlp", "perceptron"])
def test_plain_skl2onnx_converts_a_pipeline_with_zipmap(final, dtype):
    X, y = _data(load_digits, dtype)
    y = np.array([f"digit {v}" for v in y])
    last = (MLPClassifier((16,), solver="lbfgs", max_iter=60, random_state=0)
            if final == "mlp" else PerceptronClassifier(random_state=0))
    steps = [StandardScaler(), PCA(20, random_state=0)] if final == "mlp" else [StandardScaler()]
    pipe = make_pipeline(*steps, last).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1])  # skl2onnx's defaults: zipmap on
    out = sko.run_onnx(onx, X)
    np.testing.assert_array_equal(out["output_label"], pipe.predict(X))
    proba = np.array([[row[c] for c in pipe.classes_] for row in out["output_probability"]],
                     dtype=np.float32)  # ZipMap gives float32, also in a float64 graph
    if final == "mlp":
        assert _error(proba, pipe.predict_proba(X)) <= 1e-5
    else:
        assert _error(proba, _perceptron_contract(pipe[-1], pipe[:-1].transform(X))) <= 1e-5
    columns = skl2onnx.to_onnx(pipe, X[:1], options={id(last): {"zipmap": "columns"}})
    out = sko.run_onnx(columns, X)
    np.testing.assert_array_equal(out["output_label"], pipe.predict(X))
    assert len(out) == 1 + len(pipe.classes_)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("wrapper", ["stacking", "one-vs-rest", "bagging", "calibrated"])
@pytest.mark.parametrize("inner", ["mlp", "perceptron"])
def test_inside_skl2onnx_meta_estimators_in_the_graphs_float_type(inner, wrapper, dtype):
    # No ZipMap follows an inner estimator: its probabilities stay in the graph's float
    # type, as scikit-learn's own MLP's do (a float32 cast made float64 graphs invalid
    # or 3e-8 off). Oracle: the wrapper's predict_proba in Python.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import BaggingClassifier, StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    X, y = _random_classification(dtype)
    base = (MLPClassifier((5,), max_iter=50, random_state=0) if inner == "mlp"
            else PerceptronClassifier(random_state=0))
    model = {"stacking": lambda: StackingClassifier([("a", base)], LogisticRegression()),
             "one-vs-rest": lambda: OneVsRestClassifier(base),
             "bagging": lambda: BaggingClassifier(base, n_estimators=3, random_state=0),
             "calibrated": lambda: CalibratedClassifierCV(base, cv=3)}[wrapper]().fit(X, y)
    onx = skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": False}})
    out = sko.run_onnx(onx, X)
    assert out["probabilities"].dtype == dtype
    assert _error(out["probabilities"], model.predict_proba(X)) <= RTOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_helper_pipelines_of_all_three_estimators(dtype):
    Xc, yc = _data(load_breast_cancer, dtype)
    Xr, yr = _data(load_diabetes, dtype)
    for final, X, y in [
        (MLPClassifier((8,), solver="lbfgs", max_iter=40, random_state=0), Xc, yc),
        (PerceptronClassifier(random_state=0), Xc, yc),
        (MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=40,
                      random_state=0), Xr, yr),
    ]:
        pipe = make_pipeline(StandardScaler(), final).fit(X * 10 + 3, y)
        # check=True raises on any disagreement; the perceptron is checked on its
        # labels and decision_function (its predict_proba: see the contract tests).
        options = {"raw_scores": True} if isinstance(final, PerceptronClassifier) else None
        onx = sko.to_onnx(pipe, X * 10 + 3, options=options)
        assert [i.name for i in onx.graph.input] == ["X"]


def test_dataframe_sample_gives_one_input_of_its_dtype():
    pd = pytest.importorskip("pandas")
    X, y = _data(load_breast_cancer, np.float64)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = MLPClassifier((8,), solver="lbfgs", max_iter=40, random_state=0).fit(frame, y)
    onx = sko.to_onnx(model, frame)
    assert len(onx.graph.input) == 1
    assert onx.graph.input[0].type.tensor_type.elem_type == 11  # DOUBLE
    # A float32 graph of a float64 model: compared with float64 predictions.
    onx32 = sko.to_onnx(model, frame.astype(np.float32), rtol=1e-4)
    assert onx32.graph.input[0].type.tensor_type.elem_type == 1  # FLOAT
    with pytest.raises(TypeError, match="non-numeric"):
        sko.to_onnx(model, frame.assign(f0=["a"] * len(frame)))


def test_dataframe_of_pandas_nullable_columns():
    # pandas' nullable dtypes are numeric (the model fits and predicts on them), but
    # np.dtype() cannot read them: to_onnx failed with numpy's "Cannot interpret".
    pd = pytest.importorskip("pandas")
    X, y = _data(load_breast_cancer, np.float64)
    frame = pd.DataFrame(X[:, :4], columns=list("abcd"))
    nullable = frame.astype({"a": "Float64", "b": "Float64", "c": "Float64", "d": "Float64"})
    nullable["e"] = pd.array((X[:, 4] > np.median(X[:, 4])).astype(int), dtype="Int64")
    model = MLPClassifier((4,), solver="lbfgs", max_iter=30, random_state=0).fit(nullable, y)
    onx = sko.to_onnx(model, nullable)
    assert onx.graph.input[0].type.tensor_type.elem_type == 11  # DOUBLE
    dense = nullable.to_numpy(dtype=np.float64)
    np.testing.assert_array_equal(_run(onx, dense)["label"], model.predict(nullable))
    onx32 = sko.to_onnx(model, frame.astype("Float32").assign(e=np.float32(0)), check=False)
    assert onx32.graph.input[0].type.tensor_type.elem_type == 1  # FLOAT


@pytest.mark.parametrize("rtol, error", [(-1.0, ValueError), (float("nan"), ValueError),
                                         ("1e-6", TypeError), (True, TypeError)])
def test_a_bad_rtol_is_named_not_reported_as_a_mismatch(rtol, error):
    X, y = _data(load_breast_cancer, np.float64)
    model = MLPClassifier((4,), solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(error, match="rtol"):
        sko.to_onnx(model, X, rtol=rtol)
    onx = sko.to_onnx(model, X)
    with pytest.raises(sko.OnnxMismatchError):  # 0 is a tolerance (round-off exceeds it)
        sko.check_onnx(onx, model, X, rtol=0)
    with pytest.raises(error, match="rtol"):
        sko.check_onnx(onx, model, X, rtol=rtol)


# ------------------------------------------------- check, errors, dropout
def test_default_check_passes_a_float32_model_of_unscaled_data():
    # Unscaled breast cancer (features up to ~4000): the float32 graph's round-off
    # exceeds 1e-5 (1.75e-5 measured), which the default check must not call a mismatch.
    X, y = load_breast_cancer(return_X_y=True)
    X = X.astype(np.float32)
    model = MLPClassifier((32,), max_iter=100, random_state=6).fit(X, y)
    onx = sko.to_onnx(model, X)  # check=True by default
    np.testing.assert_array_equal(_run(onx, X)["label"], model.predict(X))


def test_check_raises_when_the_graph_disagrees():
    X, y = _data(load_breast_cancer, np.float64)
    model = MLPClassifier((8,), solver="lbfgs", max_iter=40, random_state=0).fit(X, y)
    onx = sko.to_onnx(model, X)
    changed = copy.deepcopy(model)
    changed.coefs_[-1] = changed.coefs_[-1] * (1 + 1e-9)
    with pytest.raises(sko.OnnxMismatchError, match="probabilities"):
        sko.check_onnx(onx, changed, X)
    changed.intercepts_[-1] = changed.intercepts_[-1] + 50
    with pytest.raises(sko.OnnxMismatchError, match="labels differ"):
        sko.check_onnx(onx, changed, X)
    assert sko.check_onnx(onx, model, X)["probabilities"] <= 1e-12


def test_clear_errors_for_what_cannot_be_converted():
    X, y = _data(load_breast_cancer, np.float64)
    model = MLPClassifier((8,), solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="dense"):
        sko.to_onnx(model, sparse.csr_matrix(X))
    with pytest.raises(ValueError, match="Unknown option 'zip_map'"):
        sko.to_onnx(model, X, options={"zip_map": False})
    with pytest.raises(ValueError, match="nocl"):
        sko.to_onnx(model, X, options={"nocl": True})
    with pytest.raises(NameError, match="zip_map"):  # skl2onnx's own check, same model
        skl2onnx.to_onnx(model, X[:1], options={id(model): {"zip_map": False}})
    with pytest.raises(ValueError, match="Unknown option"):
        reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X, X[:, 0])
        sko.to_onnx(reg, X, options={"raw_scores": True})
    with pytest.raises(NotFittedError):
        sko.to_onnx(MLPClassifier(), X)
    with pytest.raises(TypeError, match="skperceptron's estimators"):
        sko.to_onnx(StandardScaler().fit(X), X)
    with pytest.raises(ValueError, match="expects"):
        from skl2onnx.common.data_types import DoubleTensorType

        skl2onnx.convert_sklearn(model, initial_types=[("X", DoubleTensorType([None, 3]))])
    as_float = MLPClassifier((4,), max_iter=5).fit(X, y.astype(float))
    sko.to_onnx(as_float, X)  # integral float labels become int64, and check
    as_float.classes_ = as_float.classes_ + 0.5
    with pytest.raises(ValueError, match="not integers"):
        sko.to_onnx(as_float, X)
    # uint64 labels from 2**63 on would wrap to negative int64 labels: refused, also on
    # skl2onnx's own path (which has no check to catch a wrong graph).
    for estimator in (MLPClassifier((4,), max_iter=5), PerceptronClassifier()):
        huge = estimator.fit(X, y.astype(np.uint64) + np.uint64(2**63))
        with pytest.raises(ValueError, match="outside int64's range"):
            skl2onnx.to_onnx(huge, X[:1])
    Xm, Ym = make_multilabel_classification(50, 5, n_classes=3, random_state=0)
    multilabel = MLPClassifier((4,), max_iter=5).fit(Xm, Ym)
    with pytest.raises(ValueError, match="multilabel"):
        skl2onnx.to_onnx(multilabel, Xm[:1], options={id(multilabel): {"zipmap": "columns"}})


def test_dropout_is_not_in_the_graph():
    X, y = _data(load_digits, np.float64)
    model = MLPClassifier((32, 16), dropout=[0.3, 0.2], max_iter=10, random_state=0)
    model.fit(X, y)
    onx = sko.to_onnx(model, X)
    assert not {n.op_type for n in onx.graph.node} & {"Dropout", "RandomUniformLike"}


# ----------------------------------------------- without the Python ML stack
ISOLATED = textwrap.dedent(
    """
    import importlib.abc, json, sys
    BLOCKED = {"sklearn", "scipy", "skperceptron", "skl2onnx", "onnx", "pandas", "joblib"}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError("blocked: " + name)
            return None

    sys.meta_path.insert(0, Block())
    import numpy as np
    import onnxruntime as ort

    model, data, out = sys.argv[1:4]
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    result = session.run(None, {"X": np.load(data)})
    np.savez(out, *result)
    loaded = sorted(m.split(".")[0] for m in sys.modules)
    print(json.dumps(sorted(set(loaded) & BLOCKED)))
    """
)


def test_runs_where_sklearn_scipy_and_skperceptron_cannot_be_imported(tmp_path):
    X, y = _data(load_digits, np.float64)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(
        (16,), activation="gelu", solver="lbfgs", max_iter=40, random_state=0)).fit(X, y)
    (tmp_path / "model.onnx").write_bytes(sko.to_onnx(pipe, X).SerializeToString())
    np.save(tmp_path / "X.npy", X)
    (tmp_path / "run.py").write_text(ISOLATED)
    probe = "import sklearn"
    blocked = subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED.split("import numpy")[0] + probe],
        check=False, capture_output=True, text=True,
    )
    assert blocked.returncode != 0 and "blocked: sklearn" in blocked.stderr
    done = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "run.py"), str(tmp_path / "model.onnx"),
         str(tmp_path / "X.npy"), str(tmp_path / "out.npz")],
        check=False, capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    result = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(result["arr_0"], pipe.predict(X))
    assert _error(result["arr_1"], pipe.predict_proba(X)) <= 1e-12


# ------------------------------------------------- what the converters read
CONVERTER_MODULES = {"skperceptron.onnx", "skperceptron._onnx_model",
                     "skperceptron._onnx_graph", "skperceptron._onnx_check"}


def _record_reads(cls):
    # Attribute reads made by the converter modules' own code (skl2onnx itself walks
    # dir(model) to resolve options, which says nothing about the converters).
    names = []
    original = cls.__getattribute__

    def recording(self, name):
        caller = sys._getframe(1).f_globals.get("__name__")
        if caller in CONVERTER_MODULES and not name.startswith("__"):
            names.append(name)
        return original(self, name)

    return names, recording


def _fitted_models():
    X, y = _data(load_breast_cancer, np.float64)
    return [
        MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y),
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y),
        PerceptronClassifier(random_state=0).fit(X, y),
    ], X


def test_converters_read_exactly_the_documented_attributes(monkeypatch):
    models, X = _fitted_models()
    for model in models:
        cls = type(model)
        names, recording = _record_reads(cls)
        with monkeypatch.context() as patch:
            patch.setattr(cls, "__getattribute__", recording)
            reader = sko.read_linear if cls is PerceptronClassifier else sko.read_network
            reader(model)
            read_by_reader = set(names)
            names.clear()
            skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": False}}
                             if cls is not MLPRegressor else None)
        assert read_by_reader == set(sko.FITTED_ATTRIBUTES[cls.__name__]), cls
        assert set(names) == set(sko.FITTED_ATTRIBUTES[cls.__name__]), (cls, names)


def test_documented_attributes_cover_every_fitted_attribute():
    # A new fitted attribute fails here until it is listed as read by the converter
    # or as training-only: the converter must not silently ignore new state.
    models, _ = _fitted_models()
    for model in models:
        fitted = {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}
        documented = set(sko.FITTED_ATTRIBUTES[type(model).__name__]) - {"activation"}
        assert fitted - sko.TRAINING_ONLY_ATTRIBUTES == documented, type(model)


# ----------------------------------------------------------------- layout
def test_the_package_root_does_not_import_onnx():
    code = ("import sys, skperceptron; "
            "print(any(m.split('.')[0] in ('skl2onnx', 'onnx', 'onnxruntime') "
            "or m == 'skperceptron.onnx' for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                          text=True,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_onnx_modules_import_downward():
    allowed = {"_onnx_graph": set(), "_onnx_check": {"_validation"},
               "_onnx_model": {"_mlp", "_perceptron", "_onnx_graph"},
               "onnx": {"_mlp", "_perceptron", "_onnx_graph", "_onnx_check", "_onnx_model"}}
    for name, modules in allowed.items():
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        used = {n.module.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
        assert used <= modules, (name, used - modules)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_data_of_the_wrong_width_or_dtype_is_a_clear_error(dtype):
    X, y = load_iris(return_X_y=True)
    X = X.astype(dtype)
    model = PerceptronClassifier(random_state=0).fit(X, y)
    onx = sko.to_onnx(model, X)
    other = np.float64 if dtype == np.float32 else np.float32
    for bad, message in [(X[:, :3], r"shape \(150, 3\).*\(n_samples, 4\)"),
                         (X[0], r"shape \(4,\)"),
                         (X.astype(other), f"dtype {np.dtype(other).name}.*expects "
                                           f"{np.dtype(dtype).name}")]:
        with pytest.raises(ValueError, match=message):
            sko.run_onnx(onx, bad)
    with pytest.raises(ValueError, match="features|shape"):
        sko.check_onnx(onx, model, X[:, :3])
