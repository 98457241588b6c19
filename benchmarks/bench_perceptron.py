"""PerceptronClassifier vs scikit-learn's Perceptron: fit time, calibration cost, log loss.

Fit time (default): make_classification data at several sizes, binary and 10 classes,
default parameters (tol=1e-3, shuffle=True), in one process. Each repeat fits
scikit-learn's Perceptron, ours, and ours with the temperature calibration switched off
(the private ``_calibrate`` flag), back to back in a rotating order so that machine noise
hits all alike; median times over repeats, at 1 and 2 BLAS threads (threadpoolctl).
``ratio`` = median over repeats of ours / scikit-learn (< 1 is faster); ``calib`` =
median of ours / ours without calibration.

Probabilities (``--proba``): held-out log loss (25%, stratified) of ours divided by that
of ``CalibratedClassifierCV(Perceptron(random_state=0), method="sigmoid")``, default and
``average=True``, over binary and multiclass (dataset, seed) cases; medians printed.

    python benchmarks/bench_perceptron.py                 # 500 .. 20,000 rows, 5 repeats
                                                          # (x8 at 500 rows, x3 at 5,000)
    python benchmarks/bench_perceptron.py --full          # adds 100,000 rows
    python benchmarks/bench_perceptron.py --repeats 3
    python benchmarks/bench_perceptron.py --proba
    python benchmarks/bench_perceptron.py --calibration-share   # min of repeats, 1 thread
"""

import argparse
import time
import timeit
import warnings

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skperceptron import PerceptronClassifier

SIZES = [(500, 20), (5_000, 50), (20_000, 100)]
FULL_SIZES = SIZES + [(100_000, 100)]


