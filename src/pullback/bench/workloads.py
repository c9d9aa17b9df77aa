"""The benchmark workloads W1-W8: inputs, the hand-written NumPy/SciPy gradient (the reference and
the practical limit) and one implementation per library. A consumer of the public API only.

Every implementation is a builder `build(data) -> run`, where `run()` returns the result as a
list of NumPy arrays in the reference's order. A builder raises `Skip` when its library lacks
what the workload needs; a peer library is imported only inside its builders.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

import pullback as pb

Data = dict[str, Any]
Run = Callable[[], list[np.ndarray]]


class Skip(Exception):
    """The library cannot run this workload (the message says why); the cell is skipped."""


@dataclass(slots=True)
class Impl:
    name: str  # the row label, e.g. "pullback jacfwd"
    lib: str  # the library key that --libs selects: numpy, pullback, autograd, torch, jax, jax-jit
    build: Callable[[Data], Run]


@dataclass(slots=True)
class Workload:
    key: str  # "W2-f64"
    group: str  # "W2" (what --workloads selects)
    title: str
    setup: Callable[[np.random.Generator, bool], Data]  # (rng, tiny) -> inputs
    impls: list[Impl]
    kind: str = "time"  # "time" or "memory" (W8: peak bytes allocated during the call)
    rtol: float = 1e-6  # agreement with the reference (relative to the reference's max |value|)
    per_op: Callable[[Data], int] | None = None  # W1: report time per primitive op
    targets: dict[str, float] = field(default_factory=dict)  # impl name -> max ratio to ref
    # an extra check on the medians {impl name: seconds}: (impl name, text) or None
    check: Callable[[Data, dict[str, float]], tuple[str, str] | None] | None = None


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise Skip("torch is not installed") from e
    torch.set_num_threads(1)
    return torch


def _autograd() -> Any:
    try:
        import autograd
        import autograd.numpy
        import autograd.scipy.special
    except ImportError as e:
        raise Skip("autograd is not installed") from e
    return autograd


def _jax() -> Any:
    try:
        import jax
    except ImportError as e:
        raise Skip("jax is not installed") from e
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax


def _jax_run(fn: Callable[..., Any], args: tuple[Any, ...]) -> Run:
    jax = _jax()
    jargs = jax.tree_util.tree_map(jax.numpy.asarray, args)

    def run() -> list[np.ndarray]:
        out = jax.block_until_ready(fn(*jargs))
        return [np.asarray(o) for o in jax.tree_util.tree_leaves(out)]

    return run


def _torch_grad_run(loss: Callable[..., Any], arrays: list[np.ndarray]) -> Run:
    torch = _torch()
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]

    def run() -> list[np.ndarray]:
        return [g.numpy() for g in torch.autograd.grad(loss(*leaves), leaves)]

    return run


# ---- W1: per-op overhead: a chain of 4 * steps small elementwise ops on x in R^10 ------------
def _w1_setup(rng: np.random.Generator, tiny: bool) -> Data:
    return {"x": rng.standard_normal(10), "steps": 10 if tiny else 200}


def _chain(xp: Any, x: Any, steps: int) -> Any:
    for _ in range(steps):
        y = xp.sin(x)
        y = y * 0.01
        x = x + y
        x = x * 0.999
    return xp.sum(x)


def _w1_ops(d: Data) -> int:
    return 4 * d["steps"] + 1


def _w1_numpy(d: Data) -> Run:
    x0, steps = d["x"], d["steps"]

    def run() -> list[np.ndarray]:
        xs = []
        x = x0
        for _ in range(steps):
            xs.append(x)
            x = (x + 0.01 * np.sin(x)) * 0.999
        g = np.ones_like(x)
        for x in reversed(xs):  # x_{k+1} = 0.999 (x_k + 0.01 sin x_k)
            g = g * (0.999 * (1.0 + 0.01 * np.cos(x)))
        return [g]

    return run


def _w1_pullback(d: Data) -> Run:
    g = pb.grad(lambda x: _chain(np, x, d["steps"]))
    return lambda: [g(d["x"])]


def _w1_autograd(d: Data) -> Run:
    ag = _autograd()
    g = ag.grad(lambda x: _chain(ag.numpy, x, d["steps"]))
    return lambda: [g(d["x"])]


def _w1_torch(d: Data) -> Run:
    torch = _torch()
    return _torch_grad_run(lambda x: _chain(torch, x, d["steps"]), [d["x"]])


def _w1_jax(jit: bool) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        g = jax.grad(lambda x: _chain(jax.numpy, x, d["steps"]))
        return _jax_run(jax.jit(g) if jit else g, (d["x"],))

    return build


# ---- W2 / W8: MLP 784-512-512-10, tanh, softmax cross-entropy, grad w.r.t. all parameters ----
def _w2_setup(dtype: Any) -> Callable[[np.random.Generator, bool], Data]:
    def setup(rng: np.random.Generator, tiny: bool) -> Data:
        sizes, batch = ((20, 16, 16, 5), 8) if tiny else ((784, 512, 512, 10), 256)
        params = []
        for n_in, n_out in itertools.pairwise(sizes):
            params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype))
            params.append((0.1 * rng.standard_normal(n_out)).astype(dtype))
        X = rng.standard_normal((batch, sizes[0])).astype(dtype)
        Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], batch)]
        return {"params": tuple(params), "X": X, "Y": Y}

    return setup


def _mlp_logits(params: Any, X: Any, tanh: Callable[[Any], Any]) -> Any:
    W1, b1, W2, b2, W3, b3 = params
    h = tanh(X @ W1 + b1)
    h = tanh(h @ W2 + b2)
    return h @ W3 + b3


def _w2_numpy(d: Data) -> Run:
    X, Y = d["X"], d["Y"]

    def run() -> list[np.ndarray]:
        W1, b1, W2, b2, W3, b3 = d["params"]
        h1 = np.tanh(X @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        z = h2 @ W3 + b3
        e = np.exp(z - z.max(axis=1, keepdims=True))
        dz = (e / e.sum(axis=1, keepdims=True) - Y) / X.shape[0]  # softmax - onehot
        da2 = (dz @ W3.T) * (1 - h2 * h2)
        da1 = (da2 @ W2.T) * (1 - h1 * h1)
        return [X.T @ da1, da1.sum(0), h1.T @ da2, da2.sum(0), h2.T @ dz, dz.sum(0)]

    return run


def _w2_pullback(d: Data) -> Run:
    X, Y = d["X"], d["Y"]

    def loss(params: Any) -> Any:
        z = _mlp_logits(params, X, np.tanh)
        m = np.max(pb.stop_gradient(z), axis=1, keepdims=True)  # the shift carries no gradient
        lse = np.log(np.sum(np.exp(z - m), axis=1)) + m[:, 0]
        return np.sum(lse - np.sum(Y * z, axis=1)) / X.shape[0]

    g = pb.grad(loss)
    return lambda: list(g(d["params"]))


def _w2_autograd(d: Data) -> Run:
    ag = _autograd()
    X, Y = d["X"], d["Y"]
    anp, lse = ag.numpy, ag.scipy.special.logsumexp

    def loss(params: Any) -> Any:
        z = _mlp_logits(params, X, anp.tanh)
        return anp.sum(lse(z, axis=1) - anp.sum(Y * z, axis=1)) / X.shape[0]

    g = ag.grad(loss)
    return lambda: list(g(d["params"]))


def _w2_torch(d: Data) -> Run:
    torch = _torch()
    X, Y = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"])

    def loss(*params: Any) -> Any:
        z = _mlp_logits(params, X, torch.tanh)
        return torch.sum(torch.logsumexp(z, 1) - torch.sum(Y * z, 1)) / X.shape[0]

    return _torch_grad_run(loss, list(d["params"]))


def _w2_jax(jit: bool) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        jnp = jax.numpy
        X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])

        def loss(params: Any) -> Any:
            z = _mlp_logits(params, X, jnp.tanh)
            return jnp.sum(jax.nn.logsumexp(z, axis=1) - jnp.sum(Y * z, axis=1)) / X.shape[0]

        g = jax.grad(loss)
        return _jax_run(jax.jit(g) if jit else g, (d["params"],))

    return build


# ---- W3: loss sum(solve(A, b)^2), grad w.r.t. A and b -----------------------------------------
def _w3_setup(rng: np.random.Generator, tiny: bool) -> Data:
    n = 8 if tiny else 500
    A = rng.standard_normal((n, n)) / np.sqrt(n) + 2.0 * np.eye(n)
    return {"A": A, "b": rng.standard_normal(n)}


def _w3_numpy(d: Data) -> Run:
    def run() -> list[np.ndarray]:
        lu = scipy.linalg.lu_factor(d["A"])
        x = scipy.linalg.lu_solve(lu, d["b"])
        w = scipy.linalg.lu_solve(lu, 2.0 * x, trans=1)  # w = A^-T xbar
        return [-np.outer(w, x), w]  # Abar = -w x^T, bbar = w

    return run


def _w3_loss(solve: Callable[[Any, Any], Any], xp: Any) -> Callable[[Any, Any], Any]:
    return lambda A, b: xp.sum(solve(A, b) ** 2)


def _w3_pullback(d: Data) -> Run:
    g = pb.grad(_w3_loss(np.linalg.solve, np), argnums=(0, 1))
    return lambda: list(g(d["A"], d["b"]))


def _w3_autograd(d: Data) -> Run:
    ag = _autograd()
    g = ag.grad(_w3_loss(ag.numpy.linalg.solve, ag.numpy), argnum=(0, 1))
    return lambda: list(g(d["A"], d["b"]))


def _w3_torch(d: Data) -> Run:
    torch = _torch()
    return _torch_grad_run(_w3_loss(torch.linalg.solve, torch), [d["A"], d["b"]])


def _w3_jax(jit: bool) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        g = jax.grad(_w3_loss(jax.numpy.linalg.solve, jax.numpy), argnums=(0, 1))
        return _jax_run(jax.jit(g) if jit else g, (d["A"], d["b"]))

    return build


# ---- W4: continuous Lyapunov A P + P A^T = Q, loss sum(P * P), grad w.r.t. A ------------------
def _w4_setup(rng: np.random.Generator, tiny: bool) -> Data:
    n = 6 if tiny else 150
    A = rng.standard_normal((n, n)) / np.sqrt(n) - 1.5 * np.eye(n)  # eigenvalues in Re < 0
    B = rng.standard_normal((n, n)) / np.sqrt(n)
    return {"A": A, "Q": B @ B.T + np.eye(n)}


def _w4_numpy(d: Data) -> Run:
    A, Q = d["A"], d["Q"]
    trsyl = scipy.linalg.lapack.dtrsyl

    def run() -> list[np.ndarray]:
        # One real Schur form A = U T U^T (T quasi-triangular) serves both equations.
        T, U = scipy.linalg.schur(A, output="real")
        Y, s, info = trsyl(T, T, U.T @ Q @ U, tranb="T")  # T Y + Y T^T = U^T Q U
        assert info >= 0, info
        P = U @ (Y / s) @ U.T
        # The adjoint A^T S + S A = Pbar (Pbar = 2 P) is T^T Z + Z T = U^T Pbar U, S = U Z U^T.
        Z, s, info = trsyl(T, T, U.T @ (2.0 * P) @ U, trana="T")
        assert info >= 0, info
        S = U @ (Z / s) @ U.T
        # dP solves A dP + dP A^T = -(dA P + P dA^T), so <Pbar, dP> = <A^T S + S A, dP>
        # = <S, A dP + dP A^T> = -<S P^T + S^T P, dA>:
        return [-(S @ P.T + S.T @ P)]  # Abar = -(S P^T + S^T P)

    return run


def _w4_pullback(d: Data) -> Run:
    lyap = getattr(pb.linalg, "solve_continuous_lyapunov", None)
    if lyap is None:
        raise Skip("pullback.linalg.solve_continuous_lyapunov is not available yet")
    Q = d["Q"]
    g = pb.grad(lambda A: np.sum(lyap(A, Q) ** 2))
    return lambda: [g(d["A"])]


def _no_lyapunov(d: Data) -> Run:
    raise Skip("no differentiable continuous Lyapunov solver")


# ---- W5: Jacobians of tanh(M x): R^1000 -> R^10 ("wide") and R^10 -> R^1000 ("tall") ----------
def _w5_setup(n_in: int, n_out: int) -> Callable[[np.random.Generator, bool], Data]:
    def setup(rng: np.random.Generator, tiny: bool) -> Data:
        m, n = (max(2, n_out // 50), max(2, n_in // 50)) if tiny else (n_out, n_in)
        return {"M": rng.standard_normal((m, n)) / np.sqrt(n), "x": rng.standard_normal(n)}

    return setup


def _w5_numpy(d: Data) -> Run:
    M, x = d["M"], d["x"]

    def run() -> list[np.ndarray]:
        y = np.tanh(M @ x)
        return [(1.0 - y * y)[:, None] * M]  # J = diag(1 - y^2) M

    return run


def _w5_pullback(kind: str) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        M = d["M"]
        f = lambda x: np.tanh(M @ x)
        jac = {"fwd": pb.jacfwd(f), "rev": pb.jacrev(f), "auto": pb.jacobian(f, mode="auto")}
        j = jac[kind]
        return lambda: [j(d["x"])]

    return build


def _w5_check(d: Data, medians: dict[str, float]) -> tuple[str, str] | None:
    """Does jacobian(mode="auto") pick the faster of the two modes (by the sizes, as it does)?"""
    fwd, rev = medians.get("pullback fwd"), medians.get("pullback rev")
    if fwd is None or rev is None:
        return None
    n_out, n_in = d["M"].shape
    picked = "fwd" if n_in < n_out else "rev"  # the rule of pullback.jacobian(mode="auto")
    faster = "fwd" if fwd < rev else "rev"
    verdict = "met" if picked == faster else "not met"
    return "pullback auto", f"picks {picked}, the faster mode is {faster}: {verdict}"


def _w5_autograd(d: Data) -> Run:
    ag = _autograd()
    M = d["M"]
    j = ag.jacobian(lambda x: ag.numpy.tanh(M @ x))
    return lambda: [j(d["x"])]


def _w5_torch(kind: str) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        torch = _torch()
        M, x = torch.from_numpy(d["M"]), torch.from_numpy(d["x"])
        f = lambda x: torch.tanh(M @ x)
        if kind == "rev":  # torch.autograd.functional.jacobian: one backward per output
            return lambda: [torch.autograd.functional.jacobian(f, x).numpy()]
        jf = torch.func.jacfwd(f)  # vmapped forward mode
        return lambda: [jf(x).numpy()]

    return build


def _w5_jax(kind: str) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        M = jax.numpy.asarray(d["M"])
        f = lambda x: jax.numpy.tanh(M @ x)
        return _jax_run(jax.jacfwd(f) if kind == "fwd" else jax.jacrev(f), (d["x"],))

    return build


# ---- W6: hessian of sum(log(1 + exp(A x))) + |x|^2 / 2, x in R^200 ---------------------------
def _w6_setup(rng: np.random.Generator, tiny: bool) -> Data:
    m, n = (6, 4) if tiny else (300, 200)
    return {"A": rng.standard_normal((m, n)) / np.sqrt(n), "x": rng.standard_normal(n)}


def _w6_f(xp: Any, A: Any) -> Callable[[Any], Any]:
    return lambda x: xp.sum(xp.log(1.0 + xp.exp(A @ x))) + 0.5 * xp.sum(x * x)


def _w6_numpy(d: Data) -> Run:
    A, x = d["A"], d["x"]

    def run() -> list[np.ndarray]:
        s = 1.0 / (1.0 + np.exp(-(A @ x)))
        return [A.T @ ((s * (1.0 - s))[:, None] * A) + np.eye(x.size)]  # A^T diag(s(1-s)) A + I

    return run


def _w6_pullback(d: Data) -> Run:
    h = pb.hessian(_w6_f(np, d["A"]))
    return lambda: [h(d["x"])]


def _w6_autograd(d: Data) -> Run:
    ag = _autograd()
    h = ag.hessian(_w6_f(ag.numpy, d["A"]))
    return lambda: [h(d["x"])]


def _w6_torch(d: Data) -> Run:
    torch = _torch()
    A, x = torch.from_numpy(d["A"]), torch.from_numpy(d["x"])
    f = _w6_f(torch, A)
    return lambda: [torch.autograd.functional.hessian(f, x).numpy()]


def _w6_jax(jit: bool) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        h = jax.hessian(_w6_f(jax.numpy, jax.numpy.asarray(d["A"])))
        return _jax_run(jax.jit(h) if jit else h, (d["x"],))

    return build


# ---- W7: equality-constrained QP min x^T Q x / 2 + c^T x s.t. A x = b, loss sum(x^2) ----------
# Only Q's symmetric part defines the problem (as in pullback.optimize.qp), so every KKT version
# builds its matrix from (Q + Q^T) / 2 and every gradient w.r.t. Q is symmetric.
def _w7_setup(rng: np.random.Generator, tiny: bool) -> Data:
    n, m = (6, 2) if tiny else (300, 50)
    B = rng.standard_normal((n, n)) / np.sqrt(n)
    return {
        "Q": B @ B.T + np.eye(n),
        "c": rng.standard_normal(n),
        "A": rng.standard_normal((m, n)) / np.sqrt(n),
        "b": rng.standard_normal(m),
    }


def _kkt(xp: Any, Q: Any, A: Any, concat: Callable[..., Any]) -> Any:
    m = A.shape[0]
    top = concat([Q, A.T], 1)
    bottom = concat([A, xp.zeros((m, m), dtype=A.dtype)], 1)
    return concat([top, bottom], 0)


def _w7_numpy(d: Data) -> Run:
    Q, c, A, b = d["Q"], d["c"], d["A"], d["b"]
    n = Q.shape[0]

    def run() -> list[np.ndarray]:
        lu = scipy.linalg.lu_factor(np.block([[Q, A.T], [A, np.zeros((A.shape[0],) * 2)]]))
        sol = scipy.linalg.lu_solve(lu, np.concatenate([-c, b]))  # (x, nu)
        w = scipy.linalg.lu_solve(lu, np.concatenate([2.0 * sol[:n], np.zeros(b.size)]), trans=1)
        Kbar = -np.outer(w, sol)  # K sol = r:  Kbar = -w sol^T,  rbar = w
        Qbar = (Kbar[:n, :n] + Kbar[:n, :n].T) / 2  # only Q's symmetric part enters the problem
        return [Qbar, -w[:n], Kbar[n:, :n] + Kbar[:n, n:].T, w[n:]]

    return run


def _w7_loss(xp: Any, solve: Any, concat: Any) -> Callable[..., Any]:
    def loss(Q: Any, c: Any, A: Any, b: Any) -> Any:
        sol = solve(_kkt(xp, (Q + Q.T) / 2, A, concat), concat([-c, b], 0))
        return xp.sum(sol[: Q.shape[0]] ** 2)

    return loss


def _w7_pullback_qp(d: Data) -> Run:
    qp = getattr(pb.optimize, "qp", None)
    if qp is None:
        raise Skip("pullback.optimize.qp is not available yet")

    def loss(Q: Any, c: Any, A: Any, b: Any) -> Any:
        out = qp(Q, c, A=A, b=b)
        x = out[0] if isinstance(out, tuple) else getattr(out, "x", out)
        return np.sum(x**2)

    g = pb.grad(loss, argnums=(0, 1, 2, 3))
    return lambda: list(g(d["Q"], d["c"], d["A"], d["b"]))


def _w7_pullback_kkt(d: Data) -> Run:
    g = pb.grad(_w7_loss(np, np.linalg.solve, np.concatenate), argnums=(0, 1, 2, 3))
    return lambda: list(g(d["Q"], d["c"], d["A"], d["b"]))


def _w7_autograd(d: Data) -> Run:
    ag = _autograd()
    anp = ag.numpy
    g = ag.grad(_w7_loss(anp, anp.linalg.solve, anp.concatenate), argnum=(0, 1, 2, 3))
    return lambda: list(g(d["Q"], d["c"], d["A"], d["b"]))


def _w7_torch(d: Data) -> Run:
    torch = _torch()
    loss = _w7_loss(torch, torch.linalg.solve, torch.cat)
    return _torch_grad_run(loss, [d["Q"], d["c"], d["A"], d["b"]])


def _w7_jax(jit: bool) -> Callable[[Data], Run]:
    def build(d: Data) -> Run:
        jax = _jax()
        jnp = jax.numpy
        g = jax.grad(_w7_loss(jnp, jnp.linalg.solve, jnp.concatenate), argnums=(0, 1, 2, 3))
        return _jax_run(jax.jit(g) if jit else g, (d["Q"], d["c"], d["A"], d["b"]))

    return build


# ---- the table of workloads -----------------------------------------------------------------
HAND = "hand-written"


def _peers(
    autograd: Callable[[Data], Run] | None,
    torch: Callable[[Data], Run] | None,
    jax: Callable[[bool], Callable[[Data], Run]] | None,
) -> list[Impl]:
    out = []
    if autograd is not None:
        out.append(Impl("autograd", "autograd", autograd))
    if torch is not None:
        out.append(Impl("torch eager", "torch", torch))
    if jax is not None:
        out += [Impl("jax eager", "jax", jax(False)), Impl("jax jit", "jax-jit", jax(True))]
    return out


def workloads() -> list[Workload]:
    """Every workload, in the order they run and are reported."""
    w2 = [Impl(HAND, "numpy", _w2_numpy), Impl("pullback", "pullback", _w2_pullback)]
    w2 += _peers(_w2_autograd, _w2_torch, _w2_jax)
    w5 = [Impl(HAND + " (closed form)", "numpy", _w5_numpy)]
    w5 += [Impl(f"pullback {k}", "pullback", _w5_pullback(k)) for k in ("fwd", "rev", "auto")]
    w5 += [
        Impl("autograd", "autograd", _w5_autograd),
        Impl("torch rev", "torch", _w5_torch("rev")),
        Impl("torch fwd", "torch", _w5_torch("fwd")),
        Impl("jax jacfwd", "jax", _w5_jax("fwd")),
        Impl("jax jacrev", "jax", _w5_jax("rev")),
    ]
    jac5 = {"pullback auto": 5.0}
    return [
        Workload(
            "W1",
            "W1",
            "overhead: grad of a chain of 801 elementwise ops on x in R^10 (time per op)",
            _w1_setup,
            [
                Impl(HAND, "numpy", _w1_numpy),
                Impl("pullback", "pullback", _w1_pullback),
                *_peers(_w1_autograd, _w1_torch, _w1_jax),
            ],
            per_op=_w1_ops,
            targets={"pullback": 2.0e-6},  # seconds per op; also <= 0.5x torch eager
        ),
        Workload(
            "W2-f64",
            "W2",
            "MLP 784-512-512-10 tanh, batch 256, softmax cross-entropy, grad (float64)",
            _w2_setup(np.float64),
            w2,
            targets={"pullback": 1.05},
        ),
        Workload(
            "W2-f32",
            "W2",
            "the same MLP in float32",
            _w2_setup(np.float32),
            w2,
            rtol=1e-4,
            targets={"pullback": 1.05},
        ),
        Workload(
            "W3",
            "W3",
            "loss sum(solve(A, b)^2), n=500, grad w.r.t. A and b",
            _w3_setup,
            [
                Impl(HAND, "numpy", _w3_numpy),
                Impl("pullback", "pullback", _w3_pullback),
                *_peers(_w3_autograd, _w3_torch, _w3_jax),
            ],
            targets={"pullback": 1.10},
        ),
        Workload(
            "W4",
            "W4",
            "continuous Lyapunov A P + P A^T = Q, n=150, loss sum(P*P), grad w.r.t. A",
            _w4_setup,
            [
                Impl(HAND, "numpy", _w4_numpy),
                Impl("pullback", "pullback", _w4_pullback),
                *_peers(_no_lyapunov, _no_lyapunov, None),
            ],
            targets={"pullback": 1.10},
        ),
        Workload(
            "W5-wide",
            "W5",
            "Jacobian of tanh(M x): R^1000 -> R^10",
            _w5_setup(1000, 10),
            w5,
            targets=jac5,
            check=_w5_check,
        ),
        Workload(
            "W5-tall",
            "W5",
            "Jacobian of tanh(M x): R^10 -> R^1000",
            _w5_setup(10, 1000),
            w5,
            targets=jac5,
            check=_w5_check,
        ),
        Workload(
            "W6",
            "W6",
            "hessian of sum(log(1 + exp(A x))) + |x|^2/2, A 300x200, x in R^200",
            _w6_setup,
            [
                Impl(HAND + " (closed form)", "numpy", _w6_numpy),
                Impl("pullback", "pullback", _w6_pullback),
                *_peers(_w6_autograd, _w6_torch, _w6_jax),
            ],
            targets={"pullback": 5.0},
        ),
        Workload(
            "W7",
            "W7",
            "equality QP via KKT, n=300, m=50, loss sum(x^2), grad w.r.t. Q, c, A, b",
            _w7_setup,
            [
                Impl(HAND, "numpy", _w7_numpy),
                Impl("pullback optimize.qp", "pullback", _w7_pullback_qp),
                Impl("pullback KKT solve", "pullback", _w7_pullback_kkt),
                *_peers(_w7_autograd, _w7_torch, _w7_jax),
            ],
            targets={"pullback optimize.qp": 1.10},
        ),
        Workload(
            "W8",
            "W8",
            "peak extra memory of W2's grad (float64, tracemalloc)",
            _w2_setup(np.float64),
            [
                Impl(HAND, "numpy", _w2_numpy),
                Impl("pullback", "pullback", _w2_pullback),
                Impl("autograd", "autograd", _w2_autograd),
            ],
            kind="memory",
            targets={"pullback": 1.15},
        ),
    ]
