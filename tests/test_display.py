"""LossCurveDisplay draws exactly the estimator's curves (read back from the lines)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import LossCurveDisplay, MLPClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

X, Y = load_digits(n_class=3, return_X_y=True)
X, Y = X[:200] / 16.0, Y[:200]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _fit(est, X=X, y=Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _xy(line):
    return list(line.get_xdata()), list(line.get_ydata())


def test_from_estimator_draws_the_three_curves_and_the_best_epoch():
    est = _fit(MLPClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=25, random_state=0
    ))
    display = LossCurveDisplay.from_estimator(est)
    epochs = list(range(1, est.n_iter_ + 1))
    assert _xy(display.lines_["loss"][0]) == (epochs, est.loss_curve_)
    assert _xy(display.lines_["validation_loss"][0]) == (epochs, est.validation_loss_curve_)
    assert _xy(display.lines_["validation_score"][0]) == (epochs, est.validation_scores_)
    # The best epoch: the one whose validation score the model kept (first maximum).
    best = 1 + est.validation_scores_.index(est.best_validation_score_)
    assert list(display.best_lines_[0].get_xdata()) == [best, best]
    assert display.lines_["validation_score"][0].axes is display.score_ax_
    assert display.lines_["loss"][0].axes is display.ax_
    assert display.figure_ is display.ax_.figure


def test_without_validation_the_best_epoch_is_the_lowest_loss_and_ax_is_used():
    pipe = _fit(make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=12, random_state=1)
    ))
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(pipe, ax=ax)
    est = pipe[-1]
    assert display.ax_ is ax
    assert display.score_ax_ is None
    assert display.lines_["validation_loss"] == display.lines_["validation_score"] == []
    assert list(display.lines_["loss"][0].get_ydata()) == est.loss_curve_
    best = 1 + int(np.argmin(est.loss_curve_))
    assert list(display.best_lines_[0].get_xdata()) == [best, best]


def test_from_search_one_curve_per_candidate():
    search = _fit(GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(6,), max_iter=8, random_state=0),
        {"learning_rate_init": [1e-3, 1e-2, 1e-1]},
        cv=2,
    ))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        display = LossCurveDisplay.from_search(search, X, Y)
    assert len(display.lines_["loss"]) == 3
    for line, params in zip(display.lines_["loss"], search.cv_results_["params"], strict=True):
        oracle = _fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=8, random_state=0,
                                    **params))
        assert list(line.get_ydata()) == oracle.loss_curve_
        assert line.get_label() == f"learning_rate_init={params['learning_rate_init']!r}"
    # from_estimator on the search shows the refitted best model.
    best = LossCurveDisplay.from_estimator(search)
    assert list(best.lines_["loss"][0].get_ydata()) == search.best_estimator_.loss_curve_


def test_lbfgs_has_no_curve_to_draw():
    est = _fit(MLPClassifier(solver="lbfgs", max_iter=5))
    with pytest.raises(ValueError, match="stochastic solver"):
        LossCurveDisplay.from_estimator(est)
    with pytest.raises(ValueError, match="fitted search"):
        LossCurveDisplay.from_search(est, X, Y)


def test_an_unfitted_model_is_not_fitted_not_lbfgs():
    for unfitted in [MLPClassifier(), make_pipeline(StandardScaler(), MLPClassifier()),
                     GridSearchCV(MLPClassifier(), {"alpha": [1e-4]})]:
        with pytest.raises(NotFittedError):
            LossCurveDisplay.from_estimator(unfitted)
    with pytest.raises(NotFittedError, match="fitted search"):
        LossCurveDisplay.from_search(GridSearchCV(MLPClassifier(), {"alpha": [1e-4]}), X, Y)


def test_validation_curves_of_a_warm_start_that_turned_on_early_stopping():
    # Early stopping from the fifth of eight epochs: the validation curves hold the
    # last four epochs, and were drawn against epochs 1..8 (a ValueError).
    est = _fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=4, warm_start=True,
                             random_state=0))
    _fit(est.set_params(early_stopping=True))
    assert (len(est.loss_curve_), len(est.validation_scores_)) == (8, 4)
    display = LossCurveDisplay.from_estimator(est)
    assert _xy(display.lines_["validation_score"][0]) == ([5, 6, 7, 8], est.validation_scores_)
    assert _xy(display.lines_["validation_loss"][0]) == (
        [5, 6, 7, 8], est.validation_loss_curve_)
    best = 5 + est.validation_scores_.index(est.best_validation_score_)
    assert list(display.best_lines_[0].get_xdata()) == [best, best]


def test_the_label_of_from_estimator_names_its_legend_entries():
    est = _fit(MLPClassifier(hidden_layer_sizes=(6,), early_stopping=True, max_iter=5,
                             random_state=0))
    legend = lambda d: [t.get_text() for t in d.ax_.get_legend().get_texts()]  # noqa: E731
    assert legend(LossCurveDisplay.from_estimator(est)) == [
        "training loss", "validation loss", "validation score"]
    assert legend(LossCurveDisplay.from_estimator(est, label="run 7")) == [
        "run 7: training loss", "run 7: validation loss", "run 7: validation score"]


def test_two_displays_on_one_axes_share_the_score_axes_and_the_legend():
    # Drawn onto the axes of an earlier display, a second one took the same colour,
    # made a second score axes over the first and left its lines out of the legend.
    kw = dict(hidden_layer_sizes=(6,), early_stopping=True, max_iter=5)
    a, b = (_fit(MLPClassifier(random_state=seed, **kw)) for seed in (0, 1))
    _, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(a, label="A", ax=ax)
    second = LossCurveDisplay.from_estimator(b, label="B", ax=ax)
    assert len(ax.figure.axes) == 2
    assert second.score_ax_ is first.score_ax_
    assert first.lines_["loss"][0].get_color() != second.lines_["loss"][0].get_color()
    assert second.lines_["validation_score"][0].get_color() == second.lines_["loss"][0].get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(f"{who}: {what}" for who in "AB" for what in
                                    ("training loss", "validation loss", "validation score"))


def test_a_twin_axes_of_the_users_own_is_left_alone():
    est = _fit(MLPClassifier(hidden_layer_sizes=(6,), early_stopping=True, max_iter=5,
                             random_state=0))
    _, ax = plt.subplots()
    theirs = ax.twinx()
    theirs.plot([1, 5], [20, 30], label="temperature")
    theirs.set_ylabel("degC")
    display = LossCurveDisplay.from_estimator(est, ax=ax)
    assert display.score_ax_ is not theirs
    assert theirs.get_ylabel() == "degC"
    assert "temperature" not in [t.get_text() for t in ax.get_legend().get_texts()]
