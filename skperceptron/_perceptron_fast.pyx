"""One epoch of the perceptron's online update for a block of one-vs-rest columns.

Everything else (validation, shuffling, stopping rules, calibration) lives in
``_perceptron_training.py``; this module only walks the rows once and updates the
block's arrays in place.

Why one pass for all classes: scikit-learn fits each one-vs-rest column in its own pass.
Each column's update depends only on its own weights, so visiting a row once and
updating every column gives the same numbers while reading the row once, and the
column loop (contiguous in the ``(n_features, n_columns)`` weight layout) vectorises
without reordering any column's own sums. Each column's arithmetic is written in the
same order and precision as scikit-learn's ``_plain_sgd`` with the Hinge(0) loss, so
the weights agree bit for bit when rows are visited in the same order.

Weights are stored as ``wscale * W`` (Bottou's trick) so an L2 shrink is one scalar
multiply; the averaged weights follow the lazy ASGD recurrence
``avg = (AW + avg_a * W) / avg_b``; :func:`finish` folds both back into plain arrays.

Per-column scalars live in a ``ColumnState`` record (numpy dtype :data:`STATE_DTYPE`),
the update's settings in an ``UpdateRule`` record (passed as a dict), the rows in a
``rows`` object and the weights in a ``block`` object (attributes listed in
:func:`epoch`).
"""

from libc.math cimport fabs, sqrt, isfinite
from libc.string cimport memcpy
from cython cimport floating
cimport cython

