"""
==================================
A regression fit with MLPRegressor
==================================

:class:`~skperceptron.MLPRegressor` fits a smooth curve through noisy samples of a
function. The left panel shows the fit of networks of growing width; the right one fits counts
with the Poisson loss, the right choice for count data: its exponential output is
always positive.
"""

import matplotlib.pyplot as plt
import numpy as np

from skperceptron import MLPRegressor

rng = np.random.default_rng(0)
X = np.sort(rng.uniform(-3, 3, 200))[:, None]
truth = np.sin(2 * X[:, 0]) + 0.3 * X[:, 0]
y = truth + rng.normal(scale=0.25, size=len(truth))
grid = np.linspace(-3, 3, 400)[:, None]

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
left.scatter(X, y, s=8, c="0.6", label="noisy samples")
left.plot(grid, np.sin(2 * grid) + 0.3 * grid, "k--", lw=1, label="true function")
for width in [2, 8, 64]:
    model = MLPRegressor(
        hidden_layer_sizes=(width,), activation="tanh", solver="lbfgs",
        max_iter=2000, random_state=0,
    ).fit(X, y)
    left.plot(grid, model.predict(grid), lw=2,
              label=f"{width} tanh units, R² {model.score(X, y):.2f}")
left.set_title("squared_error: wider networks follow the curve")
left.set_xlabel("x")
left.set_ylabel("y")
left.legend(fontsize=8)

# Counts whose mean varies with x: a Poisson regression.
# Counts are noisier than the curve above: more samples, a small network and a
# stronger L2 penalty keep the fitted mean from chasing single counts.
X_counts = np.sort(rng.uniform(-3, 3, 600))[:, None]
counts = rng.poisson(np.exp(0.8 + 0.6 * np.sin(1.5 * X_counts[:, 0])))
poisson = MLPRegressor(
    loss="poisson", hidden_layer_sizes=(8,), activation="tanh", alpha=10.0,
    solver="lbfgs", max_iter=2000, random_state=0,
).fit(X_counts, counts)
right.scatter(X_counts, counts, s=6, c="0.6", alpha=0.5, label="counts")
right.plot(grid, np.exp(0.8 + 0.6 * np.sin(1.5 * grid)), "k--", lw=1, label="true mean")
right.plot(grid, poisson.predict(grid), lw=2, label="MLPRegressor(loss='poisson')")
right.set_title("poisson: a positive mean for count data")
right.set_xlabel("x")
right.set_ylabel("count")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
