"""skperceptron: scikit-learn-compatible perceptron and multilayer perceptron."""

from ._display import LossCurveDisplay
from ._mlp import MLPClassifier
from ._perceptron import PerceptronClassifier
from ._persistence import InconsistentVersionWarning
from ._regressor import MLPRegressor
from ._version import __version__

__all__ = [
    "InconsistentVersionWarning",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "PerceptronClassifier",
    "__version__",
]
