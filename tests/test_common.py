"""scikit-learn's estimator checks: the one entry point for every estimator.

``parametrize_with_checks`` runs over each estimator, each MLP solver, and the MLPs
with the features scikit-learn does not have switched on. ``check_param_validation``
is not among the checks ``parametrize_with_checks`` yields (scikit-learn runs it from
its own test suite), so it runs here separately, on every estimator.

An expected failure is listed only with the concrete reason it cannot pass.
"""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier

SOLVERS = ("lbfgs", "sgd", "adam")


def _plain():
    for Estimator in (MLPClassifier, MLPRegressor):
        for solver in SOLVERS:
            # Default network; max_iter=100 as scikit-learn sets for its own MLP checks.
            yield Estimator(solver=solver, max_iter=100, random_state=0)
    # The averaged perceptron is checked against SGDClassifier in test_perceptron.py
    # instead: like SGDClassifier(average=True), it does not pass
    # check_class_weight_classifiers, whose data it cannot fit in few epochs.
    yield PerceptronClassifier()
    yield PerceptronClassifier(max_iter=5, penalty="elasticnet")


def _featured():
    yield MLPClassifier(
        hidden_layer_sizes=(20, 10), activation=["gelu", "leaky_relu"], dropout=0.1,
        class_weight="balanced", weight_decay=1e-3, learning_rate="cosine",
        learning_rate_warmup=2, max_grad_norm=5.0, weight_init="he_uniform", max_iter=100,
        random_state=0,
    )
    yield MLPClassifier(solver="sgd", learning_rate="cosine", dropout=[0.2], activation="silu",
                        weight_init="lecun_normal", max_iter=100, random_state=0)
    yield MLPRegressor(loss="huber", huber_delta=0.5, activation="elu", dropout=0.1,
                       weight_decay=1e-3, max_grad_norm=10.0, max_iter=100, random_state=0)
    yield MLPRegressor(loss="absolute_error", activation="softplus", solver="lbfgs",
                       max_iter=100, random_state=0)


_ONLINE_STEP = (
    "sample_weight scales the step of an online update, which is not equivalent to "
    "removing or repeating samples (scikit-learn marks the same for Perceptron)"
)
_DROPOUT = (
    "dropout draws an independent mask for every row, so a row repeated k times sees "
    "other masks than the same row with weight k"
)
_BALANCED_PARTIAL_FIT = (
    "class_weight='balanced' needs the whole data set: partial_fit raises a ValueError "
    "by design, as SGDClassifier does"
)
_MULTILABEL = "class_weight is defined for single-label targets; multilabel raises by design"
_SAMPLE_WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)


def _expected_failed_checks(estimator):
    failures = {}
    if isinstance(estimator, PerceptronClassifier):
        failures.update(dict.fromkeys(_SAMPLE_WEIGHT_CHECKS, _ONLINE_STEP))
        return failures
    # Every MLP with its defaults passes every check, including the sample-weight
    # equivalence checks that scikit-learn itself runs on its MLP.
    if estimator.dropout:
        failures.update(dict.fromkeys(_SAMPLE_WEIGHT_CHECKS, _DROPOUT))
    if getattr(estimator, "class_weight", None) == "balanced":
        for check in ("check_fit_score_takes_y", "check_n_features_in_after_fitting",
                      "check_estimators_partial_fit_n_features"):
            failures[check] = _BALANCED_PARTIAL_FIT
        for check in ("check_classifiers_multilabel_representation_invariance",
                      "check_classifiers_multilabel_output_format_predict",
                      "check_classifiers_multilabel_output_format_predict_proba",
                      "check_classifiers_multilabel_output_format_decision_function"):
            failures[check] = _MULTILABEL
    return failures


ESTIMATORS = [*_plain(), *_featured()]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", list(_plain()), ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


def test_every_public_estimator_is_checked():
    import skperceptron

    public = {name for name in skperceptron.__all__ if name.endswith(("Classifier", "Regressor"))}
    assert {type(e).__name__ for e in ESTIMATORS} == public
