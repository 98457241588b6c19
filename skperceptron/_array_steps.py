"""The optimizers' update steps for arrays of any Array API namespace.

The same formulas, in the same order of operations, as the numpy/compiled steps of
``_fused`` (so a device step equals a host step to round-off); each array of the
optimizer's state is written back into itself (``a[...] = ...``), so the state dict and
theta keep their identity, as the in-place numpy steps do.
"""


# The namespace, then Adam's four arrays and its scalars as _fused.adam_update takes them.
def adam_update(xp, theta, grad, m, v, lr, beta_1, beta_2, epsilon, n_decay=0, decay=1.0):
    """One Adam(W) step (see ``_fused.adam_update`` for the formula)."""
    if decay != 1.0:
        theta[:n_decay] = theta[:n_decay] * decay
    m[...] = m * beta_1 + (1.0 - beta_1) * grad
    v[...] = v * beta_2 + (1.0 - beta_2) * (grad * grad)
    theta[...] = theta + -lr * (m / (xp.sqrt(v) + epsilon))


# The namespace, then SGD's three arrays and its scalars as _fused.sgd_update takes them.
def sgd_update(xp, theta, grad, velocity, lr, momentum, nesterov, n_decay=0, decay=1.0):
    """One SGD step with (Nesterov) momentum (see ``_fused.sgd_update``)."""
    if decay != 1.0:
        theta[:n_decay] = theta[:n_decay] * decay
    velocity[...] = velocity * momentum + -lr * grad
    if nesterov:
        theta[...] = (theta + -lr * grad) + momentum * velocity
    else:
        theta[...] = theta + velocity