def _timed(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def _uncalibrated():
    est = PerceptronClassifier()
    est._calibrate = False
    return est


def fit_times(sizes, repeats):
    print(f"{'rows':>7} {'feat':>4} {'cls':>3} {'thr':>3} {'sklearn s':>10} {'ours s':>9} "
          f"{'ratio':>6} {'no-cal s':>9} {'calib':>6} {'n_iter':>6}")
    for n, d in sizes:
        for n_classes in (2, 10):
            X, y = make_classification(n, d, n_informative=min(d // 2, 20), n_classes=n_classes,
                                       n_clusters_per_class=1, random_state=0)
            for threads in (1, 2):
                times = {"sklearn": [], "ours": [], "nocal": []}
                # Small fits are short and noisy: more repeats there.
                n_repeats = repeats * (8 if n <= 1_000 else 3 if n <= 5_000 else 1)
                with threadpool_limits(threads):
                    for r in range(n_repeats):
                        fits = [("sklearn", Perceptron()), ("ours", PerceptronClassifier()),
                                ("nocal", _uncalibrated())]
                        for name, est in fits[r % 3:] + fits[:r % 3]:  # rotate the order
                            times[name].append(_timed(est, X, y))
                ref, ours = fits[0][1], fits[1][1]
                assert np.array_equal(ours.coef_, ref.coef_)  # the same model
                t = {k: np.array(v) for k, v in times.items()}
                med = {k: float(np.median(v)) for k, v in t.items()}
                # Ratios: medians of the per-repeat ratios (each pair ran back to back).
                ratio = float(np.median(t["ours"] / t["sklearn"]))
                calib = float(np.median(t["ours"] / t["nocal"]))
                print(f"{n:>7} {d:>4} {n_classes:>3} {threads:>3} {med['sklearn']:>10.4f} "
                      f"{med['ours']:>9.4f} {ratio:>6.2f} "
                      f"{med['nocal']:>9.4f} {calib:>6.2f} "
                      f"{ours.n_iter_:>6}", flush=True)


def calibration_share(sizes):
    """The calibration's own work (held-out selection + temperature fit) in isolation,
    against the fit without calibration: the deterministic part of ``calib`` above."""
    from skperceptron import _perceptron_training as training

    captured = {}
    original = training.train

    def spy(rows, *args, **kwargs):
        captured["result"], captured["rows"] = original(rows, *args, **kwargs), rows
        return captured["result"]

    print(f"{'rows':>7} {'cls':>3} {'fit no-cal ms':>13} {'calibration ms':>14} {'share':>6}")
    with threadpool_limits(1):
        for n, d in sizes:
            for n_classes in (2, 10):
                X, y = make_classification(n, d, n_informative=min(d // 2, 20),
                                           n_classes=n_classes, n_clusters_per_class=1,
                                           random_state=0)
                training.train = spy
                est = PerceptronClassifier().fit(X, y)
                training.train = original
                result, rows = captured["result"], captured["rows"]
                reps = 200 if n <= 1_000 else 20 if n <= 5_000 else 3
                def calibrate(e=est, r=result, w=rows):
                    return e._temperature(r, w, False)

                calib = min(timeit.repeat(calibrate, number=reps, repeat=5)) / reps
                fits = max(1, reps // 10)
                fit = min(timeit.repeat(lambda a=X, b=y: _uncalibrated().fit(a, b), number=fits,
                                        repeat=5)) / fits
                print(f"{n:>7} {n_classes:>3} {fit * 1e3:>13.3f} {calib * 1e3:>14.3f} "
                      f"{calib / fit:>6.3f}", flush=True)


def proba_cases():
    """(name, X, y, seed): binary and multiclass, synthetic and real."""
    for seed in range(3):
        X, y = make_classification(3000, 20, n_informative=8, random_state=seed)
        yield f"mc 2cls s{seed}", X, y, seed
    for seed in range(2):
        X, y = make_classification(3000, 20, n_informative=5, weights=[0.8, 0.2],
                                   random_state=seed)
        yield f"mc 80/20 s{seed}", X, y, seed
    cancer = load_breast_cancer()
    for seed in range(2):
        yield f"breast_cancer s{seed}", StandardScaler().fit_transform(cancer.data), \
            cancer.target, seed
    for seed, k in [(0, 3), (1, 4), (2, 5), (3, 3)]:
        X, y = make_classification(3000, 20, n_informative=8, n_classes=k, random_state=seed)
        yield f"mc {k}cls s{seed}", X, y, seed
    digits = load_digits()
    for seed in range(2):
        yield f"digits s{seed}", digits.data / 16, digits.target, seed
    for loader in (load_iris, load_wine):
        data = loader()
        yield f"{loader.__name__[5:]} s0", StandardScaler().fit_transform(data.data), \
            data.target, 0
    # Added 2026-12-02 with the smoothed targets: nearly separable small sets (another
    # wine split), a curved boundary, label noise and a 90/10 imbalance.
    wine = load_wine()
    yield "wine s1", StandardScaler().fit_transform(wine.data), wine.target, 1
    for seed in range(2):
        X, y = make_moons(1500, noise=0.35, random_state=seed)
        yield f"moons s{seed}", X, y, seed
    X, y = make_classification(3000, 20, flip_y=0.1, random_state=12)
    yield "mc flip 0.1 s0", X, y, 0
    X, y = make_classification(3000, 15, weights=[0.9], random_state=14)
    yield "mc 90/10 s0", X, y, 0


def proba_quality():
    print(f"{'case':<18} {'classes':>7} {'default':>8} {'average':>8} {'ref loss':>9}")
    rows = []
    for name, X, y, seed in proba_cases():
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                                  random_state=seed)
        ref = CalibratedClassifierCV(Perceptron(random_state=0), method="sigmoid")
        ref_loss = log_loss(y_te, ref.fit(X_tr, y_tr).predict_proba(X_te))
        ratios = []
        for params in ({}, {"average": True}):
            ours = PerceptronClassifier(random_state=0, **params).fit(X_tr, y_tr)
            ratios.append(log_loss(y_te, ours.predict_proba(X_te)) / ref_loss)
        rows.append((len(np.unique(y)) == 2, *ratios))
        print(f"{name:<18} {len(np.unique(y)):>7} {ratios[0]:>8.3f} {ratios[1]:>8.3f} "
              f"{ref_loss:>9.4f}", flush=True)
    rows = np.array(rows)
    for label, mask in [("binary", rows[:, 0] == 1), ("multiclass", rows[:, 0] == 0),
                        ("all", np.ones(len(rows), bool))]:
        print(f"median {label:<11} ({mask.sum():>2} cases) {np.median(rows[mask, 1]):>8.3f} "
              f"{np.median(rows[mask, 2]):>8.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add 100,000 rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--proba", action="store_true", help="log loss vs CalibratedCV")
    parser.add_argument("--calibration-share", action="store_true",
                        help="the calibration's own work in isolation (1 thread)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.proba:
        proba_quality()
    elif args.calibration_share:
        calibration_share(FULL_SIZES if args.full else SIZES)
    else:
        fit_times(FULL_SIZES if args.full else SIZES, args.repeats)


if __name__ == "__main__":
    main()
