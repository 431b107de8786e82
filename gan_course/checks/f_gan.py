"""Checks for lesson 02 (f-GAN): conjugates, output activations, the optimal critic, the bound."""

from __future__ import annotations

import math

import torch

from gan_course.checks.core import (
    as_number,
    call,
    close,
    describe,
    failed,
    must_carry_gradients,
    must_match_gradients,
)
from gan_course.divergences.f_divergences import get_f_divergence, variational_bound

Tensor = torch.Tensor

_CONJUGATE_INPUTS = {
    # visible, hidden: points inside dom f†, in float64 so that a plain formula is accurate
    "kl": ([-2.0, 0.0, 1.0, 2.5], [-20.0, -0.3, 4.0, 10.0]),
    "gan": ([-5.0, -1.0, -0.1], [-40.0, -3.0, -0.5, -1e-4]),
    "reverse_kl": ([-3.0, -1.0, -0.2], [-50.0, -1e-3, -7.0]),
    "pearson": ([-1.0, 0.0, 2.0], [-1.9, 5.0, 30.0]),
}
# In float32 near the edge of dom f†: for the GAN conjugate, 1 − e^t cancels as t → 0⁻, so a
# plain −log(1 − e^t) is off by 0.1% at t = −10⁻⁶ (the task asks for a form that stays accurate).
_FLOAT32_CONJUGATE_INPUTS = {
    "gan": ([-1e-6, -1e-4, -2.0], [-3e-7, -2e-5, -0.5]),
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


def _conjugate_hint(entry, got: Tensor, t: Tensor) -> str:
    """A specific hint where ``got`` is a common wrong conjugate, the method otherwise."""
    if entry.name == "kl":
        candidates = [(torch.exp(t), "check the derivative of u log u: it is not log u alone"),
                      (torch.exp(t + 1), "solve t − f'(u) = 0 for u again: the sign of the constant")]
    elif entry.name == "gan":
        candidates = [(torch.log(-torch.expm1(t)), "the sign: f†(t) = sup_u (t u − f(u)) is positive here"),
                      (torch.exp(t) / -torch.expm1(t), "that is the maximiser u; put it back into "
                                                       "t u − f(u) to get the conjugate's value")]
    else:
        candidates = []
    candidates.append((-entry.conjugate(t), "the sign: f†(t) = sup_u (t u − f(u))"))
    for wrong, hint in candidates:
        if torch.allclose(got, wrong.double(), rtol=1e-4, atol=1e-6):
            return hint
    return _CONJUGATE_HINTS.get(entry.name, "f†(t) = sup_u (t u − f(u))")


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
                     f"Hint: {_conjugate_hint(entry, got, t)}.")
    count = len(t)
    if entry.name in _FLOAT32_CONJUGATE_INPUTS:
        visible32, more32 = _FLOAT32_CONJUGATE_INPUTS[entry.name]
        t32 = torch.tensor(more32 if hidden else visible32, dtype=torch.float32)
        got = _tensor_result(call(function, name, t32.clone()), name, t32.shape)
        expected = entry.conjugate(t32.double())
        if not _agree(got, expected):
            raise failed(f"`{name}` gives {describe([got])} but the conjugate is {describe([expected])} "
                         f"at t = {describe([t32])} in float32, close to the edge t = 0 of dom f†. "
                         "Hint: 1 − e^t cancels when t is near 0 (e^t rounds to 1 in float32); "
                         "PyTorch has a function that computes e^t − 1 without forming e^t.")
        count += len(t32)
    where = f"{count} {'hidden ' if hidden else ''}points"
    print(f"✓ `{name}` is the conjugate of the {entry.title} f at {where}.")


# Large |v| in the visible inputs too: at v = −200, e^{−v} overflows and σ(v) underflows to 0 in
# float32, so −log(1 + e^{−v}) and log σ(v) are −inf while g_f(v) = −200.
_ACTIVATION_INPUTS = ([-200.0, -3.0, 0.0, 2.0, 100.0], [-150.0, -30.0, 0.5, 30.0, 300.0])
LARGE = 20.0  # beyond it, σ(v) is 0 or 1 to float32's precision


