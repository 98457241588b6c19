"""skperceptron side by side with scikit-learn (and PyTorch CPU when importable).

Every case runs the libraries on identical data and settings in one process, the
contenders alternating inside each repeat so that machine noise hits them alike, and
prints medians, min-max and ratios as a markdown table. Each MLP case also measures the
*GEMM floor*: the time of exactly the matrix products of the step's shapes alone, each
by BLAS GEMM, the limit a numpy implementation can approach (L-BFGS: the faster of the
products on all rows at once and in the row blocks the library's objective uses).

Timing: with 1 BLAS thread the process CPU time (robust on a shared machine); with more
threads the wall time (CPU time would count the threads' spinning). Seconds per epoch
are steady-state: a fit of 1 + E epochs minus a fit of 1 epoch, divided by E.

    python benchmarks/run.py                    # full sizes, threads 1 and 2
    python benchmarks/run.py --quick            # small sizes, a minute or two
    python benchmarks/run.py --threads 1 --repeats 5

Each thread count limits BLAS and OpenMP (the compiled kernels) alike.
"""

import argparse
import gc
import os
import pickle
import platform
import time
import tracemalloc
import warnings
from contextlib import contextmanager
from functools import partial

import numpy as np
import scipy.linalg.blas
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Perceptron
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

import skperceptron
from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier, _fused
from skperceptron._network import objective_block_rows

try:  # PyTorch is never a dependency; it only adds a column when present.
    import torch
except ImportError:
    torch = None


# ------------------------------------------------------------------ harness
class Clock:
    """Seconds of CPU time with one thread, of wall time with more."""

    def __init__(self, threads):
        self.now = time.process_time if threads == 1 else time.perf_counter


def interleave(contenders, repeats):
    """Run each contender once per repeat, alternating, the order rotated by one each
    repeat (so that no contender always follows the same one); returns name -> seconds
    list."""
    names = list(contenders)
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            times[name].append(contenders[name]())
    return times


@contextmanager
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def stats(values):
    v = np.asarray(values, dtype=float)
    return float(np.median(v)), float(v.min()), float(v.max())


def fmt(values, scale=1.0, digits=3):
    if values is None:
        return "—"
    med, lo, hi = stats(np.asarray(values) * scale)
    return f"{med:.{digits}g} ({lo:.{digits}g}–{hi:.{digits}g})"


def ratio(a, b):
    return "—" if a is None or b is None else f"{stats(a)[0] / stats(b)[0]:.2f}"


# --------------------------------------------------------------- GEMM floor
def _gemm_into(a, b_t, out):
    """``out[...] = a @ b_t.T`` by BLAS GEMM.

    numpy's ``matmul`` runs an inner dimension of one (the delta product below a
    one-unit output layer, an outer product) in its own loop without BLAS, 4x slower
    than GEMM (2500x1 @ 1x100 float64: 250 us against 57 us); the floor times BLAS's
    GEMM, so those go to SciPy's, computing ``out.T = b_t @ a.T`` into the C-ordered
    ``out`` seen as Fortran-ordered."""
    if a.shape[1] != 1:
        np.matmul(a, b_t.T, out=out)
        return
    gemm = scipy.linalg.blas.dgemm if out.dtype == np.float64 else scipy.linalg.blas.sgemm
    gemm(1.0, b_t, a, trans_b=True, beta=0.0, c=out.T, overwrite_c=True)


def mlp_gemm_floor(clock, n_features, hidden, n_outputs, batch_sizes, dtype):
    """Time of one epoch's matrix products alone, each by BLAS GEMM: per minibatch the
    forward products, the weight-gradient products and the delta products (none for
    the input layer)."""
    units = [n_features, *hidden, n_outputs]
    rng = np.random.default_rng(0)
    b_max = max(batch_sizes)
    # Realistic magnitudes everywhere: uninitialised memory or overflowing products
    # can hold denormals, which slow BLAS kernels down by orders of magnitude.
    normal = lambda *shape: (0.05 * rng.standard_normal(shape)).astype(dtype)  # noqa: E731
    X = normal(b_max, n_features)
    W = [normal(i, o) for i, o in zip(units[:-1], units[1:], strict=True)]
    A = [normal(b_max, o) for o in units[1:]]
    G = [np.empty_like(w) for w in W]
    D = [normal(b_max, o) for o in units[1:]]
    start = clock.now()
    for b in batch_sizes:
        inputs = [X[:b]] + [a[:b] for a in A[:-1]]
        for i, w in enumerate(W):
            np.matmul(inputs[i], w, out=A[i][:b])
        for i in range(len(W) - 1, -1, -1):
            np.matmul(inputs[i].T, D[i][:b], out=G[i])
            if i > 0:
                _gemm_into(D[i][:b], W[i], D[i - 1][:b])
    return clock.now() - start


