"""scikit-learn's estimator checks over every MLP estimator x solver."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skperceptron import MLPClassifier, MLPRegressor


def _estimators():
    for Estimator in (MLPClassifier, MLPRegressor):
        for solver in ("lbfgs", "sgd", "adam"):
            # Default network; max_iter=100 as scikit-learn sets for its own MLP checks.
            yield Estimator(solver=solver, max_iter=100, random_state=0)


# No expected failures: every check passes for every solver, including the
# sample-weight equivalence checks that scikit-learn itself runs on its MLP.
@parametrize_with_checks(list(_estimators()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