def _activation_hint(entry, got: Tensor, v: Tensor) -> str:
    v = v.double()
    candidates = [(entry.activation(-v), "g_f must increase with v: a larger critic output means "
                                         "'more real', so t = g_f(v) grows with it"),
                  (-entry.activation(v), "the sign: the GAN conjugate is defined only for t < 0, so g_f "
                                         "must return negative numbers"),
                  (torch.sigmoid(v), "that is D = σ(v) itself; g_f(v) is its logarithm")]
    for wrong, hint in candidates:
        if torch.allclose(got, wrong, rtol=1e-5, atol=1e-5):
            return hint
    return (f"g_f maps any real v into the domain of f† ({entry.title}'s row of the lecture's f-GAN "
            "table gives that domain)")


def check_activation(function, divergence: str, hidden: bool = False) -> None:
    """Compare ``function(v)`` with the output activation g_f, including large |v| (stability)."""
    entry = get_f_divergence(divergence)
    name = getattr(function, "__name__", f"{divergence}_activation")
    v = torch.tensor(_ACTIVATION_INPUTS[1] if hidden else _ACTIVATION_INPUTS[0], dtype=torch.float32)
    got = _tensor_result(call(function, name, v.clone()), name, v.shape)
    expected = entry.activation(v.double())
    wrong = ~torch.isclose(got, expected, rtol=1e-5, atol=1e-5) | ~torch.isfinite(got)
    if not bool(wrong.any()):
        print(f"✓ `{name}` is the {entry.title} output activation, stable at |v| = "
              f"{max(abs(x) for x in v.tolist()):g}{' (hidden inputs)' if hidden else ''}.")
        return
    if bool((v[wrong].abs() > LARGE).all()):
        raise failed(f"`{name}` gives {describe([got])} at v = {describe([v])} in float32, where g_f is "
                     f"{describe([expected])}: it is right for moderate v but not for large |v|. Hint: "
                     "e^{−v} overflows and σ(v) rounds to 0 or 1 there; write g_f so that it never forms "
                     "either (look at what F.softplus and F.logsigmoid compute).")
    raise failed(f"`{name}` gives {describe([got])} but g_f for {entry.title} is {describe([expected])} "
                 f"at v = {describe([v])}. Hint: {_activation_hint(entry, got, v)}.")


def _critic_hint(entry, got: Tensor, log_r: Tensor) -> str:
    expected = entry.optimal_critic(log_r)
    candidates = [(-expected, "the sign of f'(u): check whether f rises or falls at u"),
                  (entry.optimal_critic(-log_r), "the critic takes r = p*/q, given here as log r; "
                                                "check which way up the ratio is"),
                  (torch.exp(log_r), "that is r itself; the critic is the derivative of f at r"),
                  (-1 / log_r, "the input is log r, not r: exponentiate it first")]
    for wrong, hint in candidates:
        if _agree(got, wrong):
            return hint
    return f"differentiate f(u) = {entry.formulas['f']} and evaluate it at u = r"


def check_optimal_critic(function, divergence: str, hidden: bool = False) -> None:
    """Compare ``function(log_r)`` with the optimal critic t* = f'(r), given log r."""
    entry = get_f_divergence(divergence)
    name = getattr(function, "__name__", "optimal_critic")
    log_r = torch.tensor([-4.0, -1.5, 0.3, 2.0] if hidden else [-1.0, -0.5, 0.5, 2.0], dtype=torch.float64)
    got = _tensor_result(call(function, name, log_r.clone()), name, log_r.shape)
    expected = entry.optimal_critic(log_r)
    if not _agree(got, expected):
        raise failed(f"`{name}` gives {describe([got])} but t* = f'(r) for {entry.title} is "
                     f"{describe([expected])} at log r = {describe([log_r])}. "
                     f"Hint: {_critic_hint(entry, got, log_r)}.")
    print(f"✓ `{name}` gives the optimal {entry.title} critic t* = f'(r).")


def _bound_cases(hidden: bool):
    """Batches of different sizes, so that pairing real and fake outputs, or summing, shows."""
    rng = torch.Generator().manual_seed(11 if hidden else 5)
    real = torch.randn(7 if hidden else 5, generator=rng, dtype=torch.float64) + 0.5
    fake = torch.randn(4 if hidden else 3, generator=rng, dtype=torch.float64) - 0.5
    names = ("kl", "gan", "hellinger") if hidden else ("kl", "gan")
    return [(get_f_divergence(n), real, fake) for n in names]


