"""First-order optimizers updating the flat parameter vector in place.

Each optimizer is a small object built from hyperparameters plus a *state* dict of plain
data (arrays and scalars). The estimator stores only that dict, so a fitted model holds
no helper objects, pickles compactly and continues exactly under ``partial_fit``.

``step(theta, grad)`` applies one update with a few whole-array in-place operations and
one preallocated scratch buffer; scalars are Python floats so float32 stays float32.
"""

import numpy as np


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum and scikit-learn's schedules.

    State: ``velocity`` (array) and ``learning_rate`` (float).

    - ``"constant"``: the rate stays ``learning_rate_init``.
    - ``"invscaling"``: at each epoch end, ``learning_rate_init / (t + 1) ** power_t``
      with ``t`` the number of samples seen.
    - ``"adaptive"``: divided by 5 whenever the no-improvement criterion fires; training
      stops once it would go below 1e-6.
    """

    def __init__(
        self,
        theta,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
        state=None,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.power_t = float(power_t)
        if state is None:
            state = {
                "learning_rate": self.learning_rate_init,
                "velocity": np.zeros_like(theta),
            }
        self.state = state
        self._scratch = np.empty_like(theta)

    @property
    def learning_rate(self):
        return self.state["learning_rate"]

    def step(self, theta, grad):
        v, buf, lr, m = self.state["velocity"], self._scratch, self.learning_rate, self.momentum
        # v <- m v - lr g
        v *= m
        np.multiply(grad, lr, out=buf)
        v -= buf
        if self.nesterov:
            # theta += m v - lr g
            theta -= buf
            np.multiply(v, m, out=buf)
            theta += buf
        else:
            theta += v

    def epoch_end(self, t):
        if self.lr_schedule == "invscaling":
            self.state["learning_rate"] = self.learning_rate_init / (t + 1) ** self.power_t

    def on_plateau(self, verbose=False):
        """Called when the no-improvement criterion fires; True means stop training."""
        if self.lr_schedule != "adaptive":
            return True
        if self.learning_rate <= 1e-6:
            return True
        self.state["learning_rate"] = self.learning_rate / 5.0
        if verbose:
            print("Setting learning rate to %f" % self.learning_rate)
        return False


class Adam:
    """Adam (Kingma & Ba, 2014) with bias correction folded into the step size.

    State: first and second moments ``m``, ``v`` (arrays) and step count ``t`` (int).
    """

    def __init__(
        self,
        theta,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        state=None,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        if state is None:
            state = {"t": 0, "m": np.zeros_like(theta), "v": np.zeros_like(theta)}
        self.state = state
        self._scratch = np.empty_like(theta)

    @property
    def learning_rate(self):
        t = max(self.state["t"], 1)
        return (
            self.learning_rate_init
            * np.sqrt(1.0 - self.beta_2**t)
            / (1.0 - self.beta_1**t)
        )

    def step(self, theta, grad):
        s, buf = self.state, self._scratch
        s["t"] += 1
        lr = float(self.learning_rate)
        m, v = s["m"], s["v"]
        m *= self.beta_1
        np.multiply(grad, 1.0 - self.beta_1, out=buf)
        m += buf
        v *= self.beta_2
        np.square(grad, out=buf)
        buf *= 1.0 - self.beta_2
        v += buf
        np.sqrt(v, out=buf)
        buf += self.epsilon
        np.divide(m, buf, out=buf)
        buf *= lr
        theta -= buf

    def epoch_end(self, t):
        pass

    def on_plateau(self, verbose=False):
        return True
