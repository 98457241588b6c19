"""Fused elementwise kernels for the MLP's training step: one memory pass each.

numpy spends one pass over memory per operation. The MLP's hot path strings several of
them together on the same arrays: Adam's update is nine passes over the parameters, a
hidden layer's bias add and activation two passes over its output, the activation
derivative one to three passes over the delta. Each kernel here does the same
arithmetic in one pass. One replaces a product: below a one-unit layer the delta
product is an outer product, which numpy's ``matmul`` runs without BLAS
(``outer_backward`` fuses it with the activation derivative).

Exactness: every kernel performs, per element, the same IEEE operations in the same
order and precision as the numpy formula it replaces (written next to it), with no
fused multiply-add (the build passes ``-ffp-contract=off``) and correctly rounded
``sqrt`` and division, so its results equal that formula's bit for bit, inf included;
a NaN stays a NaN, but when two operands are NaN the one that propagates (its sign bit)
may differ from numpy's, which the hardware decides by operand order. No kernel
reduces across elements (a row's max is exact in any order), so the thread count
(OpenMP) never changes a result.

Dtypes: float32 and float64 through Cython's fused ``floating``; scalar coefficients
are rounded to the array's dtype first, as numpy does with a Python float. Callers
(``_fused.py``) check dtypes and contiguity and fall back to numpy otherwise.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt
from libc.stdint cimport int64_t
from libc.string cimport memcpy

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define SKP_HAVE_OPENMP 1
    #define SKP_MAX_THREADS() omp_get_max_threads()
    #else
    #define SKP_HAVE_OPENMP 0
    #define SKP_MAX_THREADS() 1
    #endif
    """
    int SKP_HAVE_OPENMP
    int SKP_MAX_THREADS() noexcept nogil

# Below this many elements per thread a parallel region costs more than it saves.
cdef Py_ssize_t MIN_PER_THREAD = 32768

OPENMP = bool(SKP_HAVE_OPENMP)
"""Whether this build was compiled with OpenMP (otherwise every kernel runs serially)."""

ELEMENTS_PER_THREAD = MIN_PER_THREAD
"""The fewest elements an optimizer kernel gives each OpenMP thread."""


def max_threads():
    """Threads a kernel may use at most now (1 without OpenMP)."""
    return SKP_MAX_THREADS()


