"""
==============================================
Loss curves of the sgd, adam and lbfgs solvers
==============================================

The three solvers minimise the same objective (here the cross-entropy of a one-hidden-
layer network on the digits data, plus the L2 penalty) from the same initial weights.

* ``'sgd'`` and ``'adam'`` take one step per minibatch; ``loss_curve_`` records the mean
  training loss of each epoch.
* ``'lbfgs'`` takes one full-batch quasi-Newton step per iteration and records no curve.
  Because L-BFGS is deterministic, fitting with ``max_iter=k`` stops at exactly the
  ``k``-th iterate of a longer run, so refitting with growing ``max_iter`` traces its
  curve.

An epoch and an L-BFGS iteration are different units of work (an epoch is several
minibatch steps, an iteration one or a few full-batch evaluations), so compare the
shapes of the curves rather than the x positions.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
common = dict(hidden_layer_sizes=(32,), alpha=1e-3, random_state=0)

solvers = {
    "sgd, constant rate": dict(solver="sgd", learning_rate_init=0.01, momentum=0.0),
    "sgd, Nesterov momentum": dict(solver="sgd", learning_rate_init=0.01),
    "adam": dict(solver="adam", learning_rate_init=0.001),
}

fig, ax = plt.subplots(figsize=(7, 4.5))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for label, params in solvers.items():
        model = MLPClassifier(max_iter=60, **common, **params).fit(X, y)
        ax.plot(range(1, len(model.loss_curve_) + 1), model.loss_curve_, label=label)

    iterations = [1, 2, 3, 5, 8, 12, 18, 25, 35, 45, 60]
    losses = [
        MLPClassifier(solver="lbfgs", max_iter=k, **common).fit(X, y).loss_
        for k in iterations
    ]
ax.plot(iterations, losses, "k.--", label="lbfgs (refit with max_iter=k)")
ax.set_yscale("log")
ax.set_xlabel("epoch (sgd, adam) or iteration (lbfgs)")
ax.set_ylabel("training loss")
ax.set_title("MLPClassifier(hidden_layer_sizes=(32,)) on digits")
ax.legend()
fig.tight_layout()
plt.show()
