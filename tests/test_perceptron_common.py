"""scikit-learn's estimator checks on PerceptronClassifier.

The only expected failures are the two that scikit-learn itself marks for Perceptron:
an online perceptron's sample weight scales a step, which is not the same as repeating
the row (the order and number of updates differ).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skperceptron import PerceptronClassifier

REASON = (
    "sample_weight scales the step of an online update, which is not equivalent to "
    "removing or repeating samples (scikit-learn marks the same for Perceptron)."
)
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": REASON,
    "check_sample_weight_equivalence_on_sparse_data": REASON,
}


@parametrize_with_checks(
    # The averaged perceptron is checked against SGDClassifier in test_perceptron.py
    # instead: like SGDClassifier(average=True), it does not pass
    # check_class_weight_classifiers, whose data it cannot fit in few epochs.
    [PerceptronClassifier(), PerceptronClassifier(max_iter=5, penalty="elasticnet")],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
