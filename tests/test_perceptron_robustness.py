"""PerceptronClassifier under interrupts, extreme input, warm-start misuse, hooks, verbose.

Oracles: the same estimator trained for a fixed number of epochs (an interrupt must
leave exactly that model), scikit-learn's Perceptron (verbose output), the fitted
model before a failed call, and scores in exact rational arithmetic.
"""

import math
import pickle
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import Perceptron
from sklearn.utils.fixes import parse_version

from skperceptron import (
    PerceptronClassifier,
    _perceptron,
    _perceptron_fast,
    _perceptron_training,
)

X_BIN, Y_BIN = make_classification(300, 8, n_informative=5, random_state=0)
X_MC, Y_MC = make_classification(300, 8, n_informative=5, n_classes=3, random_state=1)


def _data(target, container):
    X, y = (X_BIN, Y_BIN) if target == "binary" else (X_MC, Y_MC)
    return (sp.csr_matrix(X) if container == "csr" else X), y


def _fixed(n_epochs, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return PerceptronClassifier(tol=None, max_iter=n_epochs, **params)


def _assert_same_model(a, b):
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    # The temperature is fitted on the last completed epoch's progressive scores.
    assert a.temperature_ == b.temperature_


class _InterruptingHooks:
    """Per-epoch hooks (HOOKS protocol) that raise KeyboardInterrupt at one point."""

    def __init__(self, epoch, where):
        self.epoch, self.where = epoch, where

    def epoch_begin(self, epoch):
        if self.where == "begin" and epoch == self.epoch:
            raise KeyboardInterrupt

    def epoch_end(self, epoch, record):
        if self.where == "end" and epoch == self.epoch:
            raise KeyboardInterrupt
        return False


def _with_hooks(monkeypatch, hooks):
    # The seam where _callbacks hands fit's training loop its hooks object.
    monkeypatch.setattr(_perceptron, "run_fit", lambda est, fit, *args, **kwargs: fit(hooks))


def _interrupt_every_pass(monkeypatch):
    # partial_fit runs no callback tasks: interrupt its one pass in the kernel.
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_perceptron_fast, "epoch", interrupted)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("container", ["dense", "csr"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("where", ["begin", "end"])
def test_interrupt_keeps_the_last_completed_epoch(monkeypatch, target, container, shuffle,
                                                  where):
    # Raised as the fourth epoch (index 3) begins: three completed epochs. Raised in
    # the callbacks' end of that epoch, which were handed its model: four, as the MLPs.
    X, y = _data(target, container)
    kept = {"begin": 3, "end": 4}[where]
    _with_hooks(monkeypatch, _InterruptingHooks(3, where))
    with pytest.warns(UserWarning, match=f"after epoch {kept}, the last completed one"):
        est = PerceptronClassifier(tol=None, max_iter=20, shuffle=shuffle).fit(X, y)
    monkeypatch.undo()
    _assert_same_model(est, _fixed(kept, shuffle=shuffle).fit(X, y))
    assert np.isfinite(est.predict_proba(X)).all()


@pytest.mark.parametrize("shuffle", [True, False])
def test_interrupt_restores_the_calibration_rows_of_a_large_fit(monkeypatch, shuffle):
    # Above CALIBRATION_ROWS the temperature uses every k-th row's margin: those are
    # the rows an interrupt saves and restores.
    from skperceptron._perceptron_data import CALIBRATION_ROWS

    X, y = make_classification(2 * CALIBRATION_ROWS + 501, 6, n_informative=4, n_classes=3,
                               random_state=2)
    # Ctrl-C in the third epoch's stop rules, after its passes: the epoch is undone.
    original = _perceptron_training._Loop._stopping_rules

    def interrupted(self, epoch):
        if epoch == 2:
            raise KeyboardInterrupt
        return original(self, epoch)

    monkeypatch.setattr(_perceptron_training._Loop, "_stopping_rules", interrupted)
    with pytest.warns(UserWarning, match="after epoch 2"):
        est = PerceptronClassifier(tol=None, max_iter=20, shuffle=shuffle).fit(X, y)
    monkeypatch.undo()
    _assert_same_model(est, _fixed(2, shuffle=shuffle).fit(X, y))


@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("container", ["dense", "csr"])
@pytest.mark.parametrize("after_pass", [False, True])
def test_interrupt_inside_a_block_of_a_multiclass_epoch(monkeypatch, target, container,
                                                        after_pass):
    # shuffle=True: each one-vs-rest class has its own pass. Ctrl-C arrives during the
    # second class's pass of epoch 2 (before it ran, or as it returns): the first
    # class, already through epoch 2, is put back, so all columns are at epoch 2.
    X, y = _data(target, container)
    n_blocks = 1 if target == "binary" else 3
    original, calls = _perceptron_fast.epoch, {"n": 0}
    fatal = 2 * n_blocks + min(2, n_blocks)

    def interrupted(*args):
        calls["n"] += 1
        if calls["n"] == fatal:
            if after_pass:
                original(*args)
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(_perceptron_fast, "epoch", interrupted)
    with pytest.warns(UserWarning, match="after epoch 2"):
        est = PerceptronClassifier(tol=None, max_iter=20).fit(X, y)
    monkeypatch.undo()
    _assert_same_model(est, _fixed(2).fit(X, y))


@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("container", ["dense", "csr"])
def test_interrupt_before_any_epoch_keeps_the_previous_model(monkeypatch, target, container):
    X, y = _data(target, container)
    est = PerceptronClassifier(random_state=0).fit(X, y)
    before = pickle.dumps(est)
    _with_hooks(monkeypatch, _InterruptingHooks(0, "begin"))
    with pytest.warns(UserWarning, match="previous fitted model is kept"):
        est.set_params(max_iter=7).fit(X[:100], y[:100])
    monkeypatch.undo()
    _interrupt_every_pass(monkeypatch)
    with pytest.warns(UserWarning, match="previous fitted model is kept"):
        est.partial_fit(X[:50], y[:50])
    monkeypatch.undo()
    _with_hooks(monkeypatch, _InterruptingHooks(0, "begin"))
    assert pickle.dumps(est.set_params(max_iter=1000)) == before
    with pytest.warns(UserWarning, match="stays unfitted"):
        fresh = PerceptronClassifier().fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_interrupt_of_partial_fit_keeps_the_previous_model(monkeypatch, target):
    X, y = _data(target, "dense")
    est = PerceptronClassifier().partial_fit(X, y, classes=np.unique(y))
    reference = pickle.dumps(est)
    _interrupt_every_pass(monkeypatch)
    with pytest.warns(UserWarning, match="before the first epoch"):
        est.partial_fit(X, y)
    assert pickle.dumps(est) == reference


def test_hooks_see_each_epoch_and_can_stop(monkeypatch):
    seen = []

    class Stop:
        def epoch_begin(self, epoch):
            seen.append(("begin", epoch))

        def epoch_end(self, epoch, record):
            seen.append(("end", epoch, record.epoch, record.total_epochs, record.loss))
            return epoch == 2

    _with_hooks(monkeypatch, Stop())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop request is no warning
        est = PerceptronClassifier(max_iter=3, tol=1e-12, shuffle=False).fit(X_MC, Y_MC)
    monkeypatch.undo()
    assert [s[:2] for s in seen] == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1),
                                     ("begin", 2), ("end", 2)]
    assert [s[2:4] for s in seen if s[0] == "end"] == [(1, 1), (2, 2), (3, 3)]
    assert all(isinstance(s[4], float) and s[4] >= 0 for s in seen if s[0] == "end")
    _assert_same_model(est, _fixed(3, shuffle=False).fit(X_MC, Y_MC))