def steady_epoch(make, X, y, epochs, clock):
    """Seconds per epoch of ``make(max_iter).fit``: a fit of 1 + epochs epochs minus a
    fit of one, so that validation and initialisation (paid once per fit) cancel out."""

    def run():
        seconds = []
        for max_iter in (1, 1 + epochs):
            est = make(max_iter)
            with quiet():
                start = clock.now()
                est.fit(X, y)
                seconds.append(clock.now() - start)
        return (seconds[1] - seconds[0]) / epochs

    return run


def batch_sizes(n, batch):
    return [min(batch, n - s) for s in range(0, n, batch)]


# ------------------------------------------------- Adam before the kernel
def numpy_adam_update(opt, theta, grad, buf):
    """One ``Adam.step`` of ``opt`` as it was before the one-pass kernel: nine passes over
    the parameters through BLAS ``axpy``/``scal`` and numpy, ``buf`` a scratch vector
    (no weight decay here)."""
    from scipy.linalg import blas  # the BLAS calls of that body, in place on contiguous

    single = theta.dtype == np.float32
    raw_axpy, raw_scal = (blas.saxpy, blas.sscal) if single else (blas.daxpy, blas.dscal)

    def axpy(a, x, y):
        raw_axpy(x, y, a=a)

    def scal(a, x):
        raw_scal(a, x)

    s = opt.state
    s["t"] += 1
    lr = float(opt.learning_rate)
    m, v = s["m"], s["v"]
    scal(opt.beta_1, m)
    axpy(1.0 - opt.beta_1, grad, m)
    np.square(grad, out=buf)
    scal(opt.beta_2, v)
    axpy(1.0 - opt.beta_2, buf, v)
    np.sqrt(v, out=buf)
    np.add(buf, opt.epsilon, out=buf)
    np.divide(m, buf, out=buf)
    axpy(-lr, buf, theta)


def _numpy_adam_step(self, theta, grad, l2=None):
    """``Adam.step`` replaced by :func:`numpy_adam_update`, with a reused scratch; the L2
    term the objective left to the step is added to ``grad`` in place first, by BLAS
    ``axpy``, as the objective did before the one-pass kernel."""
    if l2 is not None:
        from scipy.linalg import blas

        axpy = blas.saxpy if theta.dtype == np.float32 else blas.daxpy
        axpy(theta[: l2.n], grad[: l2.n], a=l2.coef)
    buf = _SCRATCH.get(theta.shape + (theta.dtype,))
    if buf is None:
        buf = _SCRATCH.setdefault(theta.shape + (theta.dtype,), np.empty_like(theta))
    numpy_adam_update(self, theta, grad, buf)


_SCRATCH = {}


def with_numpy_adam(run):
    """``run`` with ``Adam.step`` swapped for the pre-kernel numpy body meanwhile."""
    from skperceptron._optimizers import Adam

    def patched():
        original = Adam.step
        Adam.step = _numpy_adam_step
        try:
            return run()
        finally:
            Adam.step = original

    return patched


