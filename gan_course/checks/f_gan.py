"""Checks for lesson 02 (f-GAN): conjugates, output activations, the optimal critic, the bound."""

from __future__ import annotations

import math

import torch

from gan_course.checks.core import as_number, call, close, describe, failed
from gan_course.divergences.f_divergences import get_f_divergence, variational_bound

Tensor = torch.Tensor

_CONJUGATE_INPUTS = {
    # visible, hidden: points inside dom f†, in float64 so that a plain formula is accurate
    "kl": ([-2.0, 0.0, 1.0, 2.5], [-20.0, -0.3, 4.0, 10.0]),
    "gan": ([-5.0, -1.0, -0.1], [-40.0, -3.0, -0.5, -1e-4]),
    "reverse_kl": ([-3.0, -1.0, -0.2], [-50.0, -1e-3, -7.0]),
    "pearson": ([-1.0, 0.0, 2.0], [-1.9, 5.0, 30.0]),
}

# Hints point to the method (maximise, then substitute), not to the maximiser or the answer.
_CONJUGATE_HINTS = {
    "kl": "f(u) = u log u; find the u that maximises t u − f(u) (where its derivative in u is "
          "zero) and put that u back in",
    "gan": "f(u) = u log u − (u+1) log(u+1); find the u that maximises t u − f(u) (derivative "
           "zero; it exists only for t < 0) and put it back in",
    "reverse_kl": "f(u) = −log u; find the u that maximises t u − f(u) (it exists only for "
                  "t < 0) and put it back in",
    "pearson": "f(u) = (u − 1)²; find the u that maximises t u − f(u) and put it back in",
}


def _tensor_result(got, name: str, shape) -> Tensor:
    if not torch.is_tensor(got):
        raise failed(f"`{name}` returned {type(got).__name__}; it should return a tensor of shape "
                     f"{tuple(shape)}, one value per input. Use torch functions (torch.exp, torch.log).")
    if got.shape != shape:
        raise failed(f"`{name}` returned shape {tuple(got.shape)} for an input of shape {tuple(shape)}; "
                     "it should work elementwise (no .mean() or .sum()).")
    return got.double()


def _agree(got: Tensor, expected: Tensor) -> bool:
    return bool(torch.isfinite(got).all()) and torch.allclose(got, expected, rtol=1e-5, atol=1e-6)


def check_conjugate(function, divergence: str, hidden: bool = False) -> None:
    """Compare ``function(t)`` with the Fenchel conjugate f†(t) of ``divergence`` inside dom f†."""
    entry = get_f_divergence(divergence)
    name = getattr(function, "__name__", f"{divergence}_conjugate")
    visible, more = _CONJUGATE_INPUTS[entry.name]
    t = torch.tensor(more if hidden else visible, dtype=torch.float64)
    got = _tensor_result(call(function, name, t.clone()), name, t.shape)
    expected = entry.conjugate(t)
    if not _agree(got, expected):
        raise failed(f"`{name}` gives {describe([got])} but the conjugate of the {entry.title} f is "
                     f"{describe([expected])} at t = {describe([t])}. "
                     f"Hint: {_CONJUGATE_HINTS.get(entry.name, 'f†(t) = sup_u (t u − f(u))')}.")
    where = f"{len(t)} {'hidden ' if hidden else ''}points"
    print(f"✓ `{name}` is the conjugate of the {entry.title} f at {where}.")


def check_activation(function, divergence: str, hidden: bool = False) -> None:
    """Compare ``function(v)`` with the output activation g_f, including large |v| (stability)."""
    entry = get_f_divergence(divergence)
    name = getattr(function, "__name__", f"{divergence}_activation")
    values = [-100.0, -30.0, 0.5, 30.0, 100.0] if hidden else [-3.0, 0.0, 2.0]
    v = torch.tensor(values, dtype=torch.float32)
    got = _tensor_result(call(function, name, v.clone()), name, v.shape)
    expected = entry.activation(v.double())
    if not bool(torch.isfinite(got).all()):
        raise failed(f"`{name}` is not finite at v = {describe([v])}: {describe([got])}. Hint: "
                     "log(1 + e^{−v}) overflows for large −v; PyTorch's F.softplus or F.logsigmoid "
                     "compute it stably.")
    if not torch.allclose(got, expected, rtol=1e-5, atol=1e-5):
        raise failed(f"`{name}` gives {describe([got])} but g_f for {entry.title} is {describe([expected])} "
                     f"at v = {describe([v])}. Hint: g_f maps any real v into the domain of f† "
                     f"({entry.title}'s row of the lecture's f-GAN table gives that domain).")
    low, high = entry.domain
    inside = bool(((got > low) & (got < high)).all()) if entry.name != "total_variation" else True
    if not inside:
        raise failed(f"`{name}` returns {describe([got])}, outside dom f† ({entry.formulas['domain']}).")
    print(f"✓ `{name}` is the {entry.title} output activation{', stable at |v| = 100' if hidden else ''}.")


