# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""One epoch of the perceptron's online update, for all one-vs-rest columns at once.

Everything else (validation, shuffling, stopping rules, calibration) lives in
``_perceptron.py``; this module only walks the rows once and updates the state arrays
it is given, in place.

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
"""

from libc.math cimport fabs, sqrt, isfinite
from cython cimport floating

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

# Column-state rows of the ``state`` array (shape (N_STATE, n_columns), float64).
cdef enum:
    S_WSCALE = 0
    S_AVG_A = 1
    S_AVG_B = 2
    S_SQNORM = 3
    S_L1NORM = 4
    S_U = 5
N_STATE = 6


cdef inline void _reset_wscale(floating[:, ::1] W, floating[:, ::1] AW, double[:, ::1] S,
                               Py_ssize_t k, bint averaging) noexcept nogil:
    # Fold the lazy scale (and the lazy average terms) into the arrays of column k.
    # The factors are rounded to the weight dtype, as BLAS ?axpy/?scal receive them in
    # scikit-learn, so float32 weights fold identically.
    cdef Py_ssize_t j
    cdef floating a, inv_b, ws = <floating>S[S_WSCALE, k]
    if averaging:
        a = <floating>S[S_AVG_A, k]
        inv_b = <floating>(1.0 / S[S_AVG_B, k])
        for j in range(W.shape[0]):
            AW[j, k] = AW[j, k] + a * W[j, k]
        for j in range(W.shape[0]):
            AW[j, k] = AW[j, k] * inv_b
        S[S_AVG_A, k] = 0.0
        S[S_AVG_B, k] = 1.0
    for j in range(W.shape[0]):
        W[j, k] = W[j, k] * ws
    S[S_WSCALE, k] = 1.0


def finish(floating[:, ::1] W, floating[:, ::1] AW, double[:, ::1] S, bint averaging):
    """Fold the lazy scale and averaging terms into ``W`` and ``AW`` (end of a fit call)."""
    cdef Py_ssize_t k
    with nogil:
        for k in range(W.shape[1]):
            _reset_wscale(W, AW, S, k, averaging)


def epoch(
    const floating[:, ::1] X,          # dense rows, or (0, 0) when CSR arrays are given
    const floating[::1] data,          # CSR data (empty for dense)
    const int[::1] indices,            # CSR column indices
    const int[::1] indptr,             # CSR row pointers
    const Py_ssize_t[::1] order,       # rows to visit, in order (training rows only)
    const Py_ssize_t[::1] y_code,      # class index of each row (binary: 0/1)
    const floating[::1] sample_weight,
    const floating[::1] pos_weight,    # per-column weight of the positive side
    const floating[::1] neg_weight,    # per-column weight of the negative side
    floating[:, ::1] W,                # (n_features, n_columns), scaled by S[S_WSCALE]
    double[::1] b,                     # (n_columns,)
    floating[:, ::1] AW,               # averaged weights, same layout (unused if not averaging)
    double[::1] ab,                    # averaged intercepts
    floating[:, ::1] Q,                # cumulative L1 penalty applied, per weight
    double[:, ::1] S,                  # per-column scalar state (see S_* rows)
    const unsigned char[::1] active,   # columns still training
    double[::1] objective,             # out: per-column sum of loss (+ penalty) this epoch
    double t,                          # update counter at the first row (1-based)
    bint binary,                       # one column whose positive class is code 1
    int penalty,                       # 0 none, 1 l1, 2 l2, 3 elasticnet
    double alpha,
    double l1_ratio,
    double eta,
    bint fit_intercept,
    double intercept_decay,
    double average,                    # 0: off, else averaging starts when t >= average
    bint compute_objective,
    double[:, ::1] G,                  # (n_rows, n_columns) sum of t * step per row, or (0, k)
    double[::1] Gb,                    # per-column sum of t * intercept step
):
    """Run one pass over ``order``, updating every active column; return the new ``t``.

    ``G``/``Gb`` (when ``G`` has rows) record each update as ``t * step`` on its row, so
    that the mean of the weights over all steps can be formed after the call with one
    matrix product (see ``_perceptron._lazy_average``): O(1) per update instead of the
    O(n_features) of the ASGD recurrence. Only valid without a penalty (the weights then
    change only at updates).
    """
    cdef bint sparse = X.shape[0] == 0 and indptr.shape[0] > 0
    cdef Py_ssize_t n_features = W.shape[0]
    cdef Py_ssize_t n_cols = W.shape[1]
    cdef Py_ssize_t ii, i, j, jj, k, nnz, start
    cdef int idx
    cdef const floating *x = NULL
    cdef const int *ind = NULL
    cdef double threshold = 1e-9 if floating is double else 1e-6
    cdef bint averaging = average > 0
    cdef double acc0, p, y, z, update, dot, mu, num_iter_d, wold
    cdef floating cw, sw, c, cc, scale_c, ws_f, inc_f
    cdef double xv, shrink, l2acc, l1acc, ws, a_k
    cdef bint any_update, any_avg
    cdef bint l1_like = penalty == 1 or penalty == 3
    cdef Py_ssize_t code
    cdef double *accp
    cdef double *incp
    cdef double *aop
    cdef double *afp
    cdef const floating *wrow
    cdef floating *wrow_w
    cdef floating xf
    cdef bint lazy_sum = G.shape[0] > 0
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
    acc_arr = np.zeros(n_cols, dtype=np.float64)
    inc_arr = np.zeros(n_cols, dtype=np.float64)
    avg_arr = np.zeros(n_cols, dtype=np.float64)
    upd_arr = np.zeros(n_cols, dtype=np.float64)
    cdef double[::1] acc = acc_arr
    cdef double[::1] inc = inc_arr   # added to W[:, k] as x * inc[k]
    cdef double[::1] avgf = avg_arr  # added to AW[:, k] as (avg_a * x) * avgf[k]
    cdef double[::1] upd = upd_arr
    cdef double[::1] avg_a_old = np.zeros(n_cols, dtype=np.float64)

    with nogil:
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
                if binary:
                    y = 1.0 if code == 1 else -1.0
                else:
                    y = 1.0 if code == k else -1.0
                ws = S[S_WSCALE, k]
                # scikit-learn rounds the dot product to the weight dtype.
                p = <double>(<floating>(acc[k] * ws)) + b[k]
                z = p * y
                if compute_objective:
                    if z <= 0.0:
                        objective[k] -= z
                    if penalty > 0:
                        objective[k] += alpha * (
                            (1.0 - l1_ratio) * 0.5 * (<double>(<floating>sqrt(S[S_SQNORM, k]))) ** 2
                            + l1_ratio * <double>(<floating>S[S_L1NORM, k]))
                cw = pos_weight[k] if y > 0.0 else neg_weight[k]
                update = eta * y if z <= 0.0 else 0.0
                update *= <floating>(cw * sw)
                upd[k] = update
                if penalty >= 2:
                    S[S_WSCALE, k] = S[S_WSCALE, k] * scale_c
                    S[S_SQNORM, k] = S[S_SQNORM, k] * (scale_c * scale_c)
                    S[S_L1NORM, k] = S[S_L1NORM, k] * fabs(scale_c)
                    if S[S_WSCALE, k] < threshold:
                        _reset_wscale(W, AW, S, k, averaging)
                if update != 0.0:
                    c = <floating>update
                    ws_f = <floating>S[S_WSCALE, k]
                    inc[k] = <double>(c / ws_f)
                    any_update = True
                    if fit_intercept:
                        b[k] += update * intercept_decay
                    if lazy_sum:
                        G[i, k] += t * <double>c
                        if fit_intercept:
                            Gb[k] += t * (update * intercept_decay)
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
                        ws_f = <floating>S[S_WSCALE, k]
                        S[S_SQNORM, k] = l2acc * (ws_f * ws_f)
                        S[S_L1NORM, k] = l1acc * ws_f

            # 4. Averaging (ASGD recurrence), for every active column once t >= average.
            if any_avg:
                num_iter_d = t - average + 1.0
                for k in range(n_cols):
                    if not active[k]:
                        continue
                    ws = S[S_WSCALE, k]
                    avg_a_old[k] = S[S_AVG_A, k]
                    c = <floating>upd[k]
                    avgf[k] = -c / ws
                    mu = 1.0 / <double>(<floating>num_iter_d)
                    if <floating>num_iter_d > 1:
                        S[S_AVG_B, k] = S[S_AVG_B, k] / (1.0 - mu)
                    S[S_AVG_A, k] = S[S_AVG_A, k] + mu * S[S_AVG_B, k] * ws
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
                    S[S_U, k] = S[S_U, k] + l1_ratio * eta * alpha
                    ws = S[S_WSCALE, k]
                    for jj in range(nnz):
                        idx = ind[jj] if sparse else jj
                        z = W[idx, k]
                        if ws * z > 0.0:
                            wold = W[idx, k] - ((S[S_U, k] + Q[idx, k]) / ws)
                            W[idx, k] = wold if wold > 0.0 else 0.0
                        elif ws * z < 0.0:
                            wold = W[idx, k] + ((S[S_U, k] - Q[idx, k]) / ws)
                            W[idx, k] = wold if wold < 0.0 else 0.0
                        Q[idx, k] = Q[idx, k] + ws * (W[idx, k] - z)
            t += 1.0
    return t



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
