"""The docstring sections both MLP estimators share, filled in by :func:`fill_doc`.

``%(parameters)s`` and ``%(attributes)s`` in a class docstring become the shared
parameter and fitted-attribute sections (numpydoc format).
"""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or int, default=(100,)
        The ith element is the number of neurons in the ith hidden layer. An empty
        tuple gives a network with no hidden layer (a generalised linear model).

    activation : str or list of str, default='relu'
        Activation function of the hidden layers, or one per hidden layer. scikit-learn's
        'identity', 'logistic', 'tanh', 'relu', plus 'leaky_relu' (slope 0.01),
        'elu', 'softplus', 'gelu' (exact, erf-based) and 'silu'.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization. 'lbfgs' is scipy's quasi-Newton L-BFGS-B
        on the full batch; 'sgd' is minibatch stochastic gradient descent; 'adam' is
        the minibatch optimizer of Kingma and Ba. 'adam' works well on large data
        sets; on small ones 'lbfgs' often converges faster and better.

    alpha : float, default=0.0001
        Strength of the L2 penalty ``alpha / 2 * ||W||^2`` on the weights (not the
        intercepts), divided by the sum of sample weights of the batch.

    batch_size : int or 'auto', default='auto'
        Minibatch size of the stochastic solvers; 'auto' is ``min(200, n_samples)``.
        Ignored by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, default='constant'
        Learning-rate schedule: constant ``learning_rate_init``; for 'sgd' only (as in
        scikit-learn) ``learning_rate_init / (t + 1) ** power_t`` after each epoch with
        ``t`` the number of samples seen, or divided by 5 each time the
        no-improvement criterion fires (training stops when it would fall below
        1e-6); for 'sgd' and 'adam', 'cosine' anneals the rate to 0 along a half
        cosine over ``max_iter`` epochs of steps.

    learning_rate_init : float, default=0.001
        Initial step size of 'sgd' and 'adam'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of iterations: epochs for 'sgd'/'adam', L-BFGS iterations for
        'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch ('sgd', 'adam').

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the early-stopping split and the per-epoch
        shuffles. The same integer gives bitwise-identical results, and the same
        initial weights as scikit-learn's MLP.

    tol : float, default=1e-4
        Training stops when the loss (or validation score with early stopping) does
        not improve by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.
        For 'lbfgs' it is the projected-gradient tolerance.

    verbose : bool, default=False
        Print the loss at each iteration.

    warm_start : bool, default=False
        Reuse the previous solution as initialization of the next ``fit``.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (the rows
        scikit-learn holds out for the same ``random_state``; stratified for a binary
        target) and stop when the validation score stops improving; the weights of
        the best epoch are restored. 'sgd' and 'adam' only.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int or np.inf, default=10
        Number of epochs without ``tol`` improvement before stopping; ``np.inf``
        disables the criterion.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    dropout : float or list of float, default=0.0
        Inverted-dropout rate of the hidden layers' outputs during training ('sgd',
        'adam'), one rate for all hidden layers or one per layer, in [0, 1).
        Prediction is deterministic; masks are reproducible with ``random_state``.

    weight_decay : float, default=0.0
        Decoupled weight decay ('sgd', 'adam'; with 'adam' this is AdamW): each step
        shrinks the weights by ``learning_rate * weight_decay`` independently of the
        gradient. Distinct from ``alpha``, which adds an L2 term to the loss.

    learning_rate_warmup : int, default=0
        Number of epochs of linear learning-rate warm-up ('sgd', 'adam'). It
        multiplies the rate of scikit-learn's schedules; 'cosine' starts after it and
        anneals over the remaining ``max_iter - learning_rate_warmup`` epochs.

    max_grad_norm : float or None, default=None
        Rescale each minibatch gradient to at most this global L2 norm ('sgd',
        'adam').

    weight_init : {'glorot_uniform', 'he_uniform', 'he_normal', 'lecun_normal'}, \
            default='glorot_uniform'
        Initial weights. 'glorot_uniform' is scikit-learn's scheme (same draws for
        the same ``random_state``); the others draw weights from He's or LeCun's
        distributions with zero intercepts.

    scoring : str, callable or None, default=None
        Validation score for early stopping: a scikit-learn scorer name or a
        callable ``scorer(estimator, X, y)``; None uses :meth:`score`. The
        validation rows' weights (``sample_weight_val``, those of ``sample_weight``
        on the held-out split, ``class_weight``) are passed as ``sample_weight=`` to
        a scorer that accepts that keyword, as scikit-learn's scorers do; a callable
        without it scores the rows unweighted. An error the
        scorer raises fails the fit (a previously fitted model is kept), except on
        an epoch whose validation outputs are not finite: that epoch diverged and is
        rolled back."""

SHARED_ATTRIBUTES = """\
    loss_ : float
        The loss at the end of training (mean over samples, L2 penalty included).

    best_loss_ : float or None
        The lowest epoch loss ('sgd'/'adam'); None with early stopping, until a
        later ``partial_fit`` (which watches the training loss) sets it.

    loss_curve_ : list of float
        Loss of each epoch ('sgd'/'adam').

    validation_scores_ : list of float or None
        Validation score of each epoch with early stopping, else None
        ('sgd'/'adam').

    validation_loss_curve_ : list of float or None
        Validation loss (mean data loss, no penalty) of each epoch with early
        stopping, else None ('sgd'/'adam').

    best_validation_score_ : float or None
        Best validation score with early stopping, else None ('sgd'/'adam').

    t_ : int
        Number of training samples seen by the stochastic solver.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    n_iter_ : int
        Number of iterations run by the solver in the last call ('sgd'/'adam': its
        finite epochs; an epoch that diverged or was interrupted is rolled back).

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Name of the output activation."""


def fill_doc(cls):
    cls.__doc__ = cls.__doc__.replace("%(parameters)s", SHARED_PARAMETERS).replace(
        "%(attributes)s", SHARED_ATTRIBUTES
    )
    return cls
