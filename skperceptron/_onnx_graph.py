"""ONNX graph pieces of the network: dense layers, activations and output links.

Written against the small part of skl2onnx's converter API that every converter uses
(``scope.get_unique_variable_name``, ``container.add_initializer``,
``container.add_node``), so the same code builds float32 and float64 graphs. Each
function takes the name of its input tensor and returns the name of its output.

onnxruntime's CPU provider has no float64 kernel for ``Erf`` (nor, in some releases,
for ``Elu``, ``Softplus`` and ``LeakyRelu``), so the float64 graph builds those from
``Exp``, ``Log``, ``Mul``, ``Add`` and ``Where``, with the numerically careful forms
noted at each function; the float32 graph uses the native operators where they exist.
Every formula follows ``_activations.py`` operation for operation, so that the float64
graph agrees with ``predict`` to a few units in the last place.
"""

from dataclasses import dataclass
from math import pi, sqrt

import numpy as np
from onnx import TensorProto
from onnx.helper import np_dtype_to_tensor_dtype

LEAKY_RELU_SLOPE = 0.01  # the slope of skperceptron._activations' leaky_relu

# |x| beyond which float64's erf(x) is exactly +-1 (scipy: from 5.9216), and the
# range of the series.
_ERF_ONE = 5.93
_ERF_CLIP = 6.0
# Power of two scaling x^2 in the series (exact), keeping its coefficients near 1.
_ERF_SCALE = 64.0
# Terms of erf's series with positive terms, enough for |x| <= _ERF_CLIP to 1e-17.
_ERF_TERMS = 100
# Below this, expm1(z) rounds to -1 in float64 (exp(-40) < 2**-54).
_EXPM1_FLOOR = -40.0


