"""PerceptronClassifier vs scikit-learn's Perceptron: fit time and accuracy.

Same data (100,000 x 100, binary and 10-class), 20 epochs, tol=None, in one process;
the two fits alternate within each repeat so that machine noise hits both alike. Prints
the median fit time of each, their ratio (ours / scikit-learn's, < 1 is faster) and the
held-out accuracy of each, at 1 and 2 BLAS threads, with shuffle=True (the default: each
one-vs-rest class in its own pass, in scikit-learn's row order) and shuffle=False (all
classes in one pass over each row).

    python benchmarks/bench_perceptron.py            # 5 repeats
    python benchmarks/bench_perceptron.py --quick    # 2 repeats, 30,000 rows
    python benchmarks/bench_perceptron.py --binary-proba
    python benchmarks/bench_perceptron.py --kernel

``--binary-proba`` instead measures binary ``predict_proba`` on 14 (dataset, seed) cases:
held-out log loss divided by that of ``CalibratedClassifierCV(Perceptron(), "sigmoid")``
for the estimator and for other monotone maps of the same decision score, each fitted on
the estimator's cross-fitted scores, and for oracles fitted on the test set itself
(lower bounds for any map of that score). ``--kernel`` times one compiled epoch (30,000
x 100, 10 classes, one pass for all classes) without an average, with the lazy
proba-only average and with the ASGD recurrence. See notes/perceptron.md.
"""

import argparse
import time
import warnings

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import Perceptron
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils import compute_class_weight
from threadpoolctl import threadpool_limits

from skperceptron import PerceptronClassifier, _perceptron_fast
from skperceptron._perceptron import _score_norm


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def binary_cases():
    """14 (name, X, y, seed) binary problems: synthetic, imbalanced, real."""
    for seed in range(4):
        X, y = make_classification(3000, 20, n_informative=8, random_state=seed)
        yield f"mc 20/8 s{seed}", X, y, seed
    for seed in range(2):
        X, y = make_classification(2000, 50, n_informative=10, flip_y=0.05,
                                   class_sep=0.8, random_state=seed)
        yield f"mc 50/10 flip s{seed}", X, y, seed
    for seed in range(2):
        X, y = make_classification(3000, 20, n_informative=5, weights=[0.8, 0.2],
                                   random_state=seed)
        yield f"mc 80/20 s{seed}", X, y, seed
    cancer = load_breast_cancer()
    X = StandardScaler().fit_transform(cancer.data)
    for seed in range(3):
        yield f"breast_cancer s{seed}", X, cancer.target, seed
    digits = load_digits()
    pair = np.isin(digits.target, [3, 8])
    for seed in range(2):
        yield (f"digits 3v8 s{seed}", digits.data[pair] / 16,
               (digits.target[pair] == 8).astype(int), seed)
    yield "digits even/odd s0", digits.data / 16, digits.target % 2, 0


def _slope(scores, code):
    """Slope a minimising the log loss of sigmoid(a * score) (1 if no rows)."""
    signed = np.where(code == 1, 1.0, -1.0) * scores
    if signed.size == 0:
        return 1.0

    def loss(log_a):
        return np.mean(np.logaddexp(0.0, -signed * np.exp(log_a)))

    return float(np.exp(minimize_scalar(loss, bounds=(-12, 12), method="bounded").x))


def _loss(y, p1):
    p1 = np.clip(p1, 1e-15, 1 - 1e-15)
    return log_loss(y, np.c_[1 - p1, p1], labels=[0, 1])


def _isotonic_through_half(s_fit, y_fit, s_eval):
    # Monotone, 1/2 at the boundary: each side of 0 fitted separately, clipped at 1/2.
    p = np.empty_like(s_eval)
    for side_fit, side_eval, lo, hi in [(s_fit > 0, s_eval > 0, 0.5, 1.0),
                                        (s_fit <= 0, s_eval <= 0, 0.0, 0.5)]:
        if side_eval.any():
            iso = IsotonicRegression(y_min=lo, y_max=hi, out_of_bounds="clip")
            p[side_eval] = iso.fit(s_fit[side_fit], y_fit[side_fit]).predict(s_eval[side_eval])
    return p


