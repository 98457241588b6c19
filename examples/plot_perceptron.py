"""
==================================================
The perceptron on separable and non-separable data
==================================================

Rosenblatt's perceptron finds a separating line whenever one exists: after a finite
number of mistakes it stops updating (top row). When the classes overlap no line
separates them, and the rule never settles: each mistake moves the last weight vector,
so the final boundary depends on which rows happened to come last (bottom row, left).

The *averaged* perceptron (``average=True``) returns the average of the weights over
all updates instead of the last ones. It is a steadier estimate that scikit-learn's
:class:`~sklearn.linear_model.Perceptron` does not offer.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs
from sklearn.inspection import DecisionBoundaryDisplay

from skperceptron import PerceptronClassifier

# %%
# Two data sets of 200 points: well apart, and overlapping.
datasets = {
    "separable": make_blobs(
        n_samples=200, centers=[[-2, -2], [2, 2]], cluster_std=1.0, random_state=0
    ),
    "overlapping": make_blobs(
        n_samples=200, centers=[[-1, -1], [1, 1]], cluster_std=1.4, random_state=0
    ),
}

# %%
# Fit the plain and the averaged perceptron on each, and draw their boundaries. The
# plain perceptron trains for a fixed number of epochs here (``tol=None``) so that it
# cannot stop early by luck on the overlapping data.
models = {
    "plain": PerceptronClassifier(tol=None, max_iter=20, random_state=0),
    "averaged": PerceptronClassifier(tol=None, max_iter=20, average=True, random_state=0),
}

fig, axes = plt.subplots(2, 2, figsize=(8, 8), sharex=True, sharey=True)
for row, (data_name, (X, y)) in enumerate(datasets.items()):
    for col, (model_name, model) in enumerate(models.items()):
        ax = axes[row, col]
        model.fit(X, y)
        DecisionBoundaryDisplay.from_estimator(
            model, X, response_method="predict", cmap="coolwarm", alpha=0.3, ax=ax
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=20)
        ax.set_title(
            f"{model_name}, {data_name}\ntraining accuracy {model.score(X, y):.2f}"
        )
fig.tight_layout()

# %%
# How much does the last-iterate boundary move? Refit on the overlapping data with
# different shuffles and look at the training accuracy: the plain perceptron's
# varies from seed to seed, the averaged perceptron's hardly at all.
X, y = datasets["overlapping"]
seeds = range(10)
plain = [
    PerceptronClassifier(tol=None, max_iter=20, random_state=s).fit(X, y).score(X, y)
    for s in seeds
]
averaged = [
    PerceptronClassifier(tol=None, max_iter=20, average=True, random_state=s)
    .fit(X, y)
    .score(X, y)
    for s in seeds
]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(seeds, plain, "o-", label="plain (last weights)")
ax.plot(seeds, averaged, "s-", label="averaged")
ax.set_xlabel("random_state (shuffle order)")
ax.set_ylabel("training accuracy")
ax.set_title("Overlapping classes: ten shuffles")
ax.legend()
fig.tight_layout()
plt.show()