cdef inline int _threads_for(Py_ssize_t n, int n_threads) noexcept nogil:
    # Never more than OpenMP allows now: OMP_NUM_THREADS, or a threadpoolctl limit
    # (which sets omp_set_num_threads) around the call.
    if not SKP_HAVE_OPENMP or n_threads < 2:
        return 1
    n_threads = min(n_threads, SKP_MAX_THREADS())
    if n_threads < 2:
        return 1
    if n < 2 * MIN_PER_THREAD:
        return 1
    if n < n_threads * MIN_PER_THREAD:
        return <int>(n // MIN_PER_THREAD)
    return n_threads


# ---------------------------------------------------------------- optimizers
cdef extern from *:
    """
    /* Adam's per-element update in plain C, so that on x86-64 Linux GCC can build it
       for AVX-512 and AVX2 beside the baseline and pick one at load time (ifunc):
       the square root and the division are throughput-bound, and wider vectors do
       the same correctly rounded operations, element by element. */
    #include <math.h>
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define SKP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define SKP_CLONES
    #endif
    #define SKP_ADAM_SPAN(NAME, T, SQRT)                                              \\
    SKP_CLONES static void NAME(T *theta, const T *g, T *m, T *v,                     \\
                                Py_ssize_t lo, Py_ssize_t hi, T b1, T c1, T b2, T c2, \\
                                T eps, T neg_lr) {                                    \\
        for (Py_ssize_t i = lo; i < hi; i++) {                                        \\
            T gi = g[i];                                                              \\
            T mi = m[i] * b1;                                                         \\
            T vi = v[i] * b2;                                                         \\
            mi = mi + c1 * gi;                                                        \\
            vi = vi + c2 * (gi * gi);                                                 \\
            m[i] = mi;                                                                \\
            v[i] = vi;                                                                \\
            theta[i] = theta[i] + neg_lr * (mi / (SQRT(vi) + eps));                   \\
        }                                                                             \\
    }
    SKP_ADAM_SPAN(skp_adam_span_f, float, sqrtf)
    SKP_ADAM_SPAN(skp_adam_span_d, double, sqrt)
    /* The same with the L2 term of the gradient and the weight decay in the pass:
       g + l2 * theta and theta * dec from theta as it was (dec = 1 is exact). */
    #define SKP_ADAM_L2_SPAN(NAME, T, SQRT)                                           \
    SKP_CLONES static void NAME(T *theta, const T *g, T *m, T *v,                     \
                                Py_ssize_t lo, Py_ssize_t hi, T b1, T c1, T b2, T c2, \
                                T eps, T neg_lr, T l2, T dec) {                       \
        for (Py_ssize_t i = lo; i < hi; i++) {                                        \
            T ti = theta[i];                                                          \
            T gi = g[i] + l2 * ti;                                                    \
            T mi = m[i] * b1;                                                         \
            T vi = v[i] * b2;                                                         \
            mi = mi + c1 * gi;                                                        \
            vi = vi + c2 * (gi * gi);                                                 \
            m[i] = mi;                                                                \
            v[i] = vi;                                                                \
            theta[i] = ti * dec + neg_lr * (mi / (SQRT(vi) + eps));                   \
        }                                                                             \
    }
    SKP_ADAM_L2_SPAN(skp_adam_l2_span_f, float, sqrtf)
    SKP_ADAM_L2_SPAN(skp_adam_l2_span_d, double, sqrt)
    """
    void skp_adam_span_f(float*, const float*, float*, float*, Py_ssize_t, Py_ssize_t,
                         float, float, float, float, float, float) noexcept nogil
    void skp_adam_span_d(double*, const double*, double*, double*, Py_ssize_t, Py_ssize_t,
                         double, double, double, double, double, double) noexcept nogil
    void skp_adam_l2_span_f(float*, const float*, float*, float*, Py_ssize_t, Py_ssize_t,
                            float, float, float, float, float, float, float,
                            float) noexcept nogil
    void skp_adam_l2_span_d(double*, const double*, double*, double*, Py_ssize_t,
                            Py_ssize_t, double, double, double, double, double, double,
                            double, double) noexcept nogil


cdef inline void _adam_span(
    floating* theta, const floating* g, floating* m, floating* v,
    Py_ssize_t lo, Py_ssize_t hi,
    floating b1, floating c1, floating b2, floating c2, floating eps, floating neg_lr,
) noexcept nogil:
    if floating is float:
        skp_adam_span_f(theta, g, m, v, lo, hi, b1, c1, b2, c2, eps, neg_lr)
    else:
        skp_adam_span_d(theta, g, m, v, lo, hi, b1, c1, b2, c2, eps, neg_lr)


cdef inline void _adam_l2_span(
    floating* theta, const floating* g, floating* m, floating* v,
    Py_ssize_t lo, Py_ssize_t hi,
    floating b1, floating c1, floating b2, floating c2, floating eps, floating neg_lr,
    floating l2, floating dec,
) noexcept nogil:
    if floating is float:
        skp_adam_l2_span_f(theta, g, m, v, lo, hi, b1, c1, b2, c2, eps, neg_lr, l2, dec)
    else:
        skp_adam_l2_span_d(theta, g, m, v, lo, hi, b1, c1, b2, c2, eps, neg_lr, l2, dec)


cdef inline void _scale_span(floating* x, Py_ssize_t lo, Py_ssize_t hi, floating a) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(lo, hi):
        x[i] = x[i] * a


cdef struct Spans:
    # Where one chunk [lo, hi) of theta is cut: [lo, l2_decay) gets the L2 term and the
    # decay, [l2_decay, l2_end) the L2 term, [l2_end, decay_end) the decay (a pre-pass)
    # and [l2_end, hi) the plain update.
    Py_ssize_t l2_decay
    Py_ssize_t l2_end
    Py_ssize_t decay_end


cdef inline Spans _spans(Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n_l2,
                         Py_ssize_t n_decay) noexcept nogil:
    cdef Spans s
    s.l2_end = min(max(lo, n_l2), hi)
    s.l2_decay = min(max(lo, n_decay), s.l2_end)
    s.decay_end = max(min(hi, n_decay), s.l2_end)
    return s


cdef inline void _adam_chunk(
    floating* theta, const floating* g, floating* m, floating* v,
    Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t n_l2, Py_ssize_t n_decay,
    floating b1, floating c1, floating b2, floating c2, floating eps, floating neg_lr,
    floating l2, floating dec,
) noexcept nogil:
    cdef Spans s = _spans(lo, hi, n_l2, n_decay)
    _adam_l2_span(theta, g, m, v, lo, s.l2_decay, b1, c1, b2, c2, eps, neg_lr, l2, dec)
    _adam_l2_span(theta, g, m, v, s.l2_decay, s.l2_end, b1, c1, b2, c2, eps, neg_lr, l2,
                  <floating>1)
    _scale_span(theta, s.l2_end, s.decay_end, dec)
    _adam_span(theta, g, m, v, s.l2_end, hi, b1, c1, b2, c2, eps, neg_lr)


cdef inline void _check_prefixes(Py_ssize_t n, Py_ssize_t n_decay, Py_ssize_t n_l2):
    if not 0 <= n_decay <= n:
        raise ValueError(f"n_decay={n_decay} is outside [0, {n}]")
    if not 0 <= n_l2 <= n:
        raise ValueError(f"n_l2={n_l2} is outside [0, {n}]")


def adam_update(
    floating[::1] theta, const floating[::1] grad, floating[::1] m, floating[::1] v,
    double lr, double beta_1, double beta_2, double epsilon,
    Py_ssize_t n_decay=0, double decay=1.0, int n_threads=1,
    double l2=0.0, Py_ssize_t n_l2=0,
):
    """One Adam(W) step in place, in one pass over theta, grad, m and v.

    Equals, element for element and bit for bit, the numpy sequence (scalars rounded to
    the dtype; ``grad`` itself is left as it is)::

        g = grad.copy(); g[:n_l2] += l2 * theta[:n_l2]   # an L2 term left to the step
        theta[:n_decay] *= decay          # decoupled weight decay (AdamW)
        m *= beta_1;  m += (1 - beta_1) * g
        v *= beta_2;  v += (1 - beta_2) * (g * g)
        theta += -lr * (m / (sqrt(v) + epsilon))
    """
    cdef Py_ssize_t n = theta.shape[0]
    if grad.shape[0] != n or m.shape[0] != n or v.shape[0] != n:
        raise ValueError("theta, grad, m and v must have the same length")
    _check_prefixes(n, n_decay, n_l2)
    cdef floating b1 = <floating>beta_1, c1 = <floating>(1.0 - beta_1)
    cdef floating b2 = <floating>beta_2, c2 = <floating>(1.0 - beta_2)
    cdef floating eps = <floating>epsilon, neg_lr = <floating>(-lr), dec = <floating>decay
    cdef floating l2f = <floating>l2
    cdef floating* t = &theta[0] if n else NULL
    cdef const floating* g = &grad[0] if n else NULL
    cdef floating* mp = &m[0] if n else NULL
    cdef floating* vp = &v[0] if n else NULL
    cdef int threads = _threads_for(n, n_threads)
    cdef Py_ssize_t k, lo, hi, chunk = (n + threads - 1) // threads if threads else n
    if decay == 1.0:
        n_decay = 0
    if l2 == 0.0:
        n_l2 = 0
    with nogil:
        if threads == 1:
            _adam_chunk(t, g, mp, vp, 0, n, n_l2, n_decay, b1, c1, b2, c2, eps, neg_lr,
                        l2f, dec)
        else:
            for k in prange(threads, num_threads=threads, schedule="static"):
                lo = k * chunk
                hi = min(lo + chunk, n)
                _adam_chunk(t, g, mp, vp, lo, hi, n_l2, n_decay, b1, c1, b2, c2, eps,
                            neg_lr, l2f, dec)


cdef inline void _sgd_span(
    floating* theta, const floating* g, floating* vel, Py_ssize_t lo, Py_ssize_t hi,
    floating mom, floating neg_lr, bint nesterov,
) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating vi
    if nesterov:
        for i in range(lo, hi):
            vi = vel[i] * mom
            vi = vi + neg_lr * g[i]
            vel[i] = vi
            theta[i] = (theta[i] + neg_lr * g[i]) + mom * vi
    else:
        for i in range(lo, hi):
            vi = vel[i] * mom
            vi = vi + neg_lr * g[i]
            vel[i] = vi
            theta[i] = theta[i] + vi


cdef inline void _sgd_l2_span(
    floating* theta, const floating* g, floating* vel, Py_ssize_t lo, Py_ssize_t hi,
    floating mom, floating neg_lr, bint nesterov, floating l2, floating dec,
) noexcept nogil:
    # _sgd_span with g + l2 * theta and theta * dec from theta as it was (dec = 1 exact).
    cdef Py_ssize_t i
    cdef floating vi, ti, gi
    for i in range(lo, hi):
        ti = theta[i]
        gi = g[i] + l2 * ti
        ti = ti * dec
        vi = vel[i] * mom
        vi = vi + neg_lr * gi
        vel[i] = vi
        if nesterov:
            theta[i] = (ti + neg_lr * gi) + mom * vi
        else:
            theta[i] = ti + vi


cdef inline void _sgd_chunk(
    floating* theta, const floating* g, floating* vel, Py_ssize_t lo, Py_ssize_t hi,
    Py_ssize_t n_l2, Py_ssize_t n_decay, floating mom, floating neg_lr, bint nesterov,
    floating l2, floating dec,
) noexcept nogil:
    cdef Spans s = _spans(lo, hi, n_l2, n_decay)
    _sgd_l2_span(theta, g, vel, lo, s.l2_decay, mom, neg_lr, nesterov, l2, dec)
    _sgd_l2_span(theta, g, vel, s.l2_decay, s.l2_end, mom, neg_lr, nesterov, l2,
                 <floating>1)
    _scale_span(theta, s.l2_end, s.decay_end, dec)
    _sgd_span(theta, g, vel, s.l2_end, hi, mom, neg_lr, nesterov)


def sgd_update(
    floating[::1] theta, const floating[::1] grad, floating[::1] velocity,
    double lr, double momentum, bint nesterov,
    Py_ssize_t n_decay=0, double decay=1.0, int n_threads=1,
    double l2=0.0, Py_ssize_t n_l2=0,
):
    """One SGD step with (Nesterov) momentum in place, in one pass.

    Equals bit for bit (scalars rounded to the dtype; ``grad`` is left as it is)::

        g = grad.copy(); g[:n_l2] += l2 * theta[:n_l2]   # an L2 term left to the step
        theta[:n_decay] *= decay
        velocity *= momentum;  velocity += -lr * g
        nesterov:  theta += -lr * g;  theta += momentum * velocity
        otherwise: theta += velocity
    """
    cdef Py_ssize_t n = theta.shape[0]
    if grad.shape[0] != n or velocity.shape[0] != n:
        raise ValueError("theta, grad and velocity must have the same length")
    _check_prefixes(n, n_decay, n_l2)
    cdef floating mom = <floating>momentum, neg_lr = <floating>(-lr), dec = <floating>decay
    cdef floating l2f = <floating>l2
    cdef floating* t = &theta[0] if n else NULL
    cdef const floating* g = &grad[0] if n else NULL
    cdef floating* vp = &velocity[0] if n else NULL
    cdef int threads = _threads_for(n, n_threads)
    cdef Py_ssize_t k, lo, hi, chunk = (n + threads - 1) // threads if threads else n
    if decay == 1.0:
        n_decay = 0
    if l2 == 0.0:
        n_l2 = 0
    with nogil:
        if threads == 1:
            _sgd_chunk(t, g, vp, 0, n, n_l2, n_decay, mom, neg_lr, nesterov, l2f, dec)
        else:
            for k in prange(threads, num_threads=threads, schedule="static"):
                lo = k * chunk
                hi = min(lo + chunk, n)
                _sgd_chunk(t, g, vp, lo, hi, n_l2, n_decay, mom, neg_lr, nesterov, l2f,
                           dec)


def axpy(double a, const floating[::1] x, floating[::1] y):
    """``y += a * x`` in place, in one pass, bit for bit numpy's ``y += a * x`` (``a``
    rounded to the dtype; no fused multiply-add, unlike BLAS ``axpy``)."""
    cdef Py_ssize_t i, n = y.shape[0]
    if x.shape[0] != n:
        raise ValueError("x and y must have the same length")
    cdef floating af = <floating>a
    with nogil:
        for i in range(n):
            y[i] = y[i] + af * x[i]


# ------------------------------------------------------------- activations
# Codes of the activations with a fused kernel (``_fused.py`` maps option names),
# defined in C so that the C row loops below dispatch on the same names.
cdef extern from *:
    """
    enum { SKP_IDENTITY = 0, SKP_RELU = 1, SKP_LOGISTIC = 2, SKP_TANH = 3 };
    """
    enum:
        K_IDENTITY "SKP_IDENTITY"
        K_RELU "SKP_RELU"
        K_LOGISTIC "SKP_LOGISTIC"
        K_TANH "SKP_TANH"

IDENTITY, RELU, LOGISTIC, TANH = K_IDENTITY, K_RELU, K_LOGISTIC, K_TANH


cdef extern from *:
    """
    /* The activation kernels' loops over rows of unit stride (row i at p + i * ld),
       cloned for AVX-512 and AVX2 as Adam's update is: GCC vectorises each inner loop
       to compares, blends and multiplies, twice to three times faster than the
       baseline build. Per element the same operations as the numpy lines (relu:
       np.maximum(z, 0) is 0 when z <= 0, so -0.0 becomes +0.0 and NaN stays; its
       derivative d * (a > 0), so inf and NaN in d stay visible). */
    #define SKP_FORWARD_ROWS(NAME, T, EXPR)                                           \\
    SKP_CLONES static void NAME(T *z, const T *b, Py_ssize_t rows, Py_ssize_t cols,   \\
                                Py_ssize_t ld) {                                      \\
        for (Py_ssize_t i = 0; i < rows; i++) {                                       \\
            T *r = z + i * ld;                                                        \\
            for (Py_ssize_t j = 0; j < cols; j++) {                                   \\
                T x = r[j] + b[j];                                                    \\
                r[j] = EXPR;                                                          \\
            }                                                                         \\
        }                                                                             \\
    }
    SKP_FORWARD_ROWS(skp_bias_relu_f, float, x <= 0 ? 0 : x)
    SKP_FORWARD_ROWS(skp_bias_relu_d, double, x <= 0 ? 0 : x)
    SKP_FORWARD_ROWS(skp_bias_f, float, x)
    SKP_FORWARD_ROWS(skp_bias_d, double, x)
    #define SKP_BACKWARD_ROWS(NAME, T, EXPR)                                          \\
    SKP_CLONES static void NAME(const T *A, T *D, Py_ssize_t rows, Py_ssize_t cols,   \\
                                Py_ssize_t lda, Py_ssize_t ldd) {                     \\
        for (Py_ssize_t i = 0; i < rows; i++) {                                       \\
            const T *ar = A + i * lda;                                                \\
            T *dr = D + i * ldd;                                                      \\
            for (Py_ssize_t j = 0; j < cols; j++) {                                   \\
                T a = ar[j], d = dr[j];                                               \\
                dr[j] = EXPR;                                                         \\
            }                                                                         \\
        }                                                                             \\
    }
    /* The delta below a one-unit layer: d = dv[i] * w[j], then the same EXPR. */
    #define SKP_OUTER_ROWS(NAME, T, EXPR)                                             \\
    SKP_CLONES static void NAME(const T *dv, const T *w, const T *A, T *O,            \\
                                Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t lda,     \\
                                Py_ssize_t ldo) {                                     \\
        for (Py_ssize_t i = 0; i < rows; i++) {                                       \\
            const T *ar = A + i * lda;                                                \\
            T *orow = O + i * ldo;                                                    \\
            T di = dv[i];                                                             \\
            for (Py_ssize_t j = 0; j < cols; j++) {                                   \\
                T a = ar[j], d = di * w[j];                                           \\
                orow[j] = EXPR;                                                       \\
            }                                                                         \\
        }                                                                             \\
    }
    /* Each derivative once, for both loops and both dtypes ((a > 0) is 0 or 1). */
    #define SKP_FOR_DERIVATIVES(LOOP, STEM)                                           \\
    LOOP(skp_relu_##STEM##_f, float, d * (a > 0))                                     \\
    LOOP(skp_relu_##STEM##_d, double, d * (a > 0))                                    \\
    LOOP(skp_logistic_##STEM##_f, float, (d * a) - (d * a) * a)                       \\
    LOOP(skp_logistic_##STEM##_d, double, (d * a) - (d * a) * a)                      \\
    LOOP(skp_tanh_##STEM##_f, float, d - (d * a) * a)                                 \\
    LOOP(skp_tanh_##STEM##_d, double, d - (d * a) * a)
    SKP_FOR_DERIVATIVES(SKP_BACKWARD_ROWS, backward)
    SKP_FOR_DERIVATIVES(SKP_OUTER_ROWS, outer)
    SKP_OUTER_ROWS(skp_identity_outer_f, float, ((void)a, d))
    SKP_OUTER_ROWS(skp_identity_outer_d, double, ((void)a, d))
    /* One entry per dtype, dispatching on the activation code. */
    #define SKP_ROWS_DISPATCH(SUFFIX, T)                                              \\
    static void skp_forward_rows_##SUFFIX(T *z, const T *b, Py_ssize_t rows,          \\
                                          Py_ssize_t cols, Py_ssize_t ld, int kind) { \\
        if (kind == SKP_RELU) skp_bias_relu_##SUFFIX(z, b, rows, cols, ld);           \\
        else skp_bias_##SUFFIX(z, b, rows, cols, ld);                                 \\
    }                                                                                 \\
    static void skp_backward_rows_##SUFFIX(const T *A, T *D, Py_ssize_t rows,         \\
                                           Py_ssize_t cols, Py_ssize_t lda,           \\
                                           Py_ssize_t ldd, int kind) {                \\
        if (kind == SKP_RELU)                                                         \\
            skp_relu_backward_##SUFFIX(A, D, rows, cols, lda, ldd);                   \\
        else if (kind == SKP_LOGISTIC)                                                \\
            skp_logistic_backward_##SUFFIX(A, D, rows, cols, lda, ldd);               \\
        else                                                                          \\
            skp_tanh_backward_##SUFFIX(A, D, rows, cols, lda, ldd);                   \\
    }                                                                                 \\
    static void skp_outer_rows_##SUFFIX(const T *dv, const T *w, const T *A, T *O,    \\
                                        Py_ssize_t rows, Py_ssize_t cols,             \\
                                        Py_ssize_t lda, Py_ssize_t ldo, int kind) {   \\
        if (kind == SKP_RELU)                                                         \\
            skp_relu_outer_##SUFFIX(dv, w, A, O, rows, cols, lda, ldo);               \\
        else if (kind == SKP_LOGISTIC)                                                \\
            skp_logistic_outer_##SUFFIX(dv, w, A, O, rows, cols, lda, ldo);           \\
        else if (kind == SKP_TANH)                                                    \\
            skp_tanh_outer_##SUFFIX(dv, w, A, O, rows, cols, lda, ldo);               \\
        else                                                                          \\
            skp_identity_outer_##SUFFIX(dv, w, A, O, rows, cols, lda, ldo);           \\
    }
    SKP_ROWS_DISPATCH(f, float)
    SKP_ROWS_DISPATCH(d, double)
    """
    void skp_forward_rows_f(float*, const float*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                            int) noexcept nogil
    void skp_forward_rows_d(double*, const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                            int) noexcept nogil
    void skp_backward_rows_f(const float*, float*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                             Py_ssize_t, int) noexcept nogil
    void skp_backward_rows_d(const double*, double*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                             Py_ssize_t, int) noexcept nogil
    void skp_outer_rows_f(const float*, const float*, const float*, float*, Py_ssize_t,
                          Py_ssize_t, Py_ssize_t, Py_ssize_t, int) noexcept nogil
    void skp_outer_rows_d(const double*, const double*, const double*, double*, Py_ssize_t,
                          Py_ssize_t, Py_ssize_t, Py_ssize_t, int) noexcept nogil


cdef inline floating _relu(floating z) noexcept nogil:
    # np.maximum(z, 0): NaN propagates (NaN <= 0 is false), -0.0 becomes +0.0 (numpy
    # returns the zero argument when the two compare equal).
    return 0 if z <= 0 else z


cdef inline Py_ssize_t _row_stride(Py_ssize_t* strides, Py_ssize_t itemsize) noexcept nogil:
    """Elements between rows when rows have unit stride, else -1 (the generic loop)."""
    if strides[1] != itemsize or strides[0] % itemsize != 0:
        return -1
    return strides[0] // itemsize


cdef inline void _forward_rows(floating* z, const floating* b, Py_ssize_t rows,
                               Py_ssize_t cols, Py_ssize_t ld, int kind) noexcept nogil:
    if floating is float:
        skp_forward_rows_f(z, b, rows, cols, ld, kind)
    else:
        skp_forward_rows_d(z, b, rows, cols, ld, kind)


def bias_activation(floating[:, :] Z, const floating[::1] b, int kind):
    """``Z += b`` then ``Z = f(Z)`` in place, in one pass; ``kind`` IDENTITY or RELU.

    Equals bit for bit ``Z += b; np.maximum(Z, 0, out=Z)`` (relu) or ``Z += b``.
    """
    cdef Py_ssize_t rows = Z.shape[0], cols = Z.shape[1], i, j
    if b.shape[0] != cols:
        raise ValueError(f"bias has {b.shape[0]} entries for {cols} columns")
    if kind != K_IDENTITY and kind != K_RELU:
        raise ValueError(f"no fused forward kernel for activation code {kind}")
    if rows == 0 or cols == 0:
        return
    cdef Py_ssize_t ld = _row_stride(Z.strides, sizeof(floating))
    with nogil:
        if ld >= 0:
            _forward_rows(&Z[0, 0], &b[0], rows, cols, ld, kind)
        else:
            for i in range(rows):
                for j in range(cols):
                    if kind == K_RELU:
                        Z[i, j] = _relu(Z[i, j] + b[j])
                    else:
                        Z[i, j] = Z[i, j] + b[j]


cdef inline floating _backward(floating a, floating d, int kind) noexcept nogil:
    # The generic loops' derivative, as the rows' EXPR above.
    cdef floating t
    if kind == K_RELU:
        return d * <floating>(a > 0)
    if kind == K_LOGISTIC:
        # delta *= A; delta -= delta * A
        t = d * a
        return t - t * a
    if kind == K_TANH:
        # delta -= delta * A * A
        return d - (d * a) * a
    return d


cdef inline void _backward_rows(const floating* A, floating* D, Py_ssize_t rows,
                                Py_ssize_t cols, Py_ssize_t lda, Py_ssize_t ldd,
                                int kind) noexcept nogil:
    if floating is float:
        skp_backward_rows_f(A, D, rows, cols, lda, ldd, kind)
    else:
        skp_backward_rows_d(A, D, rows, cols, lda, ldd, kind)


def activation_backward(const floating[:, :] A, floating[:, :] delta, int kind):
    """Multiply ``delta`` in place by ``f'(Z)`` written from the output ``A = f(Z)``.

    Bit for bit the numpy lines of ``_activations``: relu ``np.multiply(delta, A > 0,
    out=delta)``, logistic ``delta *= A; delta -= delta * A``, tanh
    ``delta -= delta * A * A``; identity leaves ``delta`` as it is.
    """
    cdef Py_ssize_t rows = delta.shape[0], cols = delta.shape[1], i, j
    if A.shape[0] != rows or A.shape[1] != cols:
        raise ValueError("A and delta must have the same shape")
    if kind not in (K_IDENTITY, K_RELU, K_LOGISTIC, K_TANH):
        raise ValueError(f"no fused backward kernel for activation code {kind}")
    if rows == 0 or cols == 0 or kind == K_IDENTITY:
        return
    cdef Py_ssize_t lda = _row_stride(A.strides, sizeof(floating))
    cdef Py_ssize_t ldd = _row_stride(delta.strides, sizeof(floating))
    with nogil:
        if lda >= 0 and ldd >= 0:
            _backward_rows(&A[0, 0], &delta[0, 0], rows, cols, lda, ldd, kind)
        else:
            for i in range(rows):
                for j in range(cols):
                    delta[i, j] = _backward(A[i, j], delta[i, j], kind)


def outer_backward(const floating[::1] d, const floating[::1] w, const floating[:, :] A,
                   floating[:, :] out, int kind):
    """``out = d[:, None] * w[None, :]`` then ``out *= f'(Z)`` from ``A``, in one pass.

    The delta below a layer of one unit: its product ``delta @ W.T`` has an inner
    dimension of one, i.e. it is this outer product (each entry one rounded product, as
    in any matmul), which numpy's ``matmul`` computes in a slow loop that does not use
    BLAS. Bit for bit ``np.multiply(d[:, None], w, out=out)`` followed by
    :func:`activation_backward` with the same ``kind``.
    """
    cdef Py_ssize_t rows = out.shape[0], cols = out.shape[1], i, j
    if d.shape[0] != rows or w.shape[0] != cols or A.shape[0] != rows or A.shape[1] != cols:
        raise ValueError("d, w, A and out do not match: need d (n,), w (m,), A and out (n, m)")
    if kind not in (K_IDENTITY, K_RELU, K_LOGISTIC, K_TANH):
        raise ValueError(f"no fused backward kernel for activation code {kind}")
    if rows == 0 or cols == 0:
        return
    cdef Py_ssize_t lda = _row_stride(A.strides, sizeof(floating))
    cdef Py_ssize_t ldo = _row_stride(out.strides, sizeof(floating))
    with nogil:
        if lda >= 0 and ldo >= 0:
            if floating is float:
                skp_outer_rows_f(&d[0], &w[0], &A[0, 0], &out[0, 0], rows, cols, lda, ldo, kind)
            else:
                skp_outer_rows_d(&d[0], &w[0], &A[0, 0], &out[0, 0], rows, cols, lda, ldo, kind)
        else:
            for i in range(rows):
                for j in range(cols):
                    out[i, j] = _backward(A[i, j], d[i] * w[j], kind)


# ------------------------------------------------------------------ gather
cdef extern from *:
    """
    /* A read prefetch into every cache level. GCC and clang only; elsewhere a no-op
       (the copy is the same, only slower). */
    #if defined(__GNUC__) || defined(__clang__)
    #define SKP_PREFETCH(p) __builtin_prefetch((p), 0, 3)
    #else
    #define SKP_PREFETCH(p) ((void)(p))
    #endif
    """
    void SKP_PREFETCH(const void* p) noexcept nogil

# How many rows ahead of the one being copied ``take_rows`` prefetches.
cdef Py_ssize_t PREFETCH_ROWS = 2


cdef inline Py_ssize_t _clip(int64_t r, Py_ssize_t n) noexcept nogil:
    if r < 0:
        return 0
    if r >= n:
        return n - 1
    return <Py_ssize_t>r


def take_rows(const floating[:, ::1] X, const int64_t[::1] rows, floating[:, ::1] out):
    """``out[:len(rows)] = X[rows]``, bit for bit ``np.take(X, rows, axis=0,
    mode="clip")``, prefetching the rows ahead.

    A minibatch's rows lie at random places of ``X``, out of cache: copied one after
    the other, each row's first cache lines wait on memory. The prefetch asks for every
    line of the row ``PREFETCH_ROWS`` ahead while this one is copied, so that those
    waits overlap (in the training loop 15-27% less time than ``np.take``,
    ``notes/mlp.md``).
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], k = rows.shape[0], i, j, ahead
    cdef Py_ssize_t line = 64 // sizeof(floating)
    if out.shape[0] < k or out.shape[1] != d:
        raise ValueError("out must have at least len(rows) rows and X's columns")
    if k == 0 or d == 0:
        return
    if n == 0:
        raise IndexError("cannot take rows from an empty array")
    with nogil:
        for i in range(k):
            if i + PREFETCH_ROWS < k:
                ahead = _clip(rows[i + PREFETCH_ROWS], n)
                for j in range((d + line - 1) // line):
                    SKP_PREFETCH(&X[ahead, j * line])
            memcpy(&out[i, 0], &X[_clip(rows[i], n), 0], d * sizeof(floating))


# ------------------------------------------------------------------ softmax
def subtract_row_max(const floating[:, :] Z, floating[:, :] out, floating[::1] z_max):
    """``z_max = Z.max(axis=1)`` and ``out = Z - z_max[:, None]``, in one pass.

    The softmax's shift. A maximum is exact, so ``z_max`` is numpy's up to the sign of a
    zero (which no later step can see: ``x - (+-0)`` differs only for ``x = -0``, whose
    exponential is 1 either way); NaN propagates as in ``np.max``. numpy reduces rows
    of a few classes slowly: for 256 x 10 float32, 15 us for its max and subtraction,
    4 us for this call through ``_fused`` (``notes/mlp.md``).
    """
    cdef Py_ssize_t rows = Z.shape[0], cols = Z.shape[1], i, j
    if out.shape[0] != rows or out.shape[1] != cols or z_max.shape[0] != rows:
        raise ValueError("Z, out and z_max do not match: need Z and out (n, m), z_max (n,)")
    if cols == 0:
        raise ValueError("the maximum of an empty row is undefined")
    cdef floating m, x
    with nogil:
        for i in range(rows):
            m = Z[i, 0]
            for j in range(1, cols):
                x = Z[i, j]
                if x > m or x != x:
                    m = x
                if m != m:
                    break
            z_max[i] = m
            for j in range(cols):
                out[i, j] = Z[i, j] - m