# ------------------------------------------------------------------- torch
def torch_epoch_seconds(clock, X, y, hidden, batch, epochs, classification, threads):
    """Seconds per epoch of the same network and Adam (the L2 term of scikit-learn's
    ``alpha=1e-4`` on the weights, not the biases) in PyTorch: one epoch untimed, then
    ``epochs`` timed, as the other contenders' steady state."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    n_out = int(y.max()) + 1 if classification else 1
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, n_out)).to(dtype)
    weights = [p for p in model.parameters() if p.ndim == 2]
    biases = [p for p in model.parameters() if p.ndim == 1]
    # scikit-learn's penalty alpha / 2 * ||W||^2 / batch: gradient alpha / batch * W.
    opt = torch.optim.Adam([{"params": weights, "weight_decay": 1e-4 / batch},
                            {"params": biases}], lr=1e-3)
    Xt = torch.from_numpy(X)
    targets = y.astype(np.int64) if classification else y.astype(X.dtype).reshape(-1, 1)
    yt = torch.from_numpy(targets)
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    start = None
    for epoch in range(1 + epochs):
        if epoch == 1:
            start = clock.now()
        perm = torch.randperm(len(Xt))
        for s in range(0, len(Xt), batch):
            idx = perm[s : s + batch]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return (clock.now() - start) / epochs


# -------------------------------------------------------------------- cases
def adam_epoch_case(threads, args, classification, dtype):
    clock = Clock(threads)
    if classification:
        n, d, hidden = (15_000 if args.quick else 60_000), 784, (256, 128)
        X, y = make_classification(n, d, n_informative=50, n_classes=10, random_state=0)
        Ours, Theirs, n_out = MLPClassifier, SkMLPClassifier, 10
        name = f"MLPClassifier Adam {n}×{d} (256,128) {np.dtype(dtype).name}: s/epoch"
    else:
        n, d, hidden = (12_500 if args.quick else 50_000), 50, (256, 128)
        X, y = make_regression(n, d, n_informative=20, noise=1.0, random_state=0)
        y = (y - y.mean()) / y.std()
        Ours, Theirs, n_out = MLPRegressor, SkMLPRegressor, 1
        name = f"MLPRegressor Adam {n}×{d} (256,128) {np.dtype(dtype).name}: s/epoch"
    X = X.astype(dtype)
    epochs = 1 if args.quick else 2
    params = dict(hidden_layer_sizes=hidden, solver="adam", batch_size=256,
                  tol=0.0, n_iter_no_change=np.inf, random_state=0)

    def fit(Estimator):
        return steady_epoch(lambda k: Estimator(max_iter=k, **params), X, y, epochs, clock)

    contenders = {"ours": fit(Ours), "sklearn": fit(Theirs)}
    if args.numpy_adam:
        contenders["ours, numpy Adam"] = with_numpy_adam(fit(Ours))
    contenders["floor"] = lambda: mlp_gemm_floor(
        clock, d, hidden, n_out, batch_sizes(n, 256), dtype
    )
    if torch is not None:
        contenders["torch"] = lambda: torch_epoch_seconds(
            clock, X, y, hidden, 256, epochs, classification, threads
        )
    return name, interleave(contenders, args.repeats)


def lbfgs_case(threads, args):
    clock = Clock(threads)
    n, d = (2_500 if args.quick else 10_000), 100
    X, y = make_classification(n, d, n_informative=30, random_state=0)
    counts = {}

    def counting(cls, method):
        original = getattr(cls, method)

        def wrapper(*a, **k):
            counts[cls] = counts.get(cls, 0) + 1
            return original(*a, **k)

        return original, wrapper

    from skperceptron._network import Objective
    info = {}

    def fit(Estimator, cls, method):
        def run():
            original, wrapper = counting(cls, method)
            setattr(cls, method, wrapper)
            counts[cls] = 0
            try:
                est = Estimator(
                    hidden_layer_sizes=(100,), solver="lbfgs", max_iter=200, random_state=0
                )
                with quiet():
                    start = clock.now()
                    est.fit(X, y)
                    seconds = clock.now() - start
            finally:
                setattr(cls, method, original)
            info[Estimator] = (counts[cls], est.loss_)
            return seconds / counts[cls]
        return run

    block = min(n, objective_block_rows([d, 100, 1], np.float64))
    layouts = {"all rows": [n]}  # layout -> the row counts of one evaluation's products
    if block < n:  # otherwise the objective runs one block: the same products
        layouts[f"blocks of {block} rows"] = batch_sizes(n, block)
    floors = {layout: [] for layout in layouts}

    def floor():
        # Averaged over as many evaluations as our fit made, so that the floor and the
        # figure it divides are means over windows of the same length (one 20 ms
        # sample of the floor alone swung by 20% between repeats). The same products
        # two ways: on all rows at once (scikit-learn's shapes) and in the blocks our
        # objective works in (its shapes, in cache); the floor is the faster.
        evaluations = info.get(MLPClassifier, (16,))[0]
        for layout, rows in layouts.items():
            seconds = mlp_gemm_floor(clock, d, (100,), 1, rows * evaluations, np.float64)
            floors[layout].append(seconds / evaluations)
        return min(values[-1] for values in floors.values())

    contenders = {
        "ours": fit(MLPClassifier, Objective, "value_and_grad"),
        "sklearn": fit(SkMLPClassifier, SkMLPClassifier, "_loss_grad_lbfgs"),
        "floor": floor,
    }
    times = interleave(contenders, args.repeats)
    note = "evaluations to converge / final loss: ours %d / %.3g, scikit-learn %d / %.3g" % (
        *info[MLPClassifier], *info[SkMLPClassifier])
    note += "; floor " + ", ".join(f"{layout} {fmt(values, digits=3)} s"
                                   for layout, values in floors.items())
    return f"L-BFGS {n}×{d} (100,): s/evaluation", times, note


def _fitted_pair(d, n_rows, dtype, hidden=(256, 128)):
    X, y = make_classification(n_rows, d, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(dtype)
    with quiet():
        ours = MLPClassifier(hidden, max_iter=1, random_state=0).fit(X, y)
        theirs = SkMLPClassifier(hidden, max_iter=1, random_state=0).fit(X, y)
    return ours, theirs


def predict_case(threads, args):
    clock = Clock(threads)
    n = 20_000 if args.quick else 100_000
    ours, theirs = _fitted_pair(784, 2_000, np.float32)
    X = np.random.default_rng(0).standard_normal((n, 784), dtype=np.float32)
    rows = {}
    for method in ("predict", "predict_proba"):
        def call(est, method=method):
            def run():
                start = clock.now()
                getattr(est, method)(X)
                return clock.now() - start
            return run
        rows[method] = interleave({"ours": call(ours), "sklearn": call(theirs)}, args.repeats)
    return n, rows


def predict_memory_case(args):
    n = 100_000 if args.quick else 1_000_000
    ours, theirs = _fitted_pair(784, 2_000, np.float32)
    X = np.random.default_rng(0).standard_normal((n, 784), dtype=np.float32)
    peaks, seconds = {}, {}
    for name, est in (("ours", ours), ("sklearn", theirs)):
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        est.predict(X)
        seconds[name] = time.perf_counter() - start
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return n, peaks, seconds


def perceptron_case(threads, args, n_classes):
    clock = Clock(threads)
    n = 30_000 if args.quick else 100_000
    X, y = make_classification(n + 20_000, 100, n_informative=30, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=0)
    X_train, y_train, X_test, y_test = X[:n], y[:n], X[n:], y[n:]
    params = dict(max_iter=20, tol=None, random_state=0)
    scores = {}

    def fit(Estimator, name):
        def run():
            est = Estimator(**params)
            with quiet():
                start = clock.now()
                est.fit(X_train, y_train)
                seconds = clock.now() - start
            scores[name] = est.score(X_test, y_test)
            return seconds
        return run

    contenders = {"ours": fit(PerceptronClassifier, "ours"), "sklearn": fit(Perceptron, "sklearn")}
    times = interleave(contenders, args.repeats)
    note = "held-out accuracy ours %.4f, scikit-learn %.4f" % (scores["ours"], scores["sklearn"])
    return f"Perceptron {n}×100, {n_classes} classes, 20 epochs: s/fit", times, note


def pickle_case():
    X, y = make_classification(2_000, 784, n_informative=50, n_classes=10, random_state=0)
    with quiet():
        ours = MLPClassifier((256, 256), max_iter=1, random_state=0).fit(X, y)
        theirs = SkMLPClassifier((256, 256), max_iter=1, random_state=0).fit(X, y)
    weight_bytes = lambda est: sum(a.nbytes for a in est.coefs_ + est.intercepts_)
    result = {
        "ours (training state kept)": len(pickle.dumps(ours)) / weight_bytes(ours),
        "scikit-learn": len(pickle.dumps(theirs)) / weight_bytes(theirs),
    }
    if hasattr(ours, "drop_training_state"):
        dropped = pickle.dumps(ours.drop_training_state())
        result["ours (after drop_training_state())"] = len(dropped) / weight_bytes(ours)
    return result


# --------------------------------------------------------------------- main
def cpu_model():
    """The processor's name (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return f"{platform.machine()} {line.split(':', 1)[1].strip()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def print_row(notes, name, t, note=None):
    """One case's table row; its note, if any, goes to ``notes`` (printed under the table)."""
    if "ours, numpy Adam" in t:
        numpy_adam = t["ours, numpy Adam"]
        extra = (f"ours with the numpy Adam step (before the kernel): "
                 f"{fmt(numpy_adam)} s, {ratio(numpy_adam, t.get('floor'))}x "
                 f"the floor; kernel / numpy Adam {ratio(t['ours'], numpy_adam)}")
        note = extra if note is None else f"{note}; {extra}"
    print(f"| {name} | {fmt(t['ours'])} | {fmt(t['sklearn'])} | "
          f"{ratio(t['ours'], t['sklearn'])} | {fmt(t.get('floor'))} | "
          f"{ratio(t['ours'], t.get('floor'))} | {ratio(t['sklearn'], t.get('floor'))} | "
          f"{fmt(t.get('torch'))} | {ratio(t.get('torch'), t.get('floor'))} |", flush=True)
    if note:
        notes.append(f"{name}: {note}")


