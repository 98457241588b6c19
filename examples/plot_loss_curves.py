"""
=============================================
Training curves with LossCurveDisplay
=============================================

:class:`~skperceptron.LossCurveDisplay` draws, per epoch, the training loss, and with
early stopping the validation loss and the validation score (on its own axis, right),
with a dotted line at the best epoch: the epoch whose weights the model kept.

The second figure compares the candidates of a grid search. A search keeps only the
best model, so :meth:`~skperceptron.LossCurveDisplay.from_search` refits each candidate
once on the data to get its curve.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skperceptron import LossCurveDisplay, MLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

# %%
# One model with early stopping
# -----------------------------
clf = MLPClassifier(
    hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=8, max_iter=200,
    random_state=0,
).fit(X, y)
display = LossCurveDisplay.from_estimator(clf)
display.ax_.set_title(
    f"stopped after {clf.n_iter_} epochs, best validation score "
    f"{clf.best_validation_score_:.3f}"
)

# %%
# One curve per candidate of a search
# -----------------------------------
search = GridSearchCV(
    MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0),
    {"learning_rate_init": [1e-4, 1e-3, 1e-2]},
    cv=3,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
    display = LossCurveDisplay.from_search(search, X, y)
display.ax_.set_yscale("log")
display.ax_.set_title(f"best: {search.best_params_}")
plt.show()
