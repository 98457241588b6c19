"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9; experimental).

The only module that imports :mod:`sklearn.callback`. It turns scikit-learn's callback
context into the per-epoch hooks the training loops call (see the loops'
``hooks.epoch_begin(epoch)`` / ``hooks.epoch_end(epoch, record)``):

- ``fit`` is the estimator's root task, opened by :func:`run_fit`;
- each epoch (each L-BFGS iteration) is a subtask with a begin and an end, so that
  ``ProgressBar`` advances once per epoch and ``ScoringMonitor`` scores once per epoch;
- the ``fitted_estimator`` a callback receives at an epoch's end is the model of that
  epoch, the one ``fit(max_iter=k)`` would return (with early stopping, the best
  weights so far), carrying the curves up to that epoch: ``loss_curve_``,
  ``validation_scores_`` and ``validation_loss_curve_``, so that callbacks see the
  validation score and loss, not only the training data; for the perceptron, the
  model of ``fit(max_iter=k)`` in every fitted attribute (averaged weights, ``t_``,
  ``temperature_``), built from the epoch's copied weights only when a callback asks;
- a truthy ``on_fit_task_end`` at an epoch asks the loop to stop after that epoch.

Teardown. scikit-learn tears callbacks down in the ``finally`` of the context manager
around ``fit``, keyed on attributes of the estimator (``_callback_fit_ctx``). Our
``transactional`` decorator restores the attribute dict of a failed call, which would
delete those keys and leave, e.g., ``ProgressBar``'s monitor thread running forever.
:func:`run_fit` therefore opens and tears down the root task itself, in its own
``finally`` (through the public :func:`sklearn.callback.with_callbacks`), wherever the
transactional snapshot is taken. The estimators take one snapshot inside
:func:`run_fit` and one around it, so that a callback failing at the root task's end
or in its teardown fails ``fit`` and leaves the previous model too.

Without callbacks :func:`run_fit` passes ``hooks=None``: the loops do no extra work.
"""

import numpy as np
import sklearn

from . import _network_array
from ._network import unpack
from ._validation import namespace_and_device

try:
    from sklearn.callback import CallbackSupportMixin as _SklearnCallbackSupport
    from sklearn.callback import with_callbacks
except ImportError:  # scikit-learn < 1.9
    _SklearnCallbackSupport = None

CALLBACKS_SUPPORTED = _SklearnCallbackSupport is not None

_UNSUPPORTED_MESSAGE = (
    "set_callbacks needs scikit-learn >= 1.9 (the sklearn.callback module); "
    "scikit-learn {} is installed. Upgrade scikit-learn to use callbacks."
)

_SET_CALLBACKS_DOC = """Set callbacks for the estimator (experimental).

        Callbacks follow scikit-learn's experimental ``sklearn.callback`` API
        (scikit-learn >= 1.9), which may change without deprecation. Each epoch of
        ``fit`` (each L-BFGS iteration) is a task: ``ProgressBar`` advances once per
        epoch, ``ScoringMonitor`` scores the model of each epoch, and a callback may
        stop training after an epoch by returning True from ``on_fit_task_end``.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following scikit-learn's ``FitCallback`` protocol, e.g.
            ``sklearn.callback.ProgressBar()`` or
            :class:`skperceptron.callbacks.MLflowLogger`. No argument removes them.

        Returns
        -------
        self : object
            The estimator.
        """

if CALLBACKS_SUPPORTED:

    class CallbackSupportMixin(_SklearnCallbackSupport):
        """scikit-learn's callback support (experimental)."""

        def set_callbacks(self, *callbacks):
            return super().set_callbacks(*callbacks)

        set_callbacks.__doc__ = _SET_CALLBACKS_DOC