import numpy as np

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define SKP_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 3)
    #else
    #define SKP_PREFETCH(p) ((void)(p))
    #endif
    """
    void SKP_PREFETCH(const void *p) noexcept nogil

# Rows ahead whose cache lines are requested before they are visited. With shuffled
# rows the hardware prefetcher cannot guess the next row, and a row of 100 doubles is
# 13 cache lines fetched one miss after another; asking for them a few rows early
# overlaps those misses with the (latency-bound, sequential) dot products in between.
# Prefetching reads nothing into the arithmetic, so results are unchanged.
cdef enum:
    PREFETCH_ROWS = 4


cdef packed struct ColumnState:
    double wscale    # lazy scale of the column's weights (L2 decay)
    double avg_a     # ASGD recurrence terms: average = (AW + avg_a * W) / avg_b
    double avg_b
    double sqnorm    # cached squared norm and L1 norm, refreshed as scikit-learn does
    double l1norm
    double u         # cumulative L1 penalty per weight (truncated gradient)
    double loss      # this epoch's summed hinge loss (when compute_objective)
    double objective # this epoch's summed loss + penalty (when compute_objective)
    double epochs    # passes completed by this column


STATE_DTYPE = np.dtype([
    ("wscale", "f8"), ("avg_a", "f8"), ("avg_b", "f8"), ("sqnorm", "f8"),
    ("l1norm", "f8"), ("u", "f8"), ("loss", "f8"), ("objective", "f8"), ("epochs", "f8"),
])


cdef struct UpdateRule:
    bint binary              # one column whose positive class is code 1
    int penalty              # 0 none, 1 l1, 2 l2, 3 elasticnet
    double alpha
    double l1_ratio
    double eta
    bint fit_intercept
    double intercept_decay   # 1 dense, 0.01 CSR (scikit-learn's sparse damping)
    double average           # 0: off, else averaging starts when t >= average
    bint compute_objective


def new_state(Py_ssize_t n_columns):
    """A ``ColumnState`` array for fresh columns (unit scale, empty average)."""
    state = np.zeros(n_columns, dtype=STATE_DTYPE)
    state["wscale"] = 1.0
    state["avg_b"] = 1.0
    return state


cdef inline void _reset_wscale(floating[:, ::1] W, floating[:, ::1] AW, ColumnState *S,
                               Py_ssize_t k, bint averaging) noexcept nogil:
    # Fold the lazy scale (and the lazy average terms) into the arrays of column k.
    # The factors are rounded to the weight dtype, as BLAS ?axpy/?scal receive them in
    # scikit-learn, so float32 weights fold identically.
    cdef Py_ssize_t j
    cdef floating a, inv_b, ws = <floating>S.wscale
    if averaging:
        a = <floating>S.avg_a
        inv_b = <floating>(1.0 / S.avg_b)
        for j in range(W.shape[0]):
            AW[j, k] = AW[j, k] + a * W[j, k]
        for j in range(W.shape[0]):
            AW[j, k] = AW[j, k] * inv_b
        S.avg_a = 0.0
        S.avg_b = 1.0
    for j in range(W.shape[0]):
        W[j, k] = W[j, k] * ws
    S.wscale = 1.0


cdef void _finish(floating[:, ::1] W, floating[:, ::1] AW, ColumnState[::1] S,
                  bint averaging) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(W.shape[1]):
        _reset_wscale(W, AW, &S[k], k, averaging)


def finish(block, bint averaging):
    """Fold the lazy scale and averaging terms into ``block.W`` and ``block.AW``."""
    if block.W.dtype == np.float32:
        _finish[cython.float](block.W, block.AW, block.state, averaging)
    else:
        _finish[cython.double](block.W, block.AW, block.state, averaging)


cdef void _copy(floating[:, ::1] dst, floating[:, ::1] src) noexcept nogil:
    if src.shape[0] * src.shape[1] > 0:
        memcpy(&dst[0, 0], &src[0, 0], src.shape[0] * src.shape[1] * sizeof(floating))


def epoch(rows, block, UpdateRule rule, const Py_ssize_t[::1] order, double t):
    """Run one pass over ``order`` (row indices), updating every active column.

    ``rows``: ``X`` (dense, or shape (0, 0) for CSR), ``data``/``indices``/``indptr``
    (CSR, empty for dense), ``sample_weight``. ``block``: ``codes`` (class code of each
    row for this block; binary blocks code the positive class 1), ``W``
    ``(n_features, n_columns)``, ``b``, ``AW``/``ab`` (averages, ``AW`` empty when not
    averaging), ``Q`` (L1 bookkeeping, empty without L1), ``state`` (``ColumnState``),
    ``active`` (uint8 per column), ``pos_weight``/``neg_weight`` (class weights),
    ``margins`` ``(n_rows, n_columns)`` (out: each visited row's score before its
    update, or shape (0, n_columns) to skip), ``scratch`` (float64, (5, n_columns)) and
    ``saved``, a record of the same arrays that receives the state at the start of the
    pass (the last completed epoch, for interrupts). Returns ``(t, finite)``: the
    update counter after the pass, and whether every score, weight and intercept
    stayed finite.
    """
    saved = block.saved
    if block.W.dtype == np.float32:
        return _epoch[cython.float](
            rows.X, rows.data, rows.indices, rows.indptr, order, block.codes,
            rows.sample_weight, block.pos_weight, block.neg_weight, block.W, block.b,
            block.AW, block.ab, block.Q, block.state, block.active, block.margins,
            block.scratch, saved.W, saved.b, saved.AW, saved.ab, saved.Q, saved.state,
            rule, t)
    return _epoch[cython.double](
        rows.X, rows.data, rows.indices, rows.indptr, order, block.codes,
        rows.sample_weight, block.pos_weight, block.neg_weight, block.W, block.b,
        block.AW, block.ab, block.Q, block.state, block.active, block.margins,
        block.scratch, saved.W, saved.b, saved.AW, saved.ab, saved.Q, saved.state,
        rule, t)


# The compiled pass: its arguments are the unpacked records of ``epoch`` (typed
# memoryviews cannot be members of a record, hence the long list).
cdef tuple _epoch(
    const floating[:, ::1] X, const floating[::1] data, const int[::1] indices,
    const int[::1] indptr, const Py_ssize_t[::1] order, const Py_ssize_t[::1] y_code,
    const floating[::1] sample_weight, const floating[::1] pos_weight,
    const floating[::1] neg_weight, floating[:, ::1] W, double[::1] b,
    floating[:, ::1] AW, double[::1] ab, floating[:, ::1] Q, ColumnState[::1] S,
    const unsigned char[::1] active, double[:, ::1] M, double[:, ::1] scratch,
    floating[:, ::1] W0, double[::1] b0, floating[:, ::1] AW0, double[::1] ab0,
    floating[:, ::1] Q0, ColumnState[::1] S0, UpdateRule rule, double t,
):
    cdef bint sparse = X.shape[0] == 0 and indptr.shape[0] > 0
    cdef Py_ssize_t n_features = W.shape[0]
    cdef Py_ssize_t n_cols = W.shape[1]
    cdef Py_ssize_t ii, i, j, jj, k, nnz, start
    cdef int idx
    cdef const floating *x = NULL
    cdef const int *ind = NULL
    cdef double threshold = 1e-9 if floating is double else 1e-6
    cdef int penalty = rule.penalty
    cdef double alpha = rule.alpha, l1_ratio = rule.l1_ratio, eta = rule.eta
    cdef double average = rule.average, intercept_decay = rule.intercept_decay
    cdef bint binary = rule.binary, fit_intercept = rule.fit_intercept
    cdef bint compute_objective = rule.compute_objective
    cdef bint averaging = average > 0
    cdef bint record = M.shape[0] > 0
    cdef bint finite = True
    cdef double acc0, p, y, z, update, mu, num_iter_d, wold
    cdef floating cw, sw, c, scale_c, ws_f, xf
    cdef double xv, shrink, l2acc, l1acc, ws, hinge
    cdef bint any_update, any_avg
    cdef bint l1_like = penalty == 1 or penalty == 3
    cdef Py_ssize_t code
    cdef double *accp
    cdef double *incp
    cdef double *aop
    cdef double *afp
    cdef const floating *wrow
    cdef floating *wrow_w
    cdef ColumnState *s
    cdef Py_ssize_t n_order = order.shape[0], ahead, off, row_bytes
    cdef const char *pf
    row_bytes = n_features * sizeof(floating)

    if penalty == 2:
        l1_ratio = 0.0
    elif penalty == 1:
        l1_ratio = 1.0
    shrink = 1.0 - (1.0 - l1_ratio) * eta * alpha
    if shrink < 0.0:
        shrink = 0.0  # as scikit-learn: a huge step zeroes the weights, never flips them
    scale_c = <floating>shrink

    # Per-row scratch, one slot per column.
    cdef double[::1] acc = scratch[0]
    cdef double[::1] inc = scratch[1]   # added to W[:, k] as x * inc[k]
    cdef double[::1] avgf = scratch[2]  # added to AW[:, k] as (avg_a * x) * avgf[k]
    cdef double[::1] upd = scratch[3]
    cdef double[::1] avg_a_old = scratch[4]

    with nogil:
        # The state at the start of the pass, kept for an interrupt.
        _copy(W0, W)
        _copy(AW0, AW)
        _copy(Q0, Q)
        memcpy(&b0[0], &b[0], n_cols * sizeof(double))
        memcpy(&ab0[0], &ab[0], n_cols * sizeof(double))
        memcpy(&S0[0], &S[0], n_cols * sizeof(ColumnState))
        for k in range(n_cols):
            if active[k]:
                S[k].loss = 0.0
                S[k].objective = 0.0
        for ii in range(n_order):
            i = order[ii]
            if ii + PREFETCH_ROWS < n_order:
                ahead = order[ii + PREFETCH_ROWS]
                if sparse:
                    SKP_PREFETCH(&data[indptr[ahead]])
                    SKP_PREFETCH(&indices[indptr[ahead]])
                else:
                    pf = <const char *>&X[ahead, 0]
                    for off in range(0, row_bytes, 64):
                        SKP_PREFETCH(pf + off)
                    SKP_PREFETCH(pf + row_bytes - 1)
            if sparse:
                start = indptr[i]
                nnz = indptr[i + 1] - start
                x = &data[start]
                ind = &indices[start]
            else:
                nnz = n_features
                x = &X[i, 0]

            # 1. Scores of every column with the weights before this row. Each
            #    column's sum runs over j in order, in double, like scikit-learn's.
            if n_cols == 1:
                acc0 = 0.0
                if sparse:
                    for jj in range(nnz):
                        acc0 += W[ind[jj], 0] * x[jj]
                else:
                    for j in range(nnz):
                        acc0 += W[j, 0] * x[j]
                acc[0] = acc0
            else:
                for k in range(n_cols):
                    acc[k] = 0.0
                if sparse:
                    for jj in range(nnz):
                        idx = ind[jj]
                        for k in range(n_cols):
                            acc[k] += W[idx, k] * x[jj]
                else:
                    # Raw pointers let the compiler vectorise the column loop.
                    accp = &acc[0]
                    for j in range(nnz):
                        wrow = &W[j, 0]
                        xf = x[j]
                        for k in range(n_cols):
                            accp[k] += wrow[k] * xf

            # 2. Per-column scalar step: loss, step size, L2 shrink.
            sw = sample_weight[i]
            code = y_code[i]
            any_update = False
            any_avg = False
            for k in range(n_cols):
                inc[k] = 0.0
                avgf[k] = 0.0
                upd[k] = 0.0
                if not active[k]:
                    continue
                s = &S[k]
                if binary:
                    y = 1.0 if code == 1 else -1.0
                else:
                    y = 1.0 if code == k else -1.0
                ws = s.wscale
                # scikit-learn rounds the dot product to the weight dtype.
                p = <double>(<floating>(acc[k] * ws)) + b[k]
                if record:
                    M[i, k] = p  # progressive-validation score: before this row's update
                if not isfinite(p):
                    finite = False
                z = p * y
                if compute_objective:
                    hinge = -z if z <= 0.0 else 0.0
                    s.loss += hinge
                    s.objective += hinge
                    if penalty > 0:
                        s.objective += alpha * (
                            (1.0 - l1_ratio) * 0.5 * (<double>(<floating>sqrt(s.sqnorm))) ** 2
                            + l1_ratio * <double>(<floating>s.l1norm))
                cw = pos_weight[k] if y > 0.0 else neg_weight[k]
                update = eta * y if z <= 0.0 else 0.0
                update *= <floating>(cw * sw)
                upd[k] = update
                if penalty >= 2:
                    s.wscale = s.wscale * scale_c
                    s.sqnorm = s.sqnorm * (scale_c * scale_c)
                    s.l1norm = s.l1norm * fabs(scale_c)
                    if s.wscale < threshold:
                        _reset_wscale(W, AW, s, k, averaging)
                if update != 0.0:
                    c = <floating>update
                    ws_f = <floating>s.wscale
                    inc[k] = <double>(c / ws_f)
                    any_update = True
                    if fit_intercept:
                        b[k] += update * intercept_decay
                if averaging and average <= t:
                    any_avg = True

            # 3. Add the row to every column that erred (inc[k] == 0 leaves a column as is).
            if any_update:
                if sparse:
                    for jj in range(nnz):
                        idx = ind[jj]
                        xv = x[jj]
                        for k in range(n_cols):
                            W[idx, k] = W[idx, k] + xv * inc[k]
                else:
                    if n_cols == 1:
                        for j in range(nnz):
                            W[j, 0] = W[j, 0] + x[j] * inc[0]
                    else:
                        incp = &inc[0]
                        for j in range(nnz):
                            xv = x[j]
                            wrow_w = &W[j, 0]
                            for k in range(n_cols):
                                wrow_w[k] = wrow_w[k] + xv * incp[k]
                if penalty > 0 and compute_objective:
                    # scikit-learn refreshes its cached norms from the touched weights only.
                    for k in range(n_cols):
                        if inc[k] == 0.0:
                            continue
                        l2acc = 0.0
                        l1acc = 0.0
                        for jj in range(nnz):
                            idx = ind[jj] if sparse else jj
                            l2acc += W[idx, k] * W[idx, k]
                            l1acc += fabs(W[idx, k])
                        ws_f = <floating>S[k].wscale
                        S[k].sqnorm = l2acc * (ws_f * ws_f)
                        S[k].l1norm = l1acc * ws_f

            # 4. Averaging (ASGD recurrence), for every active column once t >= average.
            if any_avg:
                num_iter_d = t - average + 1.0
                for k in range(n_cols):
                    if not active[k]:
                        continue
                    s = &S[k]
                    ws = s.wscale
                    avg_a_old[k] = s.avg_a
                    c = <floating>upd[k]
                    avgf[k] = -c / ws
                    mu = 1.0 / <double>(<floating>num_iter_d)
                    if <floating>num_iter_d > 1:
                        s.avg_b = s.avg_b / (1.0 - mu)
                    s.avg_a = s.avg_a + mu * s.avg_b * ws
                    ab[k] += (b[k] - ab[k]) / num_iter_d
                if any_update:
                    if sparse:
                        for jj in range(nnz):
                            idx = ind[jj]
                            xv = x[jj]
                            for k in range(n_cols):
                                AW[idx, k] = AW[idx, k] + avg_a_old[k] * xv * avgf[k]
                    else:
                        aop = &avg_a_old[0]
                        afp = &avgf[0]
                        for j in range(nnz):
                            xv = x[j]
                            wrow_w = &AW[j, 0]
                            for k in range(n_cols):
                                wrow_w[k] = wrow_w[k] + aop[k] * xv * afp[k]

            # 5. L1 part of the penalty: truncated gradient (Tsuruoka et al., 2009)
            #    on the features of this row, as scikit-learn does.
            if l1_like:
                for k in range(n_cols):
                    if not active[k]:
                        continue
                    s = &S[k]
                    s.u = s.u + l1_ratio * eta * alpha
                    ws = s.wscale
                    for jj in range(nnz):
                        idx = ind[jj] if sparse else jj
                        z = W[idx, k]
                        if ws * z > 0.0:
                            wold = W[idx, k] - ((s.u + Q[idx, k]) / ws)
                            W[idx, k] = wold if wold > 0.0 else 0.0
                        elif ws * z < 0.0:
                            wold = W[idx, k] + ((s.u - Q[idx, k]) / ws)
                            W[idx, k] = wold if wold < 0.0 else 0.0
                        Q[idx, k] = Q[idx, k] + ws * (W[idx, k] - z)
            t += 1.0
        for k in range(n_cols):
            if active[k]:
                S[k].epochs += 1.0
            if not isfinite(b[k]):
                finite = False
        for j in range(n_features):
            for k in range(n_cols):
                if not isfinite(W[j, k]):
                    finite = False
    return t, finite


def shuffle(Py_ssize_t[::1] order, unsigned int seed):
    """Fisher-Yates with scikit-learn's xorshift (``our_rand_r``), in place.

    scikit-learn reshuffles its row order with the same seed before every epoch; doing
    the same here makes ``shuffle=True`` visit rows in scikit-learn's order.
    """
    cdef Py_ssize_t n = order.shape[0], i, j, tmp
    cdef unsigned int s = seed
    with nogil:
        for i in range(n - 1):
            if s == 0:
                s = 1
            s ^= <unsigned int>(s << 13)
            s ^= <unsigned int>(s >> 17)
            s ^= <unsigned int>(s << 5)
            j = i + (s % (<unsigned int>2147483647 + 1)) % <unsigned int>(n - i)
            tmp = order[i]
            order[i] = order[j]
            order[j] = tmp
