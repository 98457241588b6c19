"""Every option string and parameter constraint of the MLP estimators, in one place.

The string options are the keys of the tables that implement them (activations,
schedules, initialisers, optimizers), so adding an entry to a table adds the option.
The public regression losses are listed here on purpose: the core loss table
(:data:`~skperceptron._losses.LOSSES`) also holds the classifiers' internal losses.
"""

from numbers import Integral, Real

import numpy as np

from ._activations import ACTIVATIONS
from ._initialization import INITIALIZERS
from ._losses import LOSSES
from ._optimizers import OPTIMIZERS, SCHEDULES
from ._validation import Interval, Options, StrOptions

# ``solver``: scipy's full-batch L-BFGS, or one of the minibatch optimizers.
STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)
SOLVERS = ("lbfgs", *STOCHASTIC_SOLVERS)

# MLPRegressor's ``loss``.
REGRESSION_LOSSES = ("squared_error", "poisson", "huber", "absolute_error")
assert set(REGRESSION_LOSSES) <= set(LOSSES)

MLP_PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
    "solver": [StrOptions(set(SOLVERS))],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(SCHEDULES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    # Beyond scikit-learn, all off by default.
    "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "learning_rate_warmup": [Interval(Integral, 0, None, closed="left")],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "weight_init": [StrOptions(set(INITIALIZERS))],
    "scoring": [str, callable, None],
}

CLASSIFIER_CONSTRAINTS = {"class_weight": [dict, StrOptions({"balanced"}), None]}
REGRESSOR_CONSTRAINTS = {
    "loss": [StrOptions(set(REGRESSION_LOSSES))],
    "huber_delta": [Interval(Real, 0, None, closed="neither")],
}