CASE_KEYS = ("adam", "lbfgs", "predict", "memory", "perceptron", "pickle")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    parser.add_argument("--threads", default="1,2", help="BLAS thread counts, e.g. 1,2")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--numpy-adam", action="store_true",
                        help="adam cases: also time ours with the pre-kernel numpy Adam step")
    parser.add_argument(
        "--only", default=None, help="comma-separated case keys: " + ",".join(CASE_KEYS),
    )
    args = parser.parse_args()
    args.repeats = args.repeats or (3 if args.quick else 5)
    only = set(args.only.split(",")) if args.only else None
    unknown = sorted(only - set(CASE_KEYS)) if only else []
    if unknown:
        parser.error(f"unknown case keys {unknown}; choose from {','.join(CASE_KEYS)}")
    wanted = lambda key: only is None or key in only

    blas = [
        f"{i['internal_api']} {i['version']} ({i.get('threading_layer', '')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"# skperceptron {skperceptron.__version__} vs scikit-learn {sklearn.__version__}"
          + (f" vs PyTorch {torch.__version__}" if torch else ""))
    print()
    print(f"Machine: {cpu_model()}, {os.cpu_count()} logical cores, "
          f"Python {platform.python_version()}, "
          f"numpy {np.__version__}, BLAS {', '.join(blas)}; compiled kernels with OpenMP: "
          f"{_fused.OPENMP}; repeats {args.repeats}"
          f"{', quick sizes' if args.quick else ''}.")
    print()

    for threads in [int(t) for t in args.threads.split(",")]:
        # OpenMP (the compiled kernels' prange, and PyTorch's own pool is set per case)
        # gets the same count as BLAS, so that no row uses more threads than it says.
        with threadpool_limits(limits=threads, user_api="blas"), \
                threadpool_limits(limits=threads, user_api="openmp"):
            kind = "process CPU time" if threads == 1 else "wall time"
            plural = "s" if threads > 1 else ""
            print(f"## {threads} BLAS thread{plural} ({kind}); medians (min–max)")
            print()
            print("| case | skperceptron | scikit-learn | ratio | GEMM floor "
                  "| ours / floor | sklearn / floor | PyTorch | PyTorch / floor |")
            print("|---|---|---|---|---|---|---|---|---|")
            notes = []
            row = partial(print_row, notes)

            if wanted("adam"):
                for dtype in (np.float32, np.float64):
                    row(*adam_epoch_case(threads, args, True, dtype))
                row(*adam_epoch_case(threads, args, False, np.float64))
            if wanted("lbfgs"):
                row(*lbfgs_case(threads, args))
            if wanted("predict"):
                n, rows = predict_case(threads, args)
                for method, t in rows.items():
                    rates = {k: [n / s for s in v] for k, v in t.items()}
                    print(f"| {method} {n}×784 float32: rows/s | {fmt(rates['ours'])} | "
                          f"{fmt(rates['sklearn'])} | {ratio(rates['ours'], rates['sklearn'])} "
                          "(higher is better) | — | — | — | — | — |", flush=True)
            if wanted("perceptron"):
                for n_classes in (2, 10):
                    row(*perceptron_case(threads, args, n_classes))
            print()
            for note in notes:
                print(f"- {note}")
            print()

    if wanted("memory"):
        n, peaks, seconds = predict_memory_case(args)
        print(f"## Peak extra memory of predict on {n:,}×784 float32 "
              "(tracemalloc, default settings)")
        print()
        print("| library | peak MiB | seconds (wall) | rows/s |")
        print("|---|---|---|---|")
        for name in peaks:
            print(f"| {name} | {peaks[name]:.1f} | {seconds[name]:.2f} "
                  f"| {n / seconds[name]:,.0f} |")
        print()
    if wanted("pickle"):
        print("## Pickle size of a fitted (256, 256) Adam model / bytes of its weights")
        print()
        for name, value in pickle_case().items():
            print(f"- {name}: {value:.2f}×")
        print()


if __name__ == "__main__":
    main()
