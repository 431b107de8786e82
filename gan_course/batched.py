"""``train_toy`` vectorised over K runs: the same algorithm, several times faster on a CPU.

The toy networks are so small that one run's step is mostly Python, dispatch
and autograd overhead, not arithmetic. ``train_batch`` trains K configurations
at once and pays that overhead once per step instead of K times:

- stacked weights: the K generators (and the K discriminators) are one
  ``BatchedMLP``, whose layer i holds the K weight matrices as one (K, in, out)
  tensor and applies them with one batched matrix product;
- a stacked optimiser: ``StackedAdam`` (or ``StackedRMSprop``, ``StackedSGD``) updates
  every run's slice with that run's own step size and betas, elementwise, as
  ``torch.optim.Adam`` would update the run alone;
- the same draws: run k takes its data and noise from its own ``ToyBatches``
  (its own seeded stream, drawn ``CHUNK_STEPS`` steps at a time), in the order
  ``train`` asks for them;
- vmap: runs that share a registered loss evaluate it in one ``torch.func.vmap`` call.

Run k depends only on its own slice of every stacked tensor, so the gradient of
the sum of the K losses is each run's own gradient. The contract with the one-run
loop is a test (tests/test_batched.py): for every registered GAN loss, with a
penalty and with weight clipping, run k of a batch follows ``train_toy`` with the
same configuration to within float32 rounding. After 20 steps the samples, grids
and losses agree to 2e-6 (absolute), and to 2e-4 for the hinge and Wasserstein
critics, whose raw outputs are unbounded. The rounding differs because a batched
matrix product sums in another order; GAN training amplifies such differences
over thousands of steps, so a long run trained alone ends elsewhere sample by
sample, though from the same draws, by the same algorithm.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Callable

import torch
from torch import nn

from gan_course.config import progress_bar
from gan_course.gan_losses import GAN_LOSSES, GANLoss, get_gan_loss
from gan_course.history import History, HistoryRecorder, record_steps_for
from gan_course.models.toy import ACTIVATIONS, mlp
from gan_course.penalties import input_gradients
from gan_course.toy_training import (
    CHUNK_STEPS,
    GANConfig,
    ToyBatches,
    check_toy_data,
    toy_networks,
)
from gan_course.train import raise_if_diverged
from gan_course.validation import check_int

Tensor = torch.Tensor

# Within one train_batch call these must be equal: they fix the shapes of the
# stacked tensors or the schedule of updates.
SHARED_FIELDS = ("optimizer", "n_disc", "n_gen", "noise_dim", "width", "depth", "activation",
                 "batch_size")


def train_batch(data, configs: list[GANConfig], steps: int, record_every: int | None = None,
                n_show: int = 512, grid_size: int = 60, extent=None, progress: bool = True,
                callback: Callable | None = None) -> list[History]:
    """Train K GANs at once on the same data; one History per configuration.

    The configurations may differ in seed, loss, gen_loss_name, learning rates,
    betas and penalty, and must share the fields in ``SHARED_FIELDS``. Run k
    follows ``train_toy(data, configs[k], steps)`` (see the module docstring for
    how closely). The other arguments are ``train_toy``'s; ``callback`` is called
    as callback(step, histories) after every record.
    """
    start = time.perf_counter()
    configs = _check_batch(configs)
    check_int(steps, "steps")
    check_toy_data(data)
    shared = configs[0]
    rngs = [torch.Generator().manual_seed(c.seed) for c in configs]
    networks = [toy_networks(c) for c in configs]
    generator = BatchedMLP.from_mlps([g for g, _ in networks])
    discriminator = BatchedMLP.from_mlps([d for _, d in networks])
    moment_matching = shared.sample_loss is not None
    recorders = _recorders(data, configs, generator, None if moment_matching else discriminator,
                           rngs, steps, record_every, n_show, grid_size, extent)
    batches = StackedBatches(data, configs, rngs)
    gen_optimizer = stacked_optimizer(configs, generator, "gen")
    disc_optimizer = stacked_optimizer(configs, discriminator, "disc")
    disc_losses = PerRunLosses([get_gan_loss(c.loss) for c in configs], "discriminator")
    gen_losses = PerRunLosses([get_gan_loss(c.gen_loss_name or c.loss) for c in configs],
                              "generator")
    penalties = [c.penalty for c in configs]
    record_steps = set(record_steps_for(steps, record_every))

    # every run's losses in one (K, steps) tensor; each recorder keeps a view of its row,
    # so that one write per step records all K runs
    losses = {"disc": torch.zeros(len(configs), steps), "gen": torch.zeros(len(configs), steps)}
    for k, recorder in enumerate(recorders):
        recorder.losses = {name: values[k] for name, values in losses.items()}
    disc_loss = gen_loss = torch.zeros(len(configs))
    for step in progress_bar(range(1, steps + 1), disable=not progress,
                     desc=f"training {len(configs)} GANs"):
        for _ in range(shared.n_disc):
            real, noise = batches.real(), batches.noise()
            disc_loss = discriminator_update(generator, discriminator, disc_optimizer,
                                             disc_losses, penalties, real, noise)
        for _ in range(shared.n_gen):
            if moment_matching:
                real, noise = batches.real(), batches.noise()
                gen_loss = moment_matching_update(generator, gen_optimizer, configs, real, noise)
            else:
                gen_loss = generator_update(generator, discriminator, gen_optimizer, gen_losses,
                                            batches.noise())
        _raise_if_a_run_diverged(step, disc_loss, gen_loss, configs)
        losses["disc"][:, step - 1], losses["gen"][:, step - 1] = disc_loss, gen_loss
        if step in record_steps:
            for recorder in recorders:
                recorder.record()
            if callback is not None:
                callback(step, [recorder.history(last_step=step) for recorder in recorders])

    histories = [recorder.history(generator=generator.to_mlp(k),
                                  discriminator=None if moment_matching else discriminator.to_mlp(k))
                 for k, recorder in enumerate(recorders)]
    for history in histories:
        history.wall_time = time.perf_counter() - start
    return histories


def _recorders(data, configs: list[GANConfig], generator: BatchedMLP,
               discriminator: BatchedMLP | None, rngs, steps: int, record_every, n_show: int,
               grid_size: int, extent) -> list[HistoryRecorder]:
    """One HistoryRecorder per run, watching its slice of the stacks and drawing its display
    samples from its own rng. The runs share the data, so they share one plotting grid and
    its cell probabilities (the first recorder computes them)."""
    recorders, p_cells = [], None
    for k, config in enumerate(configs):
        recorder = HistoryRecorder(
            data, partial(generator.run, k),
            None if discriminator is None else partial(discriminator.run, k),
            get_gan_loss(config.gen_loss_name or config.loss), rngs[k], steps, config.noise_dim,
            record_every=record_every, n_show=n_show, grid_size=grid_size, extent=extent,
            config=config, sample_loss=config.sample_loss,
            disc_is_probability=config.disc_is_probability,
            critic_up_to_constant=config.critic_up_to_constant, p_cells=p_cells)
        extent, p_cells = recorder.extent, recorder.p_cells
        recorders.append(recorder)
    return recorders


class StackedBatches:
    """Every run's next data or noise batch, stacked: (K, B, ·) per call.

    Run k's batches come from its own ``ToyBatches``, in the order ``train`` asks
    for them. They are pulled and stacked ``CHUNK_STEPS`` steps at a time (one
    refill of every run's ToyBatches) and handed out as views: stacking K small
    tensors at every update made the batched step measurably slower.
    """

    def __init__(self, data, configs: list[GANConfig], rngs: list[torch.Generator]):
        self.runs = [ToyBatches(data, c, rng) for c, rng in zip(configs, rngs)]
        self.per_chunk = {"real": CHUNK_STEPS * configs[0].real_per_step,
                          "noise": CHUNK_STEPS * configs[0].noise_per_step}
        self.chunks: dict[str, Tensor] = {}
        self.position = dict(self.per_chunk)  # empty: the first call pulls

    def real(self) -> Tensor:
        return self._next("real")

    def noise(self) -> Tensor:
        return self._next("noise")

    def _next(self, which: str) -> Tensor:
        if self.position[which] == self.per_chunk[which]:
            self.chunks[which] = torch.stack([
                torch.stack([getattr(run, which)() for _ in range(self.per_chunk[which])])
                for run in self.runs])
            self.position[which] = 0
        self.position[which] += 1
        return self.chunks[which][:, self.position[which] - 1]


def _raise_if_a_run_diverged(step: int, disc_loss: Tensor, gen_loss: Tensor,
                             configs: list[GANConfig]) -> None:
    finite = torch.isfinite(disc_loss) & torch.isfinite(gen_loss)
    if bool(finite.all()):
        return
    run = int((~finite).nonzero()[0])
    try:
        raise_if_diverged(step, disc_loss[run], gen_loss[run])
    except FloatingPointError as error:
        which = f"run {run} (seed {configs[run].seed}): " if len(configs) > 1 else ""
        raise FloatingPointError(which + str(error)) from None


# --------------------------------------------------------------------------- the updates


def discriminator_update(generator: BatchedMLP, discriminator: BatchedMLP, optimizer,
                         losses: PerRunLosses, penalties: list, real: Tensor,
                         noise: Tensor) -> Tensor:
    """``discriminator_step`` for K runs: one update of every D_φk on Σ_k L_D^k; the (K,) losses."""
    with torch.no_grad():  # θ is fixed: no graph through G
        fake = generator(noise)
    # one pass over real and fake together: no layer of an MLP mixes samples
    logits = discriminator(torch.cat([real, fake], dim=1))
    logits_real, logits_fake = logits[:, :real.shape[1]], logits[:, real.shape[1]:]
    per_run = losses(logits_real, logits_fake)
    if any(penalty is not None for penalty in penalties):
        per_run = per_run + penalty_terms(discriminator, penalties, real, fake)
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    with torch.no_grad():  # weight clipping: each run's penalty projects its own slice
        for k, penalty in enumerate(penalties):
            if hasattr(penalty, "project"):
                penalty.project([parameter[k] for parameter in discriminator.parameters()])
    return per_run.detach()


def penalty_terms(discriminator: BatchedMLP, penalties: list, real: Tensor,
                  fake: Tensor) -> Tensor:
    """(K,): run k's penalty on its own D_φk; the gradient penalties in one pass.

    Each run's penalty draws its own points x̂_k from its own rng, as it would
    alone. Stacked, they go through the K critics in one forward pass, and one
    backward pass gives every ∇ₓD_φk(x̂_k) (run k's output depends only on
    x̂_k). The runs whose penalties share ``unweighted`` (say, WGAN-GP with
    different λ) then turn their gradients into terms in one vmap call, each run
    times its own λ. Runs without a penalty get 0; a penalty without ``points``
    (weight clipping, or one of your own) is called run by run.
    """
    terms = real.new_zeros(len(penalties))
    batched = [k for k, penalty in enumerate(penalties) if hasattr(penalty, "points")]
    if batched:
        # runs without a gradient penalty still pass through the stacked critic: their
        # rows are computed and ignored, cheaper than a second, partial stack
        points = real.clone()
        for k in batched:
            points[k] = penalties[k].points(real[k], fake[k])
        gradients = input_gradients(discriminator, points)
        groups: dict = {}
        for k in batched:
            groups.setdefault(penalties[k].unweighted_kind, []).append(k)
        for runs in groups.values():
            unweighted = torch.func.vmap(penalties[runs[0]].unweighted)(gradients[runs])
            weights = unweighted.new_tensor([penalties[k].weight for k in runs])
            terms[runs] = weights * unweighted
    for k, penalty in enumerate(penalties):
        if penalty is not None and k not in batched:
            terms[k] = penalty(partial(discriminator.run, k), real[k], fake[k])
    return terms


def generator_update(generator: BatchedMLP, discriminator: BatchedMLP, optimizer,
                     losses: PerRunLosses, noise: Tensor) -> Tensor:
    """``generator_step`` for K runs: one update of every G_θk on Σ_k L_G^k; the (K,) losses."""
    per_run = losses(None, discriminator(generator(noise)))
    # gradients for θ only: D's weight gradients would be computed and thrown away
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    return per_run.detach()


def moment_matching_update(generator: BatchedMLP, optimizer, configs: list[GANConfig],
                           real: Tensor, noise: Tensor) -> Tensor:
    """``moment_matching_step`` for K runs: Σ_k sample_loss_k(x_k, G_θk(z_k)); the (K,) losses."""
    fake = generator(noise)
    per_run = torch.stack([c.sample_loss(real[k], fake[k]) for k, c in enumerate(configs)])
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    return per_run.detach()


class PerRunLosses:
    """(K,): run k's ``loss_fns[k](logits_real[k], logits_fake[k]).<which>``, as one function.

    The runs are grouped by loss once, before training. The runs that share a
    registered loss are evaluated in one torch.func.vmap call (one call per loss
    instead of one per run); a loss of your own is called run by run, since vmap
    cannot follow Python control flow on values.
    """

    def __init__(self, loss_fns: list[GANLoss], which: str):
        groups: dict = {}
        for run, loss_fn in enumerate(loss_fns):
            groups.setdefault(loss_fn, []).append(run)
        self.groups = [(torch.tensor(runs), self._one_call(loss_fn, which))
                       for loss_fn, runs in groups.items()]
        # back from the groups' order to the runs' order
        self.order = torch.argsort(torch.cat([runs for runs, _ in self.groups]))

    @staticmethod
    def _one_call(loss_fn: GANLoss, which: str) -> Callable:
        def one_run(real, fake):
            return getattr(loss_fn(real, fake), which)

        if loss_fn in GAN_LOSSES.values():
            return torch.func.vmap(one_run, in_dims=(None if which == "generator" else 0, 0))

        def run_by_run(real, fake):
            return torch.stack([one_run(None if real is None else real[k], fake[k])
                                for k in range(len(fake))])
        return run_by_run

    def __call__(self, logits_real: Tensor | None, logits_fake: Tensor) -> Tensor:
        if len(self.groups) == 1:  # the usual case: every run shares one loss
            return self.groups[0][1](logits_real, logits_fake)
        values = [losses(None if logits_real is None else logits_real[runs], logits_fake[runs])
                  for runs, losses in self.groups]
        return torch.cat(values)[self.order]


# --------------------------------------------------------------------------- stacked networks


class BatchedMLP(nn.Module):
    """K independent MLPs evaluated at once, with their weights stacked.

    Layer i of network k computes h ← h W_i[k] + b_i[k] (then the activation),
    with W_i of shape (K, in, out) and b_i of shape (K, 1, out), so the whole
    stack maps x of shape (K, B, in_dim) to (K, B, out_dim) with one batched
    matrix product per layer (torch.baddbmm). Network k never sees network j's
    inputs or weights, so the gradient of a sum of per-network losses is each
    network's own gradient. Build it from plain ``mlp``s with ``from_mlps``.
    """

    @classmethod
    def from_mlps(cls, networks: list[nn.Sequential]) -> "BatchedMLP":
        """Stack MLPs built by ``mlp`` (same sizes and activation) into one BatchedMLP."""
        if not networks:
            raise ValueError("pass at least one network to stack.")
        shapes = {tuple(tuple(p.shape) for p in net.parameters()) for net in networks}
        if len(shapes) != 1:
            raise ValueError("the networks to stack must have the same layer sizes; build them "
                             "with the same mlp(in_dim, out_dim, width, depth).")
        activations = {_activation_name(net) for net in networks}
        if len(activations) != 1:
            raise ValueError(f"the networks to stack use different activations "
                             f"{sorted(activations)}; build them with the same activation.")
        stacked = cls()
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in networks]
        # nn.Linear stores W as (out, in) and computes x Wᵀ; we store Wᵀ so that x W works.
        stacked.weights = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].weight.detach().T for layers in linears])
                         .contiguous())
            for i in range(len(linears[0])))
        stacked.biases = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].bias.detach()[None, :] for layers in linears]))
            for i in range(len(linears[0])))
        stacked.activation_name = activations.pop()
        stacked.activation = ACTIVATIONS[stacked.activation_name]()
        if isinstance(stacked.activation, (nn.ReLU, nn.LeakyReLU)):
            # overwrite the layer's product instead of writing a new (K, B, width) tensor:
            # at K = 16 the step is bound by memory traffic, not arithmetic (benchmarks/
            # RESULTS.md). Backward then reads the activation's output, not its input, which
            # gives the same bits for these two (not for ELU, whose derivative it would change)
            stacked.activation.inplace = True
        return stacked

    @property
    def k(self) -> int:
        """The number of stacked networks."""
        return self.weights[0].shape[0]

    def forward(self, x: Tensor) -> Tensor:
        """(K, B, in_dim) → (K, B, out_dim): network k applied to x[k]."""
        if x.ndim != 3 or x.shape[0] != self.k or x.shape[2] != self.weights[0].shape[1]:
            raise ValueError(f"expected inputs of shape (K={self.k}, B, "
                             f"{self.weights[0].shape[1]}), got {tuple(x.shape)}.")
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if i < last:
                x = self.activation(x)
        return x

    def run(self, k: int, x: Tensor) -> Tensor:
        """Network k alone on x of shape (B, in_dim); gradients reach only its own weights."""
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.addmm(bias[k], x, weight[k])
            if i < last:
                x = self.activation(x)
        return x

    def to_mlp(self, k: int) -> nn.Sequential:
        """A copy of network k as a plain ``mlp`` (an nn.Sequential)."""
        depth = len(self.weights) - 1
        in_dim, width = self.weights[0].shape[1:]
        out_dim = self.weights[-1].shape[2]
        network = mlp(in_dim, out_dim, width, depth, self.activation_name)
        linears = [m for m in network if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[k].T)
                linear.bias.copy_(bias[k, 0])
        return network


def _activation_name(network: nn.Sequential) -> str:
    for module in network:
        if not isinstance(module, nn.Linear):
            for name, make in ACTIVATIONS.items():
                if type(make()) is type(module):
                    return name
    return "relu"  # a network without hidden layers has no activation to apply


# --------------------------------------------------------------------------- stacked optimisers


class StackedAdam:
    """Adam (Kingma & Ba 2015) for K runs stacked along the first axis of every tensor.

    Run k has its own step size η_k and (β₁, β₂)_k. At update t, with gradient g:

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)

    Every operation is elementwise, so slice k is updated as
    torch.optim.Adam(lr=η_k, betas=(β₁, β₂)_k) would update run k alone (the
    tests check this to rounding error).
    """

    def __init__(self, params, lrs, betas, eps: float = 1e-8):
        self.params = list(params)
        self.lr = _per_run(lrs)
        self.beta1 = _per_run([b[0] for b in betas])
        self.beta2 = _per_run([b[1] for b in betas])
        self.eps = eps
        # the factors that multiply float32 moments, as float32 once
        self.one_minus_beta1 = (1 - self.beta1).float()
        self.beta2_float, self.one_minus_beta2 = self.beta2.float(), (1 - self.beta2).float()
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads) -> None:
        self.t += 1
        # the bias corrections in float64, as torch.optim.Adam computes them in Python floats
        step_size = (self.lr / (1 - self.beta1**self.t)).float()
        correction2_sqrt = (1 - self.beta2**self.t).sqrt().float()
        for param, grad, m, v in zip(self.params, grads, self.m, self.v):
            m.lerp_(grad, self.one_minus_beta1)  # m + (1 − β₁)(g − m) = β₁ m + (1 − β₁) g
            # β₂ v + (1 − β₂) g²
            v.mul_(self.beta2_float).addcmul_(grad * self.one_minus_beta2, grad)
            denominator = v.sqrt() / correction2_sqrt + self.eps  # √(v / (1 − β₂ᵗ)) + ε
            param.sub_(step_size * m / denominator)  # η / (1 − β₁ᵗ) · m / denominator


class StackedRMSprop:
    """RMSProp for K stacked runs, as ``torch.optim.RMSprop(lr=η_k)`` with its defaults:

        v ← α v + (1 − α) g²,   θ ← θ − η_k g / (√v + ε),   α = 0.99, ε = 1e-8

    (no bias correction, no momentum). WGAN with weight clipping uses it (Arjovsky et al. 2017).
    """

    def __init__(self, params, lrs, alpha: float = 0.99, eps: float = 1e-8):
        self.params = list(params)
        self.lr = _per_run(lrs).float()
        self.alpha, self.eps = alpha, eps
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads) -> None:
        for param, grad, v in zip(self.params, grads, self.v):
            v.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)  # α v + (1 − α) g²
            param.sub_(self.lr * grad / (v.sqrt() + self.eps))


class StackedSGD:
    """Plain gradient descent for K stacked runs: θ ← θ − η_k g."""

    def __init__(self, params, lrs):
        self.params = list(params)
        self.lr = _per_run(lrs).float()

    @torch.no_grad()
    def step(self, grads) -> None:
        for param, grad in zip(self.params, grads):
            param.sub_(self.lr * grad)


def _per_run(values) -> Tensor:
    """Per-run hyper-parameters as a (K, 1, 1) float64 tensor, which broadcasts over
    stacked weights (K, in, out) and biases (K, 1, out)."""
    return torch.tensor(values, dtype=torch.float64).reshape(-1, 1, 1)


def stacked_optimizer(configs: list[GANConfig], network: BatchedMLP, which: str):
    """The stacked optimiser of ``which`` ("gen" or "disc") networks, per-run step sizes."""
    lrs = [getattr(c, f"lr_{which}") for c in configs]
    if configs[0].optimizer == "sgd":
        return StackedSGD(network.parameters(), lrs)
    if configs[0].optimizer == "rmsprop":
        return StackedRMSprop(network.parameters(), lrs)
    return StackedAdam(network.parameters(), lrs, [c.betas for c in configs])


def _check_batch(configs) -> list[GANConfig]:
    if isinstance(configs, GANConfig):
        raise ValueError("configs must be a list of GANConfig objects, got one GANConfig; pass "
                         "[config], or train one run with train_toy.")
    configs = list(configs)
    if not configs or not all(isinstance(c, GANConfig) for c in configs):
        raise ValueError("pass a non-empty list of GANConfig objects.")
    drawing = [id(c.penalty) for c in configs if hasattr(c.penalty, "points")]  # hold an rng
    if len(set(drawing)) < len(drawing):
        raise ValueError("two runs of one batch share one penalty object, so they would share its "
                         "random draws; give each run its own, e.g. WGANGradientPenalty(10.0, "
                         "seed=k) for run k.")
    if len({c.sample_loss is None for c in configs}) > 1:
        raise ValueError("either every configuration of one batch has a sample_loss or none "
                         "has; train moment-matching generators in their own train_batch call.")
    for field in SHARED_FIELDS:
        values = [getattr(c, field) for c in configs]
        if len(set(values)) > 1:
            raise ValueError(f"the configurations of one batch must share {field}, got {values}; "
                             f"train them in separate train_batch calls (one per {field}).")
    return configs


__all__ = ["train_batch", "SHARED_FIELDS", "BatchedMLP", "StackedAdam", "StackedRMSprop", "StackedSGD"]
