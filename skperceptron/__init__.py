"""skperceptron: scikit-learn-compatible perceptron and multilayer perceptron."""

from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import PerceptronClassifier

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "PerceptronClassifier", "__version__"]
