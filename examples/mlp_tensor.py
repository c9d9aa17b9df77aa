"""Train a 2-layer MLP with plain gradient descent using pullback.Tensor (PyTorch-style).

Run:  python examples/mlp_tensor.py
"""

from __future__ import annotations

import numpy as np

import pullback as pb


def make_data(rng: np.random.Generator, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Points in the plane, labelled by a smooth nonlinear function."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = np.sin(3.0 * x[:, :1]) * np.cos(2.0 * x[:, 1:])
    return x, y


def train(steps: int = 300, lr: float = 0.1, seed: int = 0) -> list[float]:
    """Fit y with tanh(x W1 + b1) W2 + b2; return the loss at every step."""
    rng = np.random.default_rng(seed)
    x, y = make_data(rng)
    W1 = pb.Tensor(rng.standard_normal((2, 16)) * 0.5, requires_grad=True, name="W1")
    b1 = pb.Tensor(np.zeros(16), requires_grad=True, name="b1")
    W2 = pb.Tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True, name="W2")
    b2 = pb.Tensor(np.zeros(1), requires_grad=True, name="b2")
    params = [W1, b1, W2, b2]
    losses = []
    for _ in range(steps):
        pred = np.tanh(x @ W1 + b1) @ W2 + b2
        loss = np.mean((pred - y) ** 2)
        for p in params:
            p.zero_grad()
        loss.backward()
        with pb.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


if __name__ == "__main__":
    losses = train()
    for step in (0, 50, 100, 200, len(losses) - 1):
        print(f"step {step:3d}  loss {losses[step]:.5f}")