def test_warm_start_refuses_changed_classes():
    est = PerceptronClassifier(warm_start=True).fit(X_MC, Y_MC)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match=r"\[0, 1, 2\].*\[0, 1, 2, 3\]"):
        est.fit(X_MC, np.where(np.arange(300) % 7 == 0, 3, Y_MC))
    with pytest.raises(ValueError, match=r"\[0, 1, 2\].*\[0, 1\]"):
        est.fit(X_MC, Y_MC % 2)
    assert pickle.dumps(est) == before
    est.set_params(warm_start=False).fit(X_MC, Y_MC % 2)  # a new model is fine
    assert est.classes_.tolist() == [0, 1]


def _strip_times(text):
    # scikit-learn before 1.8 also printed ", Objective: ..." after the average loss;
    # ours prints the current format.
    text = re.sub(r", Objective: [-+.\deinf]+", "", text)
    return re.sub(r"\d+\.\d+ seconds", "S seconds", text).splitlines()


@pytest.mark.parametrize("params", [dict(tol=None, max_iter=3), dict(max_iter=50),
                                    dict(early_stopping=True, max_iter=50)])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_verbose_prints_sklearn_perceptron_lines(capsys, params, target):
    # The same lines as scikit-learn's Perceptron (per one-vs-rest class; the classes'
    # lines interleave by epoch here), and nothing else: no hidden fits.
    X, y = _data(target, "dense")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Perceptron(verbose=1, shuffle=False, **params).fit(X, y)
        ours_expected = _strip_times(capsys.readouterr().out)
        PerceptronClassifier(verbose=1, shuffle=False, **params).fit(X, y)
        ours = _strip_times(capsys.readouterr().out)
    if parse_version(sklearn.__version__) < parse_version("1.8"):
        # Older scikit-learn printed no validation score in its epoch line.
        ours = [re.sub(r", Validation score: [-+.\d]+", "", line) for line in ours]
    if target == "binary":
        assert ours == ours_expected
    else:
        assert sorted(ours) == sorted(ours_expected)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    exponent=st.floats(-300, 300),
    target=st.sampled_from(["binary", "multiclass"]),
    container=st.sampled_from(["dense", "csr"]),
    params=st.sampled_from([{}, dict(average=True), dict(penalty="l2"),
                            dict(early_stopping=True), dict(fit_intercept=False)]),
)
def test_any_magnitude_gives_finite_results_or_a_clear_error(exponent, target, container,
                                                             params):
    X, y = _data(target, container)
    scale = 10.0**exponent
    est = PerceptronClassifier(max_iter=5, **params).fit(X, y)
    before = pickle.dumps(est)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X * scale, y)
    except ValueError as error:
        assert "overflow" in str(error)
        assert pickle.dumps(est) == before  # the failed call changed nothing
    else:
        assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
        assert np.isfinite(est.temperature_) and est.temperature_ > 0
    # Whatever the model, predictions on rows of any magnitude are finite and agree.
    for factor in (scale, 1e-300, 1e300):
        rows = X[:40] * factor
        proba = est.predict_proba(rows)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        scores = est.decision_function(rows)
        assert not np.isnan(scores).any()
        pred = est.predict(rows)
        if scores.ndim == 1:
            np.testing.assert_array_equal(pred, est.classes_[(scores > 0).astype(int)])
        else:
            np.testing.assert_array_equal(pred, est.classes_[scores.argmax(axis=1)])