else:

    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback support on scikit-learn < 1.9."""

        def set_callbacks(self, *callbacks):
            raise ImportError(_UNSUPPORTED_MESSAGE.format(sklearn.__version__))

        set_callbacks.__doc__ = _SET_CALLBACKS_DOC


def has_callbacks(estimator):
    """Whether ``fit`` must open a callback task for ``estimator``."""
    return CALLBACKS_SUPPORTED and bool(getattr(estimator, "_skl_callbacks", None))


def run_fit(estimator, fit, X, y, sample_weight=None, *, max_subtasks):
    """Return ``fit(hooks)`` run as the estimator's root callback task.

    ``fit`` is a callable of one argument, the hooks object to hand to the training
    loop (None when the estimator has no callbacks, at no cost). ``max_subtasks`` is the
    most epochs (L-BFGS: iterations + 1) the fit can run, None if unknown.
    """
    if not has_callbacks(estimator):
        return fit(None)
    return _managed_fit(estimator, fit, X, y, sample_weight, max_subtasks)


def _fit_in_root_task(estimator, fit, X, y, sample_weight, max_subtasks):
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    ctx = estimator._init_callback_context(max_subtasks=max_subtasks)
    ctx.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    hooks = EpochHooks(ctx, estimator, X, y, metadata)
    fitted = fit(hooks)
    hooks.close()
    ctx.call_on_fit_task_end(
        estimator=estimator, X=X, y=y, metadata=metadata, reconstruction_attributes={}
    )
    return fitted


if CALLBACKS_SUPPORTED:
    # ``with_callbacks`` tears the callbacks down in a ``finally`` and deletes
    # scikit-learn's bookkeeping attributes, so the ``fit`` context around us finds
    # nothing left to do, whether or not a transactional restore happened inside.
    _managed_fit = with_callbacks(_fit_in_root_task)


class EpochHooks:
    """The hooks object of one ``fit``: one callback subtask per epoch.

    Parameters
    ----------
    context : sklearn.callback.CallbackContext
        The root task of the fit.
    estimator : estimator instance
        The estimator being fitted.
    X, y, metadata
        What the callbacks receive as the task's training data.
    """

    def __init__(self, context, estimator, X, y, metadata):
        self._context = context
        self._estimator = estimator
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._open = None  # the begun, not yet ended, epoch task
        self._history = None

    def start_training(self, start_model):
        """Called by the MLP once its network and starting weights are known.

        ``start_model`` is a copy of the estimator carrying the starting network
        (its ``coefs_``, ``intercepts_``, ``n_outputs_``, ``n_layers_``,
        ``out_activation_``); the history continues the estimator's curves (a warm
        start) from there.
        """
        self._history = _History.starting_from(self._estimator, start_model)

    def start_models(self, attributes_of):
        """Called by the perceptron before training: ``attributes_of(result)`` gives the
        fitted attributes of the ``Result`` an epoch record's ``model()`` returns."""
        self._history = _EpochModels(attributes_of)

    def epoch_begin(self, epoch):
        if self._history is None:  # no weights to reconstruct
            self._history = _History.starting_from(self._estimator, None)
        self._open = self._context.subcontext(task_name="epoch")
        self._open.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def epoch_end(self, epoch, record):
        self._history.append(record)
        context, self._open = self._open, None
        return context.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._history.attributes(record),
            **self._data,
        )

    def close(self):
        """End a begun epoch that never ran (L-BFGS's last callback, a divergence)."""
        if self._open is not None:
            context, self._open = self._open, None
            context.call_on_fit_task_end(estimator=self._estimator)