def check_optimal_critic(function, divergence: str, hidden: bool = False) -> None:
    """Compare ``function(log_r)`` with the optimal critic t* = f'(r), given log r."""
    entry = get_f_divergence(divergence)
    name = getattr(function, "__name__", "optimal_critic")
    log_r = torch.tensor([-4.0, -1.5, 0.3, 2.0] if hidden else [-1.0, 0.0, 1.0], dtype=torch.float64)
    got = _tensor_result(call(function, name, log_r.clone()), name, log_r.shape)
    expected = entry.optimal_critic(log_r)
    if not _agree(got, expected):
        raise failed(f"`{name}` gives {describe([got])} but t* = f'(r) for {entry.title} is "
                     f"{describe([expected])} at log r = {describe([log_r])}. Hint: differentiate "
                     f"f(u) = {entry.formulas['f']} and evaluate it at u = r = exp(log r).")
    print(f"✓ `{name}` gives the optimal {entry.title} critic t* = f'(r).")


def _bound_cases(hidden: bool):
    rng = torch.Generator().manual_seed(11 if hidden else 5)
    real = torch.randn(7 if hidden else 4, generator=rng, dtype=torch.float64) + 0.5
    fake = torch.randn(5 if hidden else 4, generator=rng, dtype=torch.float64) - 0.5
    names = ("kl", "gan", "hellinger") if hidden else ("kl", "gan")
    return [(get_f_divergence(n), real, fake) for n in names]


def check_variational_bound(function, hidden: bool = False) -> None:
    """Compare ``function(activation, conjugate, v_real, v_fake)`` with the bound

        mean g_f(v_real) − mean f†(g_f(v_fake)).
    """
    name = getattr(function, "__name__", "variational_bound")
    for entry, real, fake in _bound_cases(hidden):
        got = as_number(call(function, name, entry.activation, entry.conjugate, real, fake), name)
        expected = float(variational_bound(entry, real, fake))
        if close(got, expected):
            continue
        flipped = float(entry.conjugate(entry.activation(fake)).mean() - entry.activation(real).mean())
        no_activation = float(real.mean() - entry.conjugate(fake).mean())
        if not math.isfinite(got):
            hint = ("the result is not finite: conjugate() was probably evaluated outside dom f†; apply "
                    "the activation first, t = activation(v), then conjugate(t) on the fakes")
        elif close(got, flipped):
            hint = "you computed E_q[f†(t)] − E_p*[t]; the bound is E_p*[t] − E_q[f†(t)]"
        elif close(got, no_activation):
            hint = "apply the activation first: t = activation(v), then conjugate(t) on the fakes"
        else:
            hint = ("average activation(v) over the real outputs and conjugate(activation(v)) over "
                    "the fake ones")
        raise failed(f"`{name}` gives {got:.6g} but the {entry.title} bound is {expected:.6g} for real "
                     f"outputs {describe([real])} and fake outputs {describe([fake])}. Hint: {hint}.")
    print(f"✓ `{name}` computes the variational bound correctly{' (hidden inputs)' if hidden else ''}.")


def check_trained_bound(bound: float, exact: float, tolerance: float = 0.05) -> None:
    """A trained critic's bound (exact expectations) must lie below D_f and within ``tolerance``."""
    bound, exact = float(bound), float(exact)
    if not math.isfinite(bound):
        raise failed(f"your critic's bound is {bound}: training diverged. Hint: check the signs in your "
                     "variational_bound (the critic maximises it, so its loss is minus the bound).")
    if bound > exact + 1e-6:
        raise failed(f"the bound {bound:.4f} exceeds the exact divergence {exact:.4f}, which no critic can "
                     "do with exact expectations. Hint: check your conjugate; a conjugate that is too small "
                     "breaks the bound.")
    if exact - bound > tolerance:
        raise failed(f"the bound {bound:.4f} is {exact - bound:.4f} below the exact value {exact:.4f}, more "
                     f"than {tolerance}. Hint: check that the loss is minus the bound, and train longer.")
    print(f"✓ your critic's bound {bound:.4f} lies below D_f = {exact:.4f}, within {exact - bound:.4f} "
          f"(tolerance {tolerance}).")
