"""skperceptron: scikit-learn-compatible perceptron and multilayer perceptron."""

from ._display import LossCurveDisplay
from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import PerceptronClassifier
from ._persistence import InconsistentVersionWarning
from ._version import __version__

__all__ = [
    "InconsistentVersionWarning",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "PerceptronClassifier",
    "__version__",
]
