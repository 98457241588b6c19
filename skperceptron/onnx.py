"""ONNX export of MLPClassifier, MLPRegressor and PerceptronClassifier.

An optional module (extra ``[onnx]``: skl2onnx, onnx, onnxruntime), never imported by
the package root. Importing it registers a parser, a shape calculator and a converter
with skl2onnx for each of the three estimators, so ``skl2onnx.to_onnx(model, X[:1])``
converts them alone or as the last step of a :class:`~sklearn.pipeline.Pipeline`.
:func:`to_onnx` adds sensible defaults and checks the graph in onnxruntime.

Graph outputs follow skl2onnx's conventions: classifiers give ``label`` (int64 or
string, shape ``(n,)``; an int64 indicator matrix ``(n, n_labels)`` for multilabel
models) and ``probabilities`` ``(n, n_classes)``; regressors give ``variable``
``(n, n_outputs)``. The option ``raw_scores=True`` replaces the probabilities by the
decision scores (binary: ``[-s, s]``, so that column 1 is ``decision_function``).

The converters read only the fitted attributes listed in :data:`FITTED_ATTRIBUTES`,
through one reader per estimator; the tests enforce that list.
"""

import warnings

import numpy as np

try:
    import skl2onnx
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "skperceptron.onnx needs skl2onnx, onnx and onnxruntime: "
        "pip install 'skperceptron[onnx]'."
    ) from error

from ._mlp import MLPClassifier, MLPRegressor
from ._onnx_check import (
    OnnxMismatchError,
    check_onnx,
    final_estimator,
    host_model,
    run_onnx,
    sample_array,
    tolerance,
)
from ._onnx_graph import (
    OUTPUT_LINKS,
    Graph,
    dense,
    flat_index,
    forward,
    gather_labels,
    two_columns,
)
from ._onnx_model import FITTED_ATTRIBUTES, Linear, read, read_linear, read_network
from ._onnx_model import TRAINING_ONLY_ATTRIBUTES as TRAINING_ONLY_ATTRIBUTES  # re-export
from ._perceptron import PerceptronClassifier

__all__ = ["FITTED_ATTRIBUTES", "OnnxMismatchError", "check_onnx", "run_onnx", "to_onnx"]

CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "raw_scores": [False, True],
    "nocl": [False],  # skl2onnx's zipmap asks for it; class indices are not offered
}


# ------------------------------------------------------ parser and shapes
def _parse_classifier(scope, model, inputs, custom_parsers=None):
    if read(model).labels.kind != "multilabel":
        # Binary and multiclass: skl2onnx's own classifier parser (label,
        # probabilities and the zipmap / output_class_labels options).
        from skl2onnx._parse import _parse_sklearn_classifier

        return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)
    # The caller's options, or a Pipeline's for its last step (zipmap=True by default).
    asked = scope.get_options(model)
    if asked.get("zipmap") == "columns" or asked.get("output_class_labels"):
        raise ValueError("A multilabel model has an indicator-matrix label; options "
                         "zipmap='columns' and output_class_labels do not apply.")
    if asked.get("zipmap"):  # ignored with a warning, as skl2onnx does for MultiOutputClassifier
        warnings.warn(f"Option zipmap is ignored for the multilabel {type(model).__name__}"
                      " (its label is an indicator matrix). Set option zipmap to False to "
                      "remove this message.", UserWarning, stacklevel=2)
    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("probabilities", FloatTensorType()))
    return operator.outputs


def _float_type(variable):
    return DoubleTensorType if not isinstance(variable.type, FloatTensorType) else FloatTensorType


def _check_input(operator, n_features):
    if len(operator.inputs) != 1:
        raise ValueError(f"{operator.raw_operator!r} needs a single input tensor.")
    kind = type(operator.inputs[0].type)
    if kind not in (FloatTensorType, DoubleTensorType, Int64TensorType):
        raise TypeError(f"Cannot convert input of type {kind.__name__}: the converters "
                        "take FloatTensorType, DoubleTensorType or Int64TensorType.")
    shape = operator.inputs[0].type.shape
    if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != n_features):
        raise ValueError(f"Input shape {shape}; the model expects (n, {n_features}).")


