"""LossCurveDisplay: per-epoch training curves, following scikit-learn's Display API."""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]


@dataclass
class LossCurve:
    """The per-epoch curves of one fitted model (validation ones may be None)."""

    label: str | None  # None: the lines go by their names alone
    loss: list
    validation_loss: list = None
    validation_score: list = None

    @property
    def validation_start(self):
        """Epochs (counted from 0) before the validation curves begin: a ``warm_start``
        fit that turned on early stopping has them for its last epochs only."""
        validation = self.validation_score or self.validation_loss or []
        return len(self.loss) - len(validation)

    @property
    def best_epoch(self):
        """The epoch (from 1) whose weights the model kept, or of the lowest loss."""
        if self.validation_score:
            return self.validation_start + int(np.nanargmax(self.validation_score)) + 1
        return int(np.nanargmin(self.loss)) + 1


def _final_estimator(estimator):
    """The network inside a fitted search or pipeline."""
    estimator = getattr(estimator, "best_estimator_", estimator)
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def _curve_of(estimator, label):
    check_is_fitted(estimator)
    model = _final_estimator(estimator)
    loss = getattr(model, "loss_curve_", None)
    if not loss:
        raise ValueError(
            f"{type(model).__name__} has no loss_curve_: LossCurveDisplay needs a model "
            "fitted with a stochastic solver ('sgd' or 'adam')."
        )
    return LossCurve(
        label=label,
        loss=list(loss),
        validation_loss=_as_list(getattr(model, "validation_loss_curve_", None)),
        validation_score=_as_list(getattr(model, "validation_scores_", None)),
    )


def _twin(ax):
    """The twin axes an earlier display made on ``ax`` for its scores (tagged with
    ``ax`` when made, so a twin of the user's own is never taken), or None: a second
    display draws its scores there, and one legend lists every line."""
    for other in ax.figure.axes:
        if getattr(other, "_skperceptron_scores_of", None) is ax:
            return other
    return None


def _new_twin(ax):
    twin = ax.twinx()
    twin._skperceptron_scores_of = ax
    return twin


def _as_list(values):
    return list(values) if values else None


def _describe(params):
    return ", ".join(f"{name.split('__')[-1]}={value!r}" for name, value in params.items())


class LossCurveDisplay:
    """Training loss, validation loss and validation score per epoch.

    Follows scikit-learn's Display convention: build it with :meth:`from_estimator`
    (one fitted model) or :meth:`from_search` (one curve per candidate of a search),
    then :meth:`plot` draws it and returns the display. The losses share the left
    axis; the validation score has its own axis on the right. A dotted vertical line
    marks each curve's best epoch: the best validation score with early stopping
    (the epoch whose weights the model kept), else the lowest training loss.

    Parameters
    ----------
    curves : list of LossCurve
        One record per model: ``label``, ``loss`` and optionally ``validation_loss``
        and ``validation_score``, each a list with one value per epoch.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The twin axes of the validation scores, if any curve has them.
    figure_ : matplotlib Figure
        The figure.
    lines_ : dict of list of matplotlib Line2D
        ``"loss"``, ``"validation_loss"``, ``"validation_score"``: one line per curve
        that has that quantity, in the order of ``curves``.
    best_lines_ : list of matplotlib Line2D
        The best-epoch markers, one per curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skperceptron import LossCurveDisplay, MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(early_stopping=True, max_iter=30, random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> len(display.lines_["loss"][0].get_ydata()) == clf.n_iter_
    True
    """

    def __init__(self, curves):
        self.curves = list(curves)

    @classmethod
    def from_estimator(cls, estimator, *, label=None, ax=None):
        """Plot the curves of a fitted MLP, a pipeline ending in one, or a search's best.

        Parameters
        ----------
        estimator : estimator instance
            Fitted with ``solver='sgd'`` or ``'adam'``; a fitted search shows its
            ``best_estimator_``.
        label : str, default=None
            Prefixed to each line's legend entry (``"<label>: training loss"``);
            by default the entries are the curves' names alone.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.

        Returns
        -------
        display : LossCurveDisplay
        """
        return cls([_curve_of(estimator, label)]).plot(ax=ax)

    @classmethod
    def from_search(cls, search, X, y=None, *, ax=None, **fit_params):
        """One curve per candidate of a fitted search, each refitted on ``X, y``.

        A search keeps only its best model, not the training curves of the others;
        each candidate of ``search.cv_results_["params"]`` is therefore fitted once
        more, on the whole of ``X, y`` (as the search's refit does), which costs one
        fit per candidate.

        Parameters
        ----------
        search : fitted GridSearchCV, RandomizedSearchCV or similar
            The search, with ``cv_results_`` and ``estimator``.
        X, y : array-like
            The data to refit each candidate on (usually the search's).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        **fit_params : dict
            Passed to each candidate's ``fit``.

        Returns
        -------
        display : LossCurveDisplay
        """
        if not hasattr(search, "cv_results_"):  # NotFittedError is a ValueError too
            raise NotFittedError("from_search needs a fitted search (with cv_results_).")
        curves = []
        for params in search.cv_results_["params"]:
            candidate = clone(search.estimator).set_params(**params)
            candidate.fit(X, y, **fit_params)
            curves.append(_curve_of(candidate, _describe(params)))
        return cls(curves).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_``, ``lines_`` and ``best_lines_``.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError("LossCurveDisplay needs matplotlib.") from exc
        if ax is None:
            _, ax = plt.subplots()
        has_scores = any(c.validation_score for c in self.curves)
        score_ax = (_twin(ax) or _new_twin(ax)) if has_scores else None
        self.lines_ = {"loss": [], "validation_loss": [], "validation_score": []}
        self.best_lines_ = []
        for curve in self.curves:
            self._plot_curve(ax, score_ax, curve)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if score_ax is not None:
            score_ax.set_ylabel("validation score")
        handles = [h for a in (ax, score_ax or _twin(ax)) if a is not None
                   for h in a.get_lines()]
        ax.legend(handles=[h for h in handles if not h.get_label().startswith("_")],
                  loc="best", fontsize="small")
        self.ax_, self.score_ax_, self.figure_ = ax, score_ax, ax.figure
        return self

    def _plot_curve(self, ax, score_ax, curve):
        epochs = np.arange(1, len(curve.loss) + 1)
        validation_epochs = epochs[curve.validation_start:]
        many = len(self.curves) > 1

        def entry(name):  # several curves: the label once, on the loss line
            if many:
                return curve.label if name == "training loss" else None
            return f"{curve.label}: {name}" if curve.label else name

        # The axes' next colour, as scikit-learn's displays take it: a display drawn on
        # the axes of an earlier one gets a colour of its own.
        (line,) = ax.plot(epochs, curve.loss, label=entry("training loss"))
        color = line.get_color()
        self.lines_["loss"].append(line)
        if curve.validation_loss:
            (line,) = ax.plot(
                validation_epochs, curve.validation_loss, color=color, linestyle="--",
                label=entry("validation loss"),
            )
            self.lines_["validation_loss"].append(line)
        if curve.validation_score:
            (line,) = score_ax.plot(
                validation_epochs, curve.validation_score, color=color, linestyle=":",
                marker=".", label=entry("validation score"),
            )
            self.lines_["validation_score"].append(line)
        self.best_lines_.append(
            ax.axvline(curve.best_epoch, color=color, linestyle=":", linewidth=1)
        )
