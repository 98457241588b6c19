"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9; experimental).

The only module that imports :mod:`sklearn.callback`. It turns scikit-learn's callback
context into the per-epoch hooks the training loops call (see the loops'
``hooks.epoch_begin(epoch)`` / ``hooks.epoch_end(epoch, record)``):

- ``fit`` is the estimator's root task, opened by :func:`run_fit`;
- each epoch (each L-BFGS iteration) is a subtask with a begin and an end, so that
  ``ProgressBar`` advances once per epoch and ``ScoringMonitor`` scores once per epoch;
- the ``fitted_estimator`` a callback receives at an epoch's end is the model of that
  epoch, the one ``fit(max_iter=k)`` would return in every fitted attribute (none for
  an epoch that diverged and was rolled back; with ``learning_rate='cosine'``, the
  first ``k`` epochs of a fit of the same ``max_iter``; with
  early stopping, the best weights so far; the curves up to that epoch, so that
  callbacks see the validation score and loss, not only the training data; the
  optimizer's state, so that it can go on with ``partial_fit``; for the perceptron
  the averaged weights, ``t_`` and ``temperature_``). The estimator hands
  :meth:`EpochHooks.start_models` the function that builds these attributes from the
  training state; it runs only when a callback asks for the model;
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

import sklearn

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
        self._attributes_of = None

    def start_models(self, attributes_of):
        """Called by the estimator before training: ``attributes_of(record)`` gives the
        fitted attributes of ``fit(max_iter=record.epoch)`` from the training state at
        that epoch's end (evaluated there, only when a callback asks for the model)."""
        self._attributes_of = attributes_of

    def epoch_begin(self, epoch):
        self._open = self._context.subcontext(task_name="epoch")
        self._open.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def epoch_end(self, epoch, record):
        context, self._open = self._open, None
        return context.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=lambda: self._attributes(record),
            **self._data,
        )

    def _attributes(self, record):
        return None if self._attributes_of is None else self._attributes_of(record)

    def close(self):
        """End a begun epoch that never ran (L-BFGS's last callback, a divergence)."""
        if self._open is not None:
            context, self._open = self._open, None
            context.call_on_fit_task_end(estimator=self._estimator)