@dataclass
class Graph:
    """Where nodes go and in which floating dtype (numpy float32 or float64)."""

    scope: object
    container: object
    dtype: type

    @property
    def proto_dtype(self):
        return np_dtype_to_tensor_dtype(np.dtype(self.dtype))

    def name(self, seed):
        return self.scope.get_unique_variable_name(seed)

    def const(self, value, seed="c", dtype=None):
        """An initializer holding ``value`` (in the graph's dtype by default)."""
        array = np.asarray(value, dtype=dtype or self.dtype)
        name = self.name(seed)
        if array.dtype.kind in "US":
            proto, content = TensorProto.STRING, [s.encode("utf-8") for s in array.ravel()]
        else:
            proto, content = np_dtype_to_tensor_dtype(array.dtype), array.ravel().tolist()
        self.container.add_initializer(name, proto, list(array.shape), content)
        return name

    def op(self, op_type, *inputs, out=None, **attrs):
        """Add one node; returns its output's name (``out`` if given)."""
        out = out or self.name(op_type.lower())
        self.container.add_node(
            op_type, list(inputs), [out], name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return out

    @property
    def is_double(self):
        return np.dtype(self.dtype) == np.float64


# ----------------------------------------------------------------- layers
def dense(g, x, weights, bias):
    """``x @ W + b`` as MatMul and Add."""
    z = g.op("MatMul", x, g.const(weights, "coef"))
    return g.op("Add", z, g.const(bias, "intercept"))


def forward(g, x, coefs, intercepts, hidden):
    """Raw outputs of the network: dense layers with ``hidden`` activations between."""
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        x = dense(g, x, W, b)
        if i < len(coefs) - 1:
            x = ACTIVATIONS[hidden[i]](g, x)
    return x


# ------------------------------------------------------- careful building blocks
def _where_positive(g, x, if_positive, otherwise):
    return g.op("Where", g.op("Greater", x, g.const(0.0)), if_positive, otherwise)


def _log1p(g, w):
    """log(1 + w) to a few ulp: ``log(u) * w / (u - 1)`` with ``u = 1 + w`` (Goldberg),
    and ``w`` itself where ``u`` rounds to 1."""
    one = g.const(1.0)
    u = g.op("Add", one, w)
    ratio = g.op("Div", g.op("Mul", g.op("Log", u), w), g.op("Sub", u, one))
    return g.op("Where", g.op("Equal", u, one), w, ratio)


def _expm1_nonpositive(g, z):
    """expm1 of ``min(z, 0)``: ``(u - 1) * z / log(u)`` with ``u = exp(z)`` (Kahan),
    ``z`` where ``u`` rounds to 1; clamped where the result rounds to -1."""
    zc = g.op("Max", g.op("Min", z, g.const(0.0)), g.const(_EXPM1_FLOOR))
    one = g.const(1.0)
    u = g.op("Exp", zc)
    ratio = g.op("Div", g.op("Mul", g.op("Sub", u, one), zc), g.op("Log", u))
    return g.op("Where", g.op("Equal", u, one), zc, ratio)


def _erf_coefficients(n_terms, scale):
    # erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); every term is
    # positive, so the sum has no cancellation (unlike the Taylor series of erf). Written
    # in u = x^2 / scale, the coefficients stay between 1 and 1e28: onnxruntime's graph
    # optimizer drops an Add of a float64 constant too small for float32 (< 1e-45).
    c = [1.0]
    for n in range(1, n_terms):
        c.append(c[-1] * 2.0 / (2 * n + 1))
    return [cn * scale**n for n, cn in enumerate(c)]


def _erf_basic(g, x):
    """erf from Exp, Mul and Add (float64 graphs; absolute error about 2e-15), exactly
    +-1 where float64's erf rounds to +-1."""
    xc = g.op("Max", g.op("Min", x, g.const(_ERF_CLIP)), g.const(-_ERF_CLIP))
    y = g.op("Mul", xc, xc)
    u = g.op("Mul", y, g.const(1.0 / _ERF_SCALE))  # exact: a power of two
    coefficients = _erf_coefficients(_ERF_TERMS, _ERF_SCALE)
    total = g.const(coefficients[-1])
    for c in reversed(coefficients[:-1]):  # Horner in u
        total = g.op("Add", g.op("Mul", total, u), g.const(c))
    scale = g.op("Mul", g.op("Exp", g.op("Neg", y)), g.const(2.0 / sqrt(pi)))
    series = g.op("Mul", g.op("Mul", scale, xc), total)
    saturated = g.op("Greater", g.op("Abs", xc), g.const(_ERF_ONE))
    return g.op("Where", saturated, g.op("Sign", xc), series)


# -------------------------------------------------------------- activations
def _identity(g, z):
    return z


def _logistic(g, z):
    return g.op("Sigmoid", z)


def _tanh(g, z):
    return g.op("Tanh", z)


def _relu(g, z):
    return g.op("Relu", z)


def _leaky_relu(g, z):
    # z * where(z > 0, 1, slope): the product _activations computes, in both dtypes.
    return g.op("Mul", z, _where_positive(g, z, g.const(1.0), g.const(LEAKY_RELU_SLOPE)))


def _elu(g, z):
    if not g.is_double:
        return g.op("Elu", z, alpha=1.0)
    return _where_positive(g, z, z, _expm1_nonpositive(g, z))


def _softplus(g, z):
    if not g.is_double:
        return g.op("Softplus", z)
    # numpy's logaddexp(0, z) = max(z, 0) + log1p(exp(-|z|)).
    w = g.op("Exp", g.op("Neg", g.op("Abs", z)))
    return g.op("Add", g.op("Relu", z), _log1p(g, w))


def _gelu(g, z):
    # z * (0.5 * (1 + erf(z / sqrt(2)))), in _activations' order of operations.
    t = g.op("Div", z, g.const(sqrt(2.0)))
    erf = _erf_basic(g, t) if g.is_double else g.op("Erf", t)
    phi = g.op("Mul", g.const(0.5), g.op("Add", g.const(1.0), erf))
    return g.op("Mul", z, phi)


def _silu(g, z):
    return g.op("Mul", z, g.op("Sigmoid", z))


ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
    "gelu": _gelu,
    "silu": _silu,
}


def hidden_activations(activation, n_hidden):
    """The name of each hidden layer's activation, all of them in ACTIVATIONS."""
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    unknown = sorted(set(names) - set(ACTIVATIONS))
    if len(names) != n_hidden or unknown:
        raise ValueError(
            f"Cannot convert activation={activation!r} for {n_hidden} hidden layer(s); "
            f"the converter knows {sorted(ACTIVATIONS)}."
        )
    return tuple(names)


# ------------------------------------------------------------- output links
def _softmax(g, z):
    return g.op("Softmax", z, axis=1)


def _exp(g, z):
    return g.op("Exp", z)


OUTPUT_LINKS = {
    "identity": _identity,
    "logistic": _logistic,
    "softmax": _softmax,
    "exp": _exp,
}


# ------------------------------------------------------- classifier outputs
def gather_labels(g, classes, index):
    """Class labels (int64 or string ``classes``) at integer indices of shape (n,)."""
    return g.op("Gather", g.const(classes, "classes", dtype=classes.dtype), index, axis=0)


def flat_index(g, positive):
    """A boolean column as int64 indices of shape (n,): 1 where positive."""
    as_int = g.op("Cast", positive, to=TensorProto.INT64)
    return g.op("Reshape", as_int, g.const([-1], "flat", dtype=np.int64))


def two_columns(g, first, second):
    """Two (n, 1) tensors side by side, as one (n, 2) tensor."""
    return g.op("Concat", first, second, axis=1)
