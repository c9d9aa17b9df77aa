"""A differentiable QP layer: recover the expected returns that make a mean-variance portfolio
hold a given allocation (inverse optimization), by gradient descent through the QP.

The layer is the long-only portfolio problem

    x*(mu) = argmin  1/2 x^T S x - mu^T x   s.t.  sum(x) = 1,  x >= 0,

and the loss is |x*(mu) - target|^2. pullback.optimize.qp solves it (an interior-point method) and
differentiates the solution through the KKT conditions of the active constraints, so d x*/d mu is
exact: assets held at zero have zero sensitivity, the budget constraint couples the others.

Run:  python examples/qp_layer.py
"""

from __future__ import annotations

import numpy as np

import pullback as pb
from pullback.optimize import qp

rng = np.random.default_rng(0)
n = 5
F = rng.standard_normal((n, n)) / np.sqrt(n)
S = F @ F.T + 0.1 * np.eye(n)  # the covariance of the returns
ONES = np.ones((1, n))
TARGET = np.array([0.4, 0.3, 0.2, 0.1, 0.0])  # the allocation we want to explain (one asset out)


def portfolio(mu: np.ndarray) -> np.ndarray:
    return qp(S, -mu, A=ONES, b=np.array([1.0]), G=-np.eye(n), h=np.zeros(n)).x


def loss(mu: np.ndarray) -> float:
    return np.sum((portfolio(mu) - TARGET) ** 2)


def fit(steps: int = 300, lr: float = 0.02) -> tuple[np.ndarray, list[float]]:
    mu, history = np.zeros(n), []
    value_and_grad = pb.value_and_grad(loss)
    for _ in range(steps):
        value, g = value_and_grad(mu)
        history.append(float(value))
        mu = mu - lr * g
    history.append(float(loss(mu)))
    return mu, history


if __name__ == "__main__":
    mu, history = fit()
    print(f"loss: {history[0]:.4f} -> {history[-1]:.2e}")
    print("fitted expected returns:", np.round(mu, 4))
    print("portfolio:", np.round(portfolio(mu), 4), " target:", TARGET)
    J = pb.jacobian(portfolio)(mu)  # d x* / d mu at the fit: row/column 4 (held at 0) vanish
    print("sensitivity d x*/d mu:\n", np.round(J, 3))