def _exact_scores(X, coef, intercept):
    """``X @ coef.T + intercept`` in rational arithmetic, rounded once at the end;
    ``+-inf`` where the score is beyond float64's range."""
    out = np.empty((X.shape[0], coef.shape[0]))
    for i, k in np.ndindex(out.shape):
        s = sum(Fraction(a) * Fraction(w) for a, w in zip(X[i], coef[k], strict=True))
        s += Fraction(intercept[k])
        try:
            out[i, k] = float(s)
        except OverflowError:
            out[i, k] = math.inf if s > 0 else -math.inf
    return out


def _huge_rows(coef, X, rng):
    """Rows near float64's maximum: per class two whose products overflow while the
    score cancels (along a direction orthogonal to that class's two largest weights)
    and one of +-0.5 entries whose terms, against weights near the maximum, sum past
    it and back (four up, three down); four rows of random +-1.5e308 entries, and four
    ordinary rows."""
    rows = []
    for w in coef:
        a, b = np.argsort(-abs(w))[:2]
        m = max(abs(w[a]), abs(w[b]))
        for t in (1e308, -1.7e308):
            r = np.zeros(X.shape[1])
            r[a], r[b] = t * (w[b] / m), -t * (w[a] / m)
            rows.append(r)
        signs = np.zeros(X.shape[1])
        signs[:7] = [1, 1, 1, 1, -1, -1, -1]
        rows.append(0.5 * np.sign(w) * signs)
    rows += list(rng.choice([-1.5e308, 0.0, 1.5e308], size=(4, X.shape[1])))
    rows += list(X[:4])
    return rng.permutation(np.array(rows))


