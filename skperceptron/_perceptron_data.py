"""The perceptron's data on both sides of its training loop.

What a fit starts from: the rows as the compiled pass reads them, the stratified
validation split of early stopping, the checked initial weights. What comes out: the
scores of rows under trained weights, ``decision_function``'s (an overflow gives
``+-inf``, never NaN) and the held-out scores the temperature is fitted on.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import StratifiedShuffleSplit

# Rows whose held-out scores fit the temperature (evenly spaced ones above this):
# enough for one parameter, and cheap next to the fit.
CALIBRATION_ROWS = 4_000


@dataclass
class Rows:
    """The training rows as the compiled pass reads them."""

    X: np.ndarray  # dense rows, or shape (0, 0) for CSR
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    sample_weight: np.ndarray
    y_code: np.ndarray
    validation: np.ndarray  # bool mask of held-out rows (early stopping)
    source: object  # the original X, for scoring


def make_rows(X, y_code, sample_weight, validation):
    """:class:`Rows` of a validated dense array or CSR matrix ``X``."""
    dtype = X.dtype
    if sp.issparse(X):
        return Rows(np.zeros((0, 0), dtype), X.data, X.indices, X.indptr, sample_weight,
                    y_code, validation, X)
    empty = np.zeros(0, dtype=np.intc)
    return Rows(X, np.zeros(0, dtype), empty, empty, sample_weight, y_code, validation, X)


def validation_mask(y, sample_weight, early_stopping, validation_fraction, random_state):
    """Boolean mask of the stratified validation rows (none without early stopping)."""
    mask = np.zeros(y.shape[0], dtype=bool)
    if not early_stopping:
        return mask
    splitter = StratifiedShuffleSplit(
        test_size=validation_fraction, random_state=random_state
    )
    idx_train, idx_val = next(splitter.split(np.zeros((y.shape[0], 1)), y))
    if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
        raise ValueError(
            f"Splitting {y.shape[0]} samples with validation_fraction="
            f"{validation_fraction} left an empty training or validation set; "
            "change validation_fraction, add samples or disable early_stopping."
        )
    if not np.any(sample_weight[idx_val] > 0):
        raise ValueError(
            "The sample weights for validation set are all zero, consider using a"
            " different random state."
        )
    mask[idx_val] = True
    return mask


def initial_weights(coef_init, intercept_init, n_columns, n_features, dtype):
    """Zeros, or the given initial weights checked against scikit-learn's shapes: for a
    binary problem (one column) any ``coef_init`` of ``n_features`` entries and an
    ``intercept_init`` of shape ``()`` or ``(1,)``; otherwise ``(n_columns, n_features)``
    and ``(n_columns,)``."""
    binary = n_columns == 1
    if coef_init is None:
        coef = np.zeros((n_columns, n_features), dtype=dtype)
    else:
        coef = np.array(coef_init, dtype=dtype, order="C")
        fits = coef.size == n_features if binary else coef.shape == (n_columns, n_features)
        if not fits:
            raise ValueError(
                f"coef_init has shape {np.shape(coef_init)}; expected "
                f"{(n_columns, n_features)}."
            )
        coef = coef.reshape(n_columns, n_features)
    if intercept_init is None:
        intercept = np.zeros(n_columns, dtype=np.float64)
    else:
        # Rounded to the data's dtype first, as scikit-learn stores it, then held in
        # float64 as the fitted intercept_ is.
        intercept = np.array(intercept_init, dtype=dtype).astype(np.float64)
        if intercept.shape not in ([(), (1,)] if binary else [(n_columns,)]):
            raise ValueError(
                f"intercept_init has shape {np.shape(intercept_init)}; expected "
                f"({n_columns},)."
            )
        intercept = intercept.reshape(n_columns)
    return coef, intercept


def dense_coef(coef):
    """``coef_`` as an ndarray (after ``sparsify()`` it is a CSR matrix)."""
    return coef.toarray() if sp.issparse(coef) else coef


def _dense(product):
    return np.asarray(product.toarray() if sp.issparse(product) else product, dtype=np.float64)


def scores(X, coef, intercept):
    """``X @ coef.T + intercept`` as 2-D float64 (``X`` and ``coef`` dense or sparse);
    rows with a non-finite score are redone with the row and the weights scaled to unit
    size first, giving ``+-inf`` only where the score itself overflows.

    Not only NaN rows: once a product overflows, BLAS may return ``+-inf`` of either
    sign, depending on how it splits the sum (and on the other rows of the call), for
    a score that is finite or of the other sign.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scores = _dense(X @ coef.T) + intercept
        bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
        if bad.size:
            rows = X[bad]
            size = abs(rows).max(axis=1)
            size = np.asarray(size.toarray() if sp.issparse(size) else size,
                              dtype=np.float64).reshape(-1, 1)
            size[size == 0] = 1.0
            top = float(abs(coef).max()) or 1.0
            unit = rows.multiply(1.0 / size) if sp.issparse(rows) else rows / size
            inner = _dense(unit @ (coef / top).T)
            # size * top * inner with the two scales' exponents added apart: no
            # intermediate overflow (a tiny row against huge weights), no inf * 0.
            (m_size, e_size), (m_top, e_top) = np.frexp(size), np.frexp(top)
            scores[bad] = np.ldexp(m_size * m_top * inner, e_size + e_top) + intercept
    return scores


def calibration_step(n_rows):
    """The stride of the (at most ``CALIBRATION_ROWS``) evenly spaced rows whose scores
    the temperature is fitted on."""
    return max(1, -(-n_rows // CALIBRATION_ROWS))


def held_out_scores(result, rows):
    """Scores, class codes and weights of held-out rows for fitting the temperature.

    The validation split with early stopping (scored by the final ``coef``); else, for
    the last weights, the progressive-validation scores of the last epoch (each row
    scored by the weights just before its own update, which the pass computes anyway);
    for averaged weights, which the pass never scores, the training rows scored by the
    average (one matrix product; an average over many steps hardly depends on any one
    row). At most ``CALIBRATION_ROWS`` rows (evenly spaced).
    """
    mask = rows.validation
    validation = mask.any()
    n = int(mask.sum()) if validation else rows.y_code.shape[0]
    step = calibration_step(n)
    # The training rows as a strided slice (views, no copies); the validation rows by index.
    idx = np.flatnonzero(mask)[::step] if validation else slice(None, None, step)
    if validation or result.averaged or result.margins is None:
        scores = np.asarray(rows.source[idx] @ result.coef.T, dtype=np.float64)
        scores += result.intercept
    else:
        scores = result.margins[idx]
    if scores.shape[1] == 1:
        scores = scores[:, 0]
    return scores, rows.y_code[idx], rows.sample_weight[idx]
