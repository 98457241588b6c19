"""The epoch loop's state at an epoch's end, to roll a later epoch back to.

An epoch that diverges, or that Ctrl-C cuts short, must leave the state of the last
finite epoch in every part a later call continues from: the flat parameter vector, the
optimizer's ``state`` dict, the training history (a dataclass of scalars and
append-only lists) and the generator the epochs draw from. Nothing here knows about
layers, losses or estimators.
"""

from dataclasses import dataclass, field, fields, replace


def copy_array(array, ops):
    """A copy of a numpy array, or of an array of ``ops``'s namespace."""
    return array.copy() if ops is None else ops.copy(array)


@dataclass
class Checkpoint:
    """Theta, the optimizer's state, the history and a generator's state at one
    epoch's end; :meth:`start` holds only the starting theta (a call that learned
    nothing is discarded by the estimator, so there is nothing else to put back)."""

    theta: object
    """A buffer, refilled by each :meth:`take`."""
    ops: object = None
    """The theta's ArrayBackend when it is not a numpy array."""
    optimizer_state: dict | None = None
    history: object = None
    """A shallow copy of the history: its lists are shared, cut back to ``lengths``."""
    lengths: dict = field(default_factory=dict)
    rng_state: dict | None = None
    handed_over: bool = False
    """A restore made the saved optimizer state the optimizer's own: the next
    :meth:`take` must not write into its arrays."""

    @classmethod
    def start(cls, theta, ops=None):
        return cls(copy_array(theta, ops), ops)

    def take(self, theta, optimizer, history, rng=None):
        """Save the present state (the arrays copied, lists by their lengths)."""
        self.theta[:] = theta
        self.optimizer_state = self._copy_state(optimizer.state)
        self.handed_over = False
        self.history = replace(history)
        self.lengths = {f.name: len(getattr(history, f.name)) for f in fields(history)
                        if isinstance(getattr(history, f.name), list)}
        self.rng_state = None if rng is None else rng.bit_generator.state

    def _copy_state(self, state):
        """The state with its arrays copied, into the last copy's arrays where they
        fit (a fresh allocation per epoch costs ~10x the copy for large float64
        vectors)."""
        last = {} if self.handed_over else self.optimizer_state or {}
        copy = {}
        for key, value in state.items():
            buffer = last.get(key)
            if getattr(value, "ndim", 0) < 1:
                copy[key] = value
            elif (buffer is not None and buffer.shape == value.shape
                  and buffer.dtype == value.dtype):
                buffer[...] = value
                copy[key] = buffer
            else:
                copy[key] = copy_array(value, self.ops)
        return copy

    def restore(self, theta, optimizer, history, rng=None):
        """Put the saved state back, in place; the saved optimizer state becomes the
        optimizer's own. Repeatable: Ctrl-C may land inside a restore, and the loop's
        handler then runs it again."""
        theta[:] = self.theta
        if self.optimizer_state is None:
            return
        for f in fields(history):
            if f.name in self.lengths:
                del getattr(history, f.name)[self.lengths[f.name]:]
            else:
                setattr(history, f.name, getattr(self.history, f.name))
        if rng is not None:
            rng.bit_generator.state = self.rng_state
        optimizer.state = self.optimizer_state
        self.handed_over = True
