# Placeholder replaced by the perceptron work (issue 3): keeps the build wired end to end.
def _kernel_available():
    return True