def _classifier_shapes(operator):
    spec = read(operator.raw_operator)
    weights = spec.coef.T if isinstance(spec, Linear) else spec.coefs[0]
    _check_input(operator, weights.shape[0])
    n = operator.inputs[0].get_first_dimension()
    labels = spec.labels
    if labels.kind == "multilabel":
        label_type = Int64TensorType([n, len(labels.classes)])
    elif labels.classes.dtype.kind == "U":
        label_type = StringTensorType([n])
    else:
        label_type = Int64TensorType([n])
    operator.outputs[0].type = label_type
    float_type = _float_type(operator.inputs[0])
    if _feeds_zipmap(operator):
        float_type = FloatTensorType  # ONNX's ZipMap takes float32 only
    operator.outputs[1].type = float_type([n, len(labels.classes)])


def _feeds_zipmap(operator):
    """Whether skl2onnx's classifier parser put a ZipMap after this operator's
    probabilities. The zipmap option alone does not say: inside a meta-estimator
    (stacking, one-vs-rest, bagging, calibration) no ZipMap follows, and the enclosing
    converter expects probabilities in the graph's own float type. (zipmap='columns'
    splits the tensor with ArrayFeatureExtractor, which takes float64 too.)"""
    probabilities = operator.outputs[1].onnx_name
    return any(
        other.type == "SklearnZipMap"
        and any(v.onnx_name == probabilities for v in other.inputs)
        for other in operator.scope_inst.operators.values()
    )


def _regressor_shapes(operator):
    spec = read_network(operator.raw_operator)
    _check_input(operator, spec.coefs[0].shape[0])
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator.inputs[0])([n, spec.coefs[-1].shape[1]])


# ------------------------------------------------------------- converters
# Equal and Where on floats (the careful log1p/expm1 of softplus and elu), ArgMax's
# keepdims on every type: opset 11 is the oldest the graphs are written for.
MIN_OPSET = 11


def _graph_and_input(scope, operator, container):
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"{type(operator.raw_operator).__name__}'s ONNX graph needs opset "
            f"{MIN_OPSET} or later; target_opset is {container.target_opset}."
        )
    variable = operator.inputs[0]
    double = not isinstance(variable.type, FloatTensorType)
    g = Graph(scope, container, np.float64 if double else np.float32)
    x = variable.full_name
    if not isinstance(variable.type, (FloatTensorType, DoubleTensorType)):
        x = g.op("Cast", x, to=TensorProto.DOUBLE)  # integers: as validate_data does
    return g, x


def _emit(g, operator, label, scores):
    g.op("Identity", label, out=operator.outputs[0].full_name)
    if g.is_double and _feeds_zipmap(operator):
        scores = g.op("Cast", scores, to=TensorProto.FLOAT)
    g.op("Identity", scores, out=operator.outputs[1].full_name)


def _convert_mlp_classifier(scope, operator, container):
    model = operator.raw_operator
    spec = read_network(model)
    raw_scores = container.get_options(model, {"raw_scores": False})["raw_scores"]
    g, x = _graph_and_input(scope, operator, container)
    z = forward(g, x, spec.coefs, spec.intercepts, spec.hidden)
    kind = spec.labels.kind
    if kind == "multiclass":
        proba = g.op("Softmax", z, axis=1)
        label = gather_labels(g, spec.labels.classes, g.op("ArgMax", proba, axis=1, keepdims=0))
    else:
        p = g.op("Sigmoid", z)
        positive = g.op("Greater", p, g.const(0.5))
        if kind == "multilabel":
            label, proba = g.op("Cast", positive, to=TensorProto.INT64), p
        else:
            label = gather_labels(g, spec.labels.classes, flat_index(g, positive))
            proba = two_columns(g, g.op("Sub", g.const(1.0), p), p)
    if raw_scores:
        proba = two_columns(g, g.op("Neg", z), z) if kind == "binary" else z
    _emit(g, operator, label, proba)


def _convert_perceptron(scope, operator, container):
    model = operator.raw_operator
    spec = read_linear(model)
    raw_scores = container.get_options(model, {"raw_scores": False})["raw_scores"]
    g, x = _graph_and_input(scope, operator, container)
    s = dense(g, x, spec.coef.T, spec.intercept)
    scaled = g.op("Div", s, g.const(spec.temperature))
    if spec.labels.kind == "binary":
        positive = g.op("Greater", s, g.const(0.0))
        label = gather_labels(g, spec.labels.classes, flat_index(g, positive))
        p = g.op("Sigmoid", scaled)
        proba = two_columns(g, g.op("Sub", g.const(1.0), p), p)
        scores = two_columns(g, g.op("Neg", s), s)
    else:
        label = gather_labels(g, spec.labels.classes, g.op("ArgMax", s, axis=1, keepdims=0))
        proba, scores = g.op("Softmax", scaled, axis=1), s
    _emit(g, operator, label, scores if raw_scores else proba)


