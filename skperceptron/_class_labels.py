"""MLPClassifier's labels: classes_, the target matrix, class weights, and back.

``classes_`` and the encoding always live on the host (numpy), whatever the input's
namespace: string labels have no device. Predicted indices come back in the namespace
of the network's output; ``_labels`` maps them to labels there for numeric classes.
"""

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._validation import (
    check_class_weights,
    namespace_and_device,
    to_host,
    type_of_target,
    unique_labels,
)


class ClassLabelsMixin:
    """Target encoding and decoding of :class:`~skperceptron.MLPClassifier`."""

    def _encode_targets(self, y, *, first_pass, incremental, classes, dtype):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        sparse = hasattr(y, "toarray")
        if sparse:
            y = y.toarray()
        if first_pass:
            self._set_classes(y, multilabel, classes)
            # As scikit-learn's LabelBinarizer: a sparse indicator matrix fitted, a
            # sparse one predicted.
            self._sparse_labels = multilabel and sparse
        else:
            self._check_classes(y, multilabel, incremental, classes)
        return self._binarize(y, dtype)

    def _set_classes(self, y, multilabel, classes):
        if multilabel:
            columns = np.arange(y.shape[1])
            if classes is not None and not np.array_equal(unique_labels(classes), columns):
                raise ValueError(
                    f"`classes={unique_labels(classes)}` does not match the multilabel "
                    f"`y`: its classes are its column indices {columns}."
                )
            self.classes_, self._target_kind = columns, "multilabel"
            return
        classes_ = unique_labels(y) if classes is None else unique_labels(classes)
        unseen = np.setdiff1d(unique_labels(y), classes_)
        if unseen.size:
            raise ValueError(
                f"`y` has labels {unseen} that are not in `classes` {classes_}."
            )
        if len(classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes_[:1].tolist()[0]!r}."
            )
        self.classes_ = classes_
        self._target_kind = "binary" if len(classes_) == 2 else "multiclass"

    def _check_classes(self, y, multilabel, incremental, classes):
        if multilabel != (self._target_kind == "multilabel"):
            raise ValueError(
                "The type of target changed since the previous fit: it was %s, `y` is "
                "now %s." % (self._target_kind, type_of_target(y))
            )
        if classes is not None and not np.array_equal(
            unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"`classes={unique_labels(classes)}` is not the same as on the last "
                f"call to partial_fit, was: {self.classes_}."
            )
        if multilabel:
            if y.shape[1] != len(self.classes_):
                raise ValueError(
                    "`y` has %d labels, the model was fitted with %d."
                    % (y.shape[1], len(self.classes_))
                )
            return
        present = unique_labels(y)
        if self.warm_start and not incremental:
            if set(present) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` "
                    f"has {present}"
                )
        elif np.setdiff1d(present, self.classes_).size:
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {present}."
            )

    def _binarize(self, y, dtype):
        if self._target_kind == "multilabel":
            return np.asarray(y, dtype=dtype)
        index = np.searchsorted(self.classes_, y)
        if self._target_kind == "binary":
            return (index == 1).astype(dtype)[:, None]
        Y = np.zeros((len(y), len(self.classes_)), dtype=dtype)
        Y[np.arange(len(y)), index] = 1
        return Y

    def _encode_validation_targets(self, y, dtype, n_outputs):
        y = np.asarray(y) if not hasattr(y, "toarray") else y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self._target_kind == "multilabel":
            if y.ndim != 2 or y.shape[1] != len(self.classes_) or not np.isin(y, (0, 1)).all():
                raise ValueError(
                    f"y_val must be an indicator matrix like y: {len(self.classes_)} "
                    f"columns of 0 and 1; got shape {y.shape}."
                )
        else:
            if y.ndim != 1:
                raise ValueError(f"y_val must be 1-D like y; got shape {y.shape}.")
            try:
                unknown = np.setdiff1d(unique_labels(y), self.classes_)
            except TypeError as error:  # NaN, None or pd.NA among string labels
                raise ValueError(
                    f"y_val has labels that cannot be compared with classes_ "
                    f"{self.classes_} ({error}); missing values are not labels."
                ) from error
            if unknown.size:
                raise ValueError(
                    f"y_val has labels {unknown} that are not in classes_ {self.classes_}."
                )
        return self._binarize(y, dtype)

    def _decode_targets(self, Y):
        indices = self._indices(Y)
        return indices if self._target_kind == "multilabel" else self.classes_[indices]

    def _weigh_samples(self, Y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._target_kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole data set and is not available "
                "in partial_fit; pass a dict of class weights instead."
            )
        index = self._indices(Y)
        if self.class_weight == "balanced":
            # Balanced over the classes present in this call's data.
            present = np.unique(index)
            weights = np.ones(len(self.classes_))
            weights[present] = compute_class_weight(
                "balanced", classes=self.classes_[present], y=self.classes_[index]
            )
        else:
            weights = compute_class_weight(
                self.class_weight, classes=self.classes_, y=self.classes_[index]
            )
        per_sample = check_class_weights(weights, self.class_weight)[index].astype(Y.dtype)
        return per_sample if sample_weight is None else per_sample * sample_weight


    def _stratify(self, Y):
        # As scikit-learn: only a binary target (one output column) is stratified; a
        # multiclass or multilabel split is a plain random one, so that the same
        # random_state holds out the same rows.
        if self._target_kind == "binary":
            return Y > 0.5
        return None

    def _indices(self, output):
        """Predicted class indices (or indicator matrix) from probabilities, in the
        namespace of ``output``."""
        xp, _ = namespace_and_device(output)
        if self._target_kind == "multiclass":
            return xp.argmax(output, axis=1)
        if self._target_kind == "binary":
            return xp.astype(output[:, 0] > 0.5, xp.int64)
        return xp.astype(output > 0.5, xp.int64)

    def _labels(self, indices):
        """``classes_[indices]``: in the namespace and on the device of ``indices`` for
        numeric labels, a numpy array for string (object) labels, which have no device."""
        if isinstance(indices, np.ndarray):
            return self.classes_[indices]
        if self.classes_.dtype.kind not in "biuf":
            return self.classes_[to_host(indices)]
        xp, device = namespace_and_device(indices)
        return xp.take(xp.asarray(self.classes_, device=device), indices)