def binary_proba():
    columns = ["ours", "2-slope", "Platt+b*", "isoCV", "cubic", "oracleT", "oracleIso",
               "oracleIso*", "average*"]
    print(f"{'case':<20}" + "".join(f"{c:>11}" for c in columns) + f"{'ref loss':>10}")
    ratios = []
    for name, X, y, seed in binary_cases():
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, random_state=seed, stratify=y, test_size=0.25)
        ref = CalibratedClassifierCV(Perceptron(random_state=0), method="sigmoid")
        ref_loss = log_loss(y_te, ref.fit(X_tr, y_tr).predict_proba(X_te))
        ours = PerceptronClassifier(random_state=0).fit(X_tr, y_tr)
        # The estimator's own cross-fitted scores (private: the same 5 fits it calibrates on).
        code = np.searchsorted(ours.classes_, y_tr)
        weights = compute_class_weight(None, classes=ours.classes_, y=y_tr)
        cs = ours._held_out_by_cross_fitting(X_tr, code, np.ones(len(y_tr)), weights, 1)[0]
        cs = cs[:, 0]
        s = ours.decision_function(X_te) / _score_norm(ours.coef_, ours.intercept_)
        signed = np.where(code == 1, 1.0, -1.0)
        T = _slope(cs, code)
        two = np.where(s > 0, _slope(cs[cs > 0], code[cs > 0]),
                       _slope(cs[cs <= 0], code[cs <= 0]))
        ab = minimize(lambda v: np.mean(np.logaddexp(0, -signed * (v[0] * cs + v[1]))),
                      [1.0, 0.0]).x
        cub = np.exp(minimize(lambda v: np.mean(np.logaddexp(
            0, -signed * (np.exp(v[0]) * cs + np.exp(v[1]) * cs**3))), [0.0, -3.0]).x)
        probas = [
            ours.predict_proba(X_te)[:, 1],
            expit(two * s),                                   # sigmoid, slope per side
            expit(ab[0] * s + ab[1]),                         # * not argmax-consistent
            0.8 * _isotonic_through_half(cs, code, s) + 0.2 * expit(T * s),
            expit(cub[0] * s + cub[1] * s**3),                # sigmoid(a s + c s^3)
            expit(_slope(s, y_te) * s),                       # oracle: test-set slope
            _isotonic_through_half(s, y_te, s),               # oracle: best monotone map
            IsotonicRegression(out_of_bounds="clip").fit(s, y_te).predict(s),  # * no 1/2
            # * another classifier: the averaged perceptron, whose score ranks better
            PerceptronClassifier(random_state=0, average=True).fit(X_tr, y_tr)
            .predict_proba(X_te)[:, 1],
        ]
        row = [_loss(y_te, p) / ref_loss for p in probas]
        ratios.append(row)
        print(f"{name:<20}" + "".join(f"{r:11.3f}" for r in row) + f"{ref_loss:10.4f}",
              flush=True)
    ratios = np.array(ratios)
    for label, values in [("median", np.median(ratios, 0)), ("max", ratios.max(0)),
                          ("n <= 1.05", (ratios <= 1.05).sum(0))]:
        print(f"{label:<20}" + "".join(f"{v:11.3f}" if label != "n <= 1.05" else
                                       f"{int(v):>11d}" for v in values))
    print("* not argmax-consistent, or (average*) a different decision function: shown "
          "for reference. Oracles are fitted on the test set: lower bounds for any "
          "monotone map of the decision score.")


def kernel_cost(repeats=5, epochs=5):
    """Seconds per epoch of the compiled pass: no average, lazy sums, ASGD recurrence."""
    X, y = make_classification(30_000, 100, n_informative=30, n_classes=10,
                               n_clusters_per_class=1, random_state=0)
    n, d, k = X.shape[0], X.shape[1], 10
    order, code = np.arange(n, dtype=np.intp), y.astype(np.intp)
    empty_int = np.zeros(0, dtype=np.intc)

    def one(mode):
        W, b = np.zeros((d, k)), np.zeros(k)
        AW = np.zeros((d, k)) if mode == "ASGD recurrence" else np.zeros((0, k))
        G = np.zeros((n, k)) if mode == "lazy sums" else np.zeros((0, k))
        state = np.zeros((_perceptron_fast.N_STATE, k))
        state[0] = state[2] = 1.0  # wscale, average_b
        t, start = 1.0, time.perf_counter()
        for _ in range(epochs):
            t = _perceptron_fast.epoch(
                X, np.zeros(0), empty_int, empty_int, order, code, np.ones(n),
                np.ones(k), np.ones(k), W, b, AW, np.zeros(k), np.zeros((0, k)), state,
                np.ones(k, dtype=np.uint8), np.zeros(k), t, False, 0, 1e-4, 0.15, 1.0,
                True, 1.0, 1.0 if mode == "ASGD recurrence" else 0.0, False, G,
                np.zeros(k))
        if mode == "lazy sums":
            X.T @ G  # the one product that turns the sums into the average
        return (time.perf_counter() - start) / epochs

    modes = ["no average", "lazy sums", "ASGD recurrence"]
    times = {m: [] for m in modes}
    for _ in range(repeats):
        for m in modes:
            times[m].append(one(m))
    for m in modes:
        print(f"{m:<16} {np.median(times[m]):.4f} s/epoch (median of {repeats})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, fewer repeats")
    parser.add_argument("--binary-proba", action="store_true",
                        help="binary predict_proba log-loss ratios instead of timings")
    parser.add_argument("--kernel", action="store_true",
                        help="seconds per compiled epoch with and without averaging")
    args = parser.parse_args()
    if args.kernel:
        kernel_cost()
        return
    if args.binary_proba:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            binary_proba()
        return
    n_samples, repeats = (30_000, 2) if args.quick else (100_000, 5)
    n_test = 20_000
    print(f"{'classes':>7} {'shuffle':>7} {'threads':>7} {'ours s':>8} {'sklearn s':>9} "
          f"{'ratio':>6} {'acc ours':>8} {'acc skl':>8}")
    for n_classes in (2, 10):
        X, y = make_classification(
            n_samples + n_test, 100, n_informative=30, n_classes=n_classes,
            n_clusters_per_class=1, random_state=0,
        )
        X_train, X_test = X[:n_samples], X[n_samples:]
        y_train, y_test = y[:n_samples], y[n_samples:]
        for shuffle, threads in [(s, t) for s in (True, False) for t in (1, 2)]:
            params = dict(max_iter=20, tol=None, random_state=0, shuffle=shuffle)
            with threadpool_limits(limits=threads, user_api="blas"):
                ours, theirs = [], []
                for _ in range(repeats):
                    mine = PerceptronClassifier(**params)
                    ref = Perceptron(**params)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ours.append(timed_fit(mine, X_train, y_train))
                        theirs.append(timed_fit(ref, X_train, y_train))
                t_ours, t_ref = np.median(ours), np.median(theirs)
                print(f"{n_classes:>7} {shuffle!s:>7} {threads:>7} {t_ours:8.3f} {t_ref:9.3f} "
                      f"{t_ours / t_ref:6.2f} {mine.score(X_test, y_test):8.4f} "
                      f"{ref.score(X_test, y_test):8.4f}", flush=True)


if __name__ == "__main__":
    main()
