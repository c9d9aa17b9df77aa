"""Design an LQR controller by gradient descent on the feedback gain, and watch it converge to the
gain the Riccati equation gives.

For x' = A x + B u with u = -K x, the cost J(K) = E[integral x^T Q x + u^T R u] over initial states
x0 ~ N(0, I) is trace(P), where P solves the closed-loop Lyapunov equation

    (A - B K)^T P + P (A - B K) + Q + K^T R K = 0.

pullback differentiates straight through the Lyapunov solver (reusing its Schur form for the
adjoint equation), so gradient descent on K needs no hand-derived gradient. The optimum is the
LQR gain K* = R^-1 B^T X, X from the continuous algebraic Riccati equation.

Run:  python examples/lqr_policy_gradient.py
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

import pullback as pb

# a lightly damped oscillator with a drifting third state, one input
A = np.array([[0.0, 1.0, 0.0], [-1.0, -0.1, 0.5], [0.0, 0.0, 0.2]])
B = np.array([[0.0], [1.0], [1.0]])
Q = np.eye(3)
R = np.array([[0.1]])


def cost(K: np.ndarray) -> float:
    """trace(P): the expected LQR cost from x0 ~ N(0, I) under u = -K x."""
    Ac = A - B @ K
    P = pb.linalg.solve_continuous_lyapunov(Ac.T, -(Q + K.T @ R @ K))
    return np.trace(P)


def stable(K: np.ndarray) -> bool:
    return bool(np.max(np.linalg.eigvals(A - B @ K).real) < 0)


def design(K0: np.ndarray, steps: int = 300, lr: float = 1.0) -> tuple[np.ndarray, list[float]]:
    """Gradient descent with a backtracking line search that keeps the closed loop stable."""
    K, history = K0.copy(), [float(cost(K0))]
    value_and_grad = pb.value_and_grad(cost)
    for _ in range(steps):
        value, g = value_and_grad(K)
        step = lr
        while not stable(K - step * g) or cost(K - step * g) > value:
            step /= 2  # leaving the stable set makes the cost meaningless: shrink the step
        K = K - step * g
        history.append(float(cost(K)))
    return K, history


def riccati_gain() -> np.ndarray:
    X = scipy.linalg.solve_continuous_are(A, B, Q, R)
    return np.linalg.solve(R, B.T @ X)


if __name__ == "__main__":
    K0 = np.array([[1.0, 1.0, 2.0]])  # any stabilizing gain
    assert stable(K0)
    K, history = design(K0)
    K_star = riccati_gain()
    print(f"cost: {history[0]:.4f} -> {history[-1]:.6f}  (Riccati optimum {cost(K_star):.6f})")
    print("gradient-descent gain:", np.round(K, 4))
    print("Riccati gain R^-1 B^T X:", np.round(K_star, 4))