def _bound_hint(entry, got: float, real: Tensor, fake: Tensor) -> str:
    g, conjugate = entry.activation, entry.conjugate
    if not math.isfinite(got):
        return ("the result is not finite, so the conjugate was evaluated outside dom f†: the raw outputs "
                "v must pass through the activation before they are used as t, since only g_f(v) lies "
                "in dom f†")
    candidates = [
        (conjugate(g(fake)).mean() - g(real).mean(),
         "the sign: the critic's average on real samples comes first, the conjugate term is subtracted"),
        (real.mean() - conjugate(fake).mean(),
         "the raw outputs v must pass through the activation before they are used as t"),
        (g(real).mean() - conjugate(fake).mean(),
         "the fake outputs, too, must pass through the activation before the conjugate"),
        (real.mean() - conjugate(g(fake)).mean(),
         "the real outputs, too, must pass through the activation"),
        (g(real).sum() - conjugate(g(fake)).sum(),
         "each expectation is a mean over its own batch, not a sum"),
        (g(fake).mean() - conjugate(g(real)).mean(),
         "real and fake are swapped: the conjugate term belongs to the simulated samples"),
    ]
    for wrong, hint in candidates:
        if close(got, float(wrong)):
            return hint
    return "each expectation is an average over its own samples, the real ones and the fake ones"


def check_variational_bound(function, hidden: bool = False) -> None:
    """Compare ``function(activation, conjugate, v_real, v_fake)`` with the bound

        mean g_f(v_real) − mean f†(g_f(v_fake)),

    which must stay differentiable: the critic is trained by maximising it.
    """
    name = getattr(function, "__name__", "variational_bound")
    for entry, real, fake in _bound_cases(hidden):
        real_in, fake_in = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
        value = call(function, name, entry.activation, entry.conjugate, real_in, fake_in)
        got = as_number(value, name)
        expected = float(variational_bound(entry, real, fake))
        if not close(got, expected):
            raise failed(f"`{name}` gives {got:.6g} but the {entry.title} bound is {expected:.6g} for "
                         f"{len(real)} real outputs {describe([real])} and {len(fake)} fake outputs "
                         f"{describe([fake])}. Hint: {_bound_hint(entry, got, real, fake)}.")
        must_carry_gradients(value, name, "the critic's outputs",
                             "a critic cannot be trained by maximising it")
        must_match_gradients(value, variational_bound(entry, real_in, fake_in),
                             {"v_real": real_in, "v_fake": fake_in}, name,
                             "a critic trained by maximising it would not learn from those samples")
    print(f"✓ `{name}` computes the variational bound correctly{' (hidden inputs)' if hidden else ''}.")


def check_trained_bound(bound: float, exact: float, tolerance: float = 0.05) -> None:
    """A trained critic's bound (exact expectations) must lie below D_f and within ``tolerance``."""
    bound, exact = float(bound), float(exact)
    if not math.isfinite(bound):
        raise failed(f"your critic's bound is {bound}: training diverged. Hint: revisit Task 5 "
                     "(`variational_bound`): check its signs, since the critic maximises it.")
    if bound > exact + 1e-6:
        raise failed(f"the bound {bound:.4f} exceeds the exact divergence {exact:.4f}, which no critic can "
                     "do with exact expectations. Hint: revisit Task 1 (`kl_conjugate`); a conjugate that is "
                     "too small breaks the bound.")
    if exact - bound > tolerance:
        raise failed(f"the bound {bound:.4f} is {exact - bound:.4f} below the exact value {exact:.4f}, more "
                     f"than {tolerance}. Hint: revisit Task 1 (`kl_conjugate`) and Task 5 "
                     "(`variational_bound`): the critic was trained on minus your bound with your "
                     "conjugate.")
    print(f"✓ your critic's bound {bound:.4f} lies below D_f = {exact:.4f}, within {exact - bound:.4f} "
          f"(tolerance {tolerance}).")