class _History:
    """The curves of the fit up to the current epoch and the weights to report."""

    def __init__(self, estimator, start_model, curves, best_score, best_loss):
        self.estimator = estimator
        # The network training starts from; its weights are kept by early stopping
        # until an epoch beats the best score so far.
        self.start_model = start_model
        self.layer_units = None
        if start_model is not None:
            coefs = start_model.coefs_
            self.layer_units = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
        self.curves = curves
        self.best_score = best_score
        self.best_loss = best_loss
        self.best_theta = None
        self.started = False

    @classmethod
    def starting_from(cls, estimator, start_model):
        curves = {
            name: None if getattr(estimator, name, None) is None
            else list(getattr(estimator, name))
            for name in ("loss_curve_", "validation_scores_", "validation_loss_curve_")
        }
        best_score = getattr(estimator, "best_validation_score_", None)
        best_loss = getattr(estimator, "best_loss_", None)
        return cls(estimator, start_model, curves, best_score, best_loss)

    def append(self, record):
        if not self.started:
            # Keep the epochs of earlier calls (warm start) only: a fresh fit starts
            # its curves anew, whatever an earlier fit left on the estimator.
            n_prior = record.total_epochs - record.epoch
            self.curves = {
                name: None if curve is None else curve[:n_prior]
                for name, curve in self.curves.items()
            }
            self.started = True
        for name, value in (
            ("loss_curve_", record.loss),
            ("validation_scores_", record.validation_score),
            ("validation_loss_curve_", record.validation_loss),
        ):
            if value is not None:
                if self.curves[name] is None:
                    self.curves[name] = []
                self.curves[name].append(value)
        if record.validation_score is not None:
            if self.best_score is None or record.validation_score > self.best_score:
                self.best_score = record.validation_score
                if record.theta is not None:
                    self.best_theta = _copy(record.theta)
        elif record.loss is not None and self.best_loss is not None:
            self.best_loss = min(self.best_loss, record.loss)

    def attributes(self, record):
        """The fitted attributes of the epoch's model, or None (no weights known)."""
        if record.theta is None or self.layer_units is None:
            return None
        start = self.start_model
        if record.validation_score is not None and self.best_theta is None:
            # Early stopping, and no epoch beat the starting weights yet.
            coefs, intercepts = start.coefs_, start.intercepts_
        else:
            theta = record.theta if record.validation_score is None else self.best_theta
            coefs, intercepts = _layers_like(theta, self.layer_units, start.coefs_[0])
        like = start.coefs_[0]
        attributes = {
            "coefs_": [_copy_like(c, like) for c in coefs],
            "intercepts_": [_copy_like(b, like) for b in intercepts],
            "n_outputs_": start.n_outputs_,
            "n_layers_": start.n_layers_,
            "out_activation_": start.out_activation_,
            "n_iter_": record.epoch,
            "loss_": record.loss,
        }
        if self.best_loss is not None:
            attributes["best_loss_"] = self.best_loss
        if record.validation_score is not None:
            attributes["best_validation_score_"] = self.best_score
        for name, curve in self.curves.items():
            if curve is not None:
                attributes[name] = list(curve)
        return attributes


def _copy(array):
    """An independent copy of an array of any namespace."""
    if isinstance(array, np.ndarray):
        return array.copy()
    return namespace_and_device(array)[0].asarray(array, copy=True)


def _layers_like(theta, layer_units, like):
    """Per-layer views of ``theta`` in the namespace and on the device of ``like`` (the
    model's first weight matrix). L-BFGS hands scipy's float64 host buffer for a model
    of any dtype and namespace; the minibatch solvers the live theta."""
    if isinstance(like, np.ndarray):
        return unpack(np.asarray(theta), layer_units)
    xp, device = namespace_and_device(like)
    if isinstance(theta, np.ndarray):
        theta = xp.asarray(theta, device=device)
    return _network_array.unpack(xp, theta, layer_units)


def _copy_like(array, like):
    """A copy of ``array`` in the dtype of ``like`` (both of one namespace)."""
    if isinstance(like, np.ndarray):
        return array.astype(like.dtype, copy=True)
    return namespace_and_device(like)[0].astype(array, like.dtype, copy=True)


class _EpochModels:
    """The perceptron's history: each epoch's model, built from its record on demand.

    The record's ``model()`` folds copies of the epoch's weights taken at its end; the
    attributes (the temperature included, calibrated as ``fit(max_iter=k)`` would) are
    computed only when a callback asks for the epoch's ``fitted_estimator``.
    """

    def __init__(self, attributes_of):
        self.attributes_of = attributes_of

    def append(self, record):
        pass

    def attributes(self, record):
        return None if record.model is None else self.attributes_of(record.model())