@pytest.mark.parametrize("weights", [1.0, 1e308], ids=["fitted", "huge"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("container", ["dense", "csr"])
def test_huge_rows_score_as_exact_arithmetic_alone_and_in_a_batch(target, container,
                                                                   weights):
    # Once a product overflows, BLAS returns +-inf of either sign depending on the
    # other rows of the call (or NaN for one row alone). Whatever the batch, a score
    # must be the exact one to the rounding of arithmetic at unit size: finite where
    # the exact score is, the exact +-inf where it overflows. Also for weights near
    # float64's maximum (as coef_init can give), against rows of any size.
    X, y = _data(target, "dense")
    est = _fixed(5, random_state=0).fit(X, y)
    if weights != 1.0:
        est.coef_ = np.sign(est.coef_) * weights
    R = _huge_rows(est.coef_, X, np.random.default_rng(0))
    exact = _exact_scores(R, est.coef_, est.intercept_)
    with np.errstate(over="ignore"):
        bound = np.broadcast_to(1e-12 * abs(R).max(axis=1, keepdims=True)
                                * abs(est.coef_).max() * R.shape[1], exact.shape)
    # Where the rounding bound itself overflows (a huge row against huge weights), a
    # cancelling score is undetermined at float64's range: only "not NaN" is asked.
    known = np.isfinite(bound)
    infinite, finite = known & np.isinf(exact), known & np.isfinite(exact)
    assert infinite.any() and finite.any()
    prepare = sp.csr_matrix if container == "csr" else np.asarray
    alone = np.vstack([est.decision_function(prepare(r[None])).reshape(1, -1) for r in R])
    for got in (est.decision_function(prepare(R)).reshape(len(R), -1), alone):
        assert not np.isnan(got).any()
        np.testing.assert_array_equal(got[infinite], exact[infinite])
        assert (abs(got[finite] - exact[finite]) <= bound[finite]).all()
    assert np.isfinite(est.predict_proba(prepare(R))).all()


def test_partial_fit_temperature_starts_from_its_batch_and_fit_never_pools():
    # The first partial_fit scores its batch exactly as a one-epoch fit does; a fit
    # (even of one epoch) on a fitted model never mixes in the previous temperature.
    classes = np.unique(Y_MC)
    online = PerceptronClassifier(shuffle=False).partial_fit(X_MC, Y_MC, classes=classes)
    one_epoch = _fixed(1, shuffle=False).fit(X_MC, Y_MC)
    assert online.temperature_ == one_epoch.temperature_
    refit = _fixed(5, shuffle=False).fit(X_MC[:100], Y_MC[:100])
    refit.set_params(max_iter=1).fit(X_MC, Y_MC)
    assert refit.temperature_ == one_epoch.temperature_
    online.partial_fit(X_MC[:60], Y_MC[:60])  # pooled: finite, positive, changed
    assert 0 < online.temperature_ < np.inf
    assert online.temperature_ != one_epoch.temperature_
