"""
===============================================
MLP decision boundaries as the L2 penalty grows
===============================================

``alpha`` is the strength of the L2 penalty on the weights. A small ``alpha`` lets the
network bend its boundary around individual points (it can overfit); a large one keeps
the weights small, and the boundary smooth and close to linear.

Each panel fits the same :class:`~skperceptron.MLPClassifier` on the two-moons data,
changing only ``alpha``, and shades the predicted probability of the red class.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier

X, y = make_moons(n_samples=300, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)

alphas = np.logspace(-4, 1, 6)
fig, axes = plt.subplots(2, 3, figsize=(11, 7), sharex=True, sharey=True)
for alpha, ax in zip(alphas, axes.ravel(), strict=True):
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(50, 50),
            alpha=alpha,
            solver="lbfgs",
            max_iter=1000,
            random_state=1,
        ),
    ).fit(X_train, y_train)
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="predict_proba", cmap="RdBu_r", alpha=0.8, ax=ax,
        vmin=0, vmax=1,
    )
    ax.scatter(*X_train.T, c=y_train, cmap="RdBu_r", edgecolor="k", s=15)
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu_r", edgecolor="k", s=15, alpha=0.5)
    ax.set_title(
        f"alpha={alpha:.0e}\ntrain {model.score(X_train, y_train):.2f}, "
        f"test {model.score(X_test, y_test):.2f}"
    )
fig.suptitle("MLPClassifier(hidden_layer_sizes=(50, 50)): faded points are held out")
fig.tight_layout()
plt.show()
