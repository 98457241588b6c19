"""
==========================================================
Grid search over hidden layer size and alpha, as a heatmap
==========================================================

:class:`~sklearn.model_selection.GridSearchCV` tunes a skperceptron pipeline like any
scikit-learn estimator. Here it crosses the width of the hidden layer with the L2
penalty ``alpha`` on a subset of the digits data, and the heatmap shows the mean
cross-validated accuracy of each pair: too narrow a layer underfits, and a large
``alpha`` shrinks the weights until the network underfits as well.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier

X, y = load_digits(return_X_y=True)
X, y = X[:900], y[:900]  # half the data keeps the 90 fits (30 candidates x 3 folds) quick

sizes = [2, 4, 8, 16, 32, 64]
alphas = [1e-4, 1e-2, 1.0, 10.0, 100.0]
search = GridSearchCV(
    Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", MLPClassifier(solver="lbfgs", max_iter=100, random_state=0)),
        ]
    ),
    {"mlp__hidden_layer_sizes": [(n,) for n in sizes], "mlp__alpha": alphas},
    cv=3,
    n_jobs=1,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)

# %%
# ``cv_results_`` lists the candidates in the order of the grid (parameters sorted by
# name: ``alpha`` varies slowest), so the scores reshape into an alpha × size table.
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(sizes))

fig, ax = plt.subplots(figsize=(7, 4.5))
image = ax.imshow(scores, cmap="viridis", vmin=scores.min(), vmax=1, origin="lower")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.2f}", ha="center", va="center",
            color="w" if score < scores.max() - 0.15 else "k")
ax.set_xticks(range(len(sizes)), [str(n) for n in sizes])
ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
ax.set_xlabel("hidden_layer_sizes (one layer of n units)")
ax.set_ylabel("alpha")
ax.set_title(f"Mean 3-fold accuracy; best: {search.best_params_}", fontsize=9)
fig.colorbar(image, ax=ax, label="accuracy")
fig.tight_layout()
plt.show()
