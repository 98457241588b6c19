"""
====================================
Reliability diagram of predict_proba
====================================

A classifier's probabilities are *calibrated* when, among the samples it gives
probability 0.8, about 80 % are positive. The reliability diagram bins the held-out
predictions by probability and plots the observed frequency of the positive class in
each bin: a calibrated model stays on the diagonal.

:class:`~skperceptron.MLPClassifier` outputs probabilities by construction (a logistic
output trained by cross-entropy). :class:`~skperceptron.PerceptronClassifier` only has
scores; its ``predict_proba`` fits a temperature on held-out scores during ``fit``.
scikit-learn's :class:`~sklearn.linear_model.Perceptron` has no ``predict_proba`` at all.
"""

import matplotlib.pyplot as plt
from sklearn.calibration import CalibrationDisplay
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skperceptron import MLPClassifier, PerceptronClassifier

X, y = make_classification(
    n_samples=6000, n_features=20, n_informative=6, n_redundant=4, flip_y=0.05,
    class_sep=0.8, random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

models = {
    "MLPClassifier(32,)": MLPClassifier(hidden_layer_sizes=(32,), alpha=1.0,
                                        max_iter=300, early_stopping=True,
                                        random_state=0),
    "PerceptronClassifier": PerceptronClassifier(random_state=0),
    "PerceptronClassifier(average=True)": PerceptronClassifier(average=True,
                                                               random_state=0),
}

fig, (diagram, histogram) = plt.subplots(
    2, 1, figsize=(6.5, 8), height_ratios=[2, 1], sharex=True
)
for name, model in models.items():
    model = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
    display = CalibrationDisplay.from_estimator(
        model, X_test, y_test, n_bins=10, name=name, ax=diagram
    )
    histogram.hist(display.y_prob, bins=20, range=(0, 1), histtype="step", lw=2,
                   label=name)
diagram.set_title("Reliability diagram on 3000 held-out samples")
diagram.set_xlabel("")
histogram.set_xlabel("predicted probability of class 1")
histogram.set_ylabel("samples")
histogram.legend(fontsize=8)
fig.tight_layout()
plt.show()