def _convert_mlp_regressor(scope, operator, container):
    spec = read_network(operator.raw_operator)
    g, x = _graph_and_input(scope, operator, container)
    z = forward(g, x, spec.coefs, spec.intercepts, spec.hidden)
    y = OUTPUT_LINKS[spec.out_activation](g, z)
    g.op("Identity", y, out=operator.outputs[0].full_name)


_ALIASES = {
    MLPClassifier: "SkperceptronMLPClassifier",
    MLPRegressor: "SkperceptronMLPRegressor",
    PerceptronClassifier: "SkperceptronPerceptronClassifier",
}


def _register():
    for cls, convert in ((MLPClassifier, _convert_mlp_classifier),
                         (PerceptronClassifier, _convert_perceptron)):
        update_registered_converter(
            cls, _ALIASES[cls], _classifier_shapes, convert,
            parser=_parse_classifier, options=CLASSIFIER_OPTIONS,
        )
    update_registered_converter(
        MLPRegressor, _ALIASES[MLPRegressor], _regressor_shapes, _convert_mlp_regressor
    )


_register()


# ------------------------------------------------------------------ helper
def _helper_options(estimator, options, check):
    if not isinstance(estimator, tuple(_ALIASES)):
        raise TypeError(
            f"to_onnx converts skperceptron's estimators (alone or last in a "
            f"Pipeline); got {type(estimator).__name__}. Use skl2onnx.to_onnx."
        )
    allowed = CLASSIFIER_OPTIONS if isinstance(estimator, (MLPClassifier,
                                                           PerceptronClassifier)) else {}
    options = dict(options or {})
    for key, value in options.items():
        if key not in allowed:
            raise ValueError(
                f"Unknown option {key!r} for {type(estimator).__name__}; "
                f"known options: {sorted(allowed)}."
            )
        if value not in allowed[key]:
            raise ValueError(f"Option {key!r} must be one of {allowed[key]}; got {value!r}.")
    if allowed:
        options.setdefault("zipmap", False)
    if check and options.get("zipmap"):
        raise ValueError("check=True compares tensor outputs; pass zipmap=False or check=False.")
    return options


def to_onnx(model, X_sample, *, check=True, options=None, target_opset=None, rtol=None):
    """Convert a fitted estimator or Pipeline to ONNX, checked in onnxruntime.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted MLPClassifier, MLPRegressor or PerceptronClassifier, or a Pipeline
        of scikit-learn transformers that skl2onnx converts, ending in one of them.
    X_sample : array-like or DataFrame of shape (n_samples, n_features)
        Dense numeric rows. Its dtype decides the graph's: float32 gives a float32
        graph, float64 (and integers) a float64 graph. A DataFrame becomes one
        input tensor of all its columns.
    check : bool, default=True
        Run the graph on ``X_sample`` in onnxruntime and raise
        :class:`OnnxMismatchError` if a label differs or an output is further than
        ``rtol`` from the Python model's.
    options : dict, default=None
        Converter options of the final estimator: classifiers take ``zipmap``
        (default False here: tensor outputs), ``output_class_labels`` and
        ``raw_scores``; regressors take none. An unknown option raises ValueError.
    target_opset : int, default=None
        ONNX opset; None is skl2onnx's latest tested opset.
    rtol : float, default=None
        Tolerance of the check; None is 1e-12 for float64 and 1e-4 for float32 graphs.

    Returns
    -------
    onnx_model : onnx.ModelProto
        Input ``X``; outputs ``label`` and ``probabilities`` (classifiers) or
        ``variable`` (regressors).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skperceptron import MLPClassifier
    >>> from skperceptron.onnx import to_onnx, run_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier(
    ...     (8,), solver="lbfgs", max_iter=300, random_state=0)).fit(X, y)
    >>> onx = to_onnx(pipe, X)
    >>> out = run_onnx(onx, X)
    >>> bool((out["label"] == pipe.predict(X)).all())
    True
    >>> out["probabilities"].dtype
    dtype('float64')
    """
    X = sample_array(X_sample)
    tolerance(rtol, X.dtype)  # a bad rtol fails before the conversion
    model = host_model(model)  # a device model's numpy copy
    estimator = final_estimator(model)
    options = _helper_options(estimator, options, check)
    onnx_model = skl2onnx.to_onnx(model, X[:1], target_opset=target_opset,
                                  options={id(estimator): options} if options else None)
    if check:
        check_onnx(onnx_model, model, X_sample, rtol=rtol,
                   raw_scores=bool(options.get("raw_scores")))
    return onnx_model
