"""Adversarial imitation: the density-ratio trick as a reward (GAIL, Ho & Ermon 2016).

An expert shows us (state, action) pairs but never its reward. Behaviour cloning
fits a policy to those pairs by regression. GAIL instead lets a learner practise
in the world and trains a classifier D_φ(s, a) to tell the expert's pairs from
the learner's. With the Bernoulli loss and equal batches (π = ½) its logit is

    l_φ(s, a) = log D_φ / (1 - D_φ) ≈ log ρ_E(s, a) / ρ_π(s, a),

the log ratio of the expert's and the learner's occupancy measures (how often
each visits a pair), which is lesson 01's density-ratio trick. Used as the
learner's reward, it says "do more of what the expert does and less of what only
you do"; the learner never sees the true reward.

The world is a point mass in the box [-1, 1]² (``PointMass``): reach the goal,
never fall into the pit. The expert always starts on the left, where the goal
lies straight ahead and the pit, to the right of the goal, is out of the way.
Behind the pit (the ``"unseen"`` starts) "head for the goal" walks into the pit:
behaviour cloning has never seen those states and copies the only thing it knows.
GAIL practises from everywhere, falls in, and learns from the classifier that
nothing the expert does looks like lying in a pit.

A policy is any function ``policy(states, rng) -> actions`` on (n, 2) tensors.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch
from torch import nn

from gan_course.config import progress_bar
from gan_course.losses import bernoulli
from gan_course.models import mlp
from gan_course.validation import check_int, check_number, check_points

Tensor = torch.Tensor
Policy = Callable[[Tensor, torch.Generator], Tensor]

ACTION_NOISE = 0.1
"""σ of every Gaussian policy here, the expert's included: learners fit only the mean."""

START_REGIONS = {
    "expert": ((-1.0, -1.0), (-0.6, 1.0)),
    "unseen": ((0.8, -0.25), (1.0, 0.25)),
    "anywhere": ((-1.0, -1.0), (1.0, 1.0)),
}
"""Boxes (lower corner, upper corner) of start positions. ``expert``: where every
demonstration starts. ``unseen``: right behind the pit, where the expert never goes.
``anywhere``: the whole box outside the pit, where GAIL's learner practises."""


def check_rng(rng) -> torch.Generator:
    """``rng`` if it is a torch.Generator: every random draw here goes through one, so a seed
    fixes the result."""
    if not isinstance(rng, torch.Generator):
        raise ValueError(f"rng must be a seeded torch.Generator, got {type(rng).__name__}; "
                         "pass torch.Generator().manual_seed(0).")
    return rng


def check_region(region) -> str:
    """``region`` if it names a start region, else an error that lists them."""
    if not isinstance(region, str) or region not in START_REGIONS:
        raise ValueError(f"unknown start region {region!r}; choose one of {', '.join(START_REGIONS)}.")
    return region


def limit_speed(velocity: Tensor, max_speed: float) -> Tensor:
    """v · min(1, v_max / |v|): the same direction, at most v_max long."""
    length = velocity.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return velocity * (max_speed / length).clamp(max=1.0)


@dataclass(frozen=True)
class PointMass:
    """A point in [-1, 1]² that moves at the velocity it chooses: reach the goal, avoid the pit.

    s_{t+1} = clip(s_t + Δt · v(a_t) + σ_s ε_t, -1, 1),  ε_t ~ N(0, I),
    v(a) = a · min(1, v_max / |a|),

    except that a point in the pit stays there for the rest of the episode. Every
    episode lasts ``horizon`` steps. The true reward, used only to evaluate, is
    r(s) = 1[s in goal] - 1[s in pit] per step; no learner sees it.
    """

    horizon: int = 40
    time_step: float = 0.1
    max_speed: float = 1.0
    position_noise: float = 0.01
    goal_centre: tuple[float, float] = (-0.2, 0.0)
    goal_radius: float = 0.15
    pit_centre: tuple[float, float] = (0.45, 0.0)
    pit_radius: float = 0.25

    def __post_init__(self):
        check_int(self.horizon, "horizon")
        for name in ("time_step", "max_speed", "goal_radius", "pit_radius"):
            check_number(getattr(self, name), name)
        check_number(self.position_noise, "position_noise", strict=False)

    def in_goal(self, states: Tensor) -> Tensor:
        """1[|s - goal| < goal radius], shape (...,)."""
        return (states - torch.tensor(self.goal_centre)).norm(dim=-1) < self.goal_radius

    def in_pit(self, states: Tensor) -> Tensor:
        """1[|s - pit| < pit radius], shape (...,)."""
        return (states - torch.tensor(self.pit_centre)).norm(dim=-1) < self.pit_radius

    def true_reward(self, states: Tensor) -> Tensor:
        """r(s) = 1[s in goal] - 1[s in pit]: for evaluation only."""
        return self.in_goal(states).float() - self.in_pit(states).float()

    def start_states(self, n: int, rng: torch.Generator, region: str = "expert") -> Tensor:
        """n positions drawn uniformly from a start region's box, never in the pit, shape (n, 2)."""
        n, rng = check_int(n, "n"), check_rng(rng)
        lower, upper = (torch.tensor(corner) for corner in START_REGIONS[check_region(region)])
        kept = torch.empty(0, 2)
        while len(kept) < n:  # rejection sampling: redraw the few that land in the pit
            drawn = lower + (upper - lower) * torch.rand(2 * n, 2, generator=rng)
            kept = torch.cat([kept, drawn[~self.in_pit(drawn)]])
        return kept[:n]

    def step(self, states: Tensor, actions: Tensor, rng: torch.Generator) -> Tensor:
        """s_{t+1} from s_t and a_t for a batch of episodes, shapes (n, 2) → (n, 2)."""
        noise = self.position_noise * torch.randn(states.shape, generator=check_rng(rng))
        moved = states + self.time_step * limit_speed(actions, self.max_speed) + noise
        return torch.where(self.in_pit(states)[:, None], states, moved.clamp(-1.0, 1.0))


POINT_MASS = PointMass()


class Trajectories(NamedTuple):
    """A batch of episodes: states s_0..s_{T-1} and actions a_0..a_{T-1}, each (n, T, 2)."""

    states: Tensor
    actions: Tensor


@torch.no_grad()
def rollout(policy: Policy, starts: Tensor, rng: torch.Generator,
            env: PointMass = POINT_MASS) -> Trajectories:
    """Run ``policy`` from each start state for env.horizon steps, all episodes at once."""
    states, rng = check_points(starts, "starts", dim=2).float(), check_rng(rng)
    visited, chosen = [], []
    for _ in range(env.horizon):
        actions = policy(states, rng)
        visited.append(states)
        chosen.append(actions)
        states = env.step(states, actions, rng)
    return Trajectories(torch.stack(visited, 1), torch.stack(chosen, 1))


def distance_to_segment(points: Tensor, ends: Tensor, centre: Tensor) -> Tensor:
    """The distance from ``centre`` to each segment points[i] → ends[i], shape (n,)."""
    direction = ends - points
    along = ((centre - points) * direction).sum(-1) / (direction * direction).sum(-1).clamp_min(1e-12)
    nearest = points + along.clamp(0.0, 1.0)[:, None] * direction
    return (nearest - centre).norm(dim=-1)


class ScriptedExpert:
    """The demonstrator: head for the goal; if the straight line passes within ``margin`` of the
    pit, first head for a waypoint ``clearance`` beyond the pit's edge, on the point's side.

    μ_E(s) = v(k (target(s) - s)) with gain k, then a = μ_E(s) + σ ε like every policy here.
    From its own starts the line is always clear, so the detour is never demonstrated.
    """

    def __init__(self, env: PointMass = POINT_MASS, gain: float = 4.0, clearance: float = 0.2,
                 margin: float = 0.05):
        self.env, self.gain = env, check_number(gain, "gain")
        self.clearance, self.margin = check_number(clearance, "clearance"), check_number(margin, "margin")

    def mean_action(self, states: Tensor) -> Tensor:
        """μ_E(s), shape (n, 2)."""
        goal, pit = torch.tensor(self.env.goal_centre), torch.tensor(self.env.pit_centre)
        goal = goal.expand_as(states)
        # the margin keeps the position noise from brushing the pit on a line that only grazes it
        blocked = distance_to_segment(states, goal, pit) < self.env.pit_radius + self.margin
        side = torch.where(states[:, 1] >= pit[1], 1.0, -1.0)
        waypoint = torch.stack([pit[0].expand(len(states)),
                                pit[1] + side * (self.env.pit_radius + self.clearance)], dim=-1)
        target = torch.where(blocked[:, None], waypoint, goal)
        return limit_speed(self.gain * (target - states), self.env.max_speed)

    def __call__(self, states: Tensor, rng: torch.Generator) -> Tensor:
        return self.mean_action(states) + ACTION_NOISE * torch.randn(states.shape, generator=rng)


def random_policy(states: Tensor, rng: torch.Generator) -> Tensor:
    """a ~ Uniform([-1, 1]²) whatever the state: the floor of the comparison table."""
    return 2.0 * torch.rand(states.shape, generator=rng) - 1.0


def demonstrations(n_episodes: int, rng: torch.Generator,
                   env: PointMass = POINT_MASS) -> tuple[Tensor, Tensor]:
    """The expert's (state, action) pairs from ``n_episodes`` episodes started in its own region.

    Returns states and actions, each of shape (n_episodes · horizon, 2): pairs, not
    episodes, because that is all behaviour cloning and the discriminator use.
    """
    starts = env.start_states(check_int(n_episodes, "n_episodes"), rng, "expert")
    states, actions = rollout(ScriptedExpert(env), starts, rng, env)
    return states.reshape(-1, 2), actions.reshape(-1, 2)


class GaussianPolicy(nn.Module):
    """π_θ(a | s) = N(a; μ_θ(s), σ² I) with μ_θ(s) = tanh(MLP_θ(s)) ∈ (-1, 1)² and a fixed σ."""

    def __init__(self, width: int = 64, depth: int = 2, noise: float = ACTION_NOISE, seed: int = 0):
        super().__init__()
        self.network = mlp(2, 2, width=width, depth=depth, seed=seed)
        self.noise = check_number(noise, "noise")

    def mean_action(self, states: Tensor) -> Tensor:
        """μ_θ(s), shape (n, 2)."""
        return torch.tanh(self.network(states))

    def forward(self, states: Tensor, rng: torch.Generator) -> Tensor:
        """a = μ_θ(s) + σ ε, ε ~ N(0, I)."""
        return self.mean_action(states) + self.noise * torch.randn(states.shape, generator=rng)

    def log_prob(self, states: Tensor, actions: Tensor) -> Tensor:
        """log π_θ(a | s) = -|a - μ_θ(s)|² / (2σ²) + const, shape (n,); the constant cancels in PPO."""
        return -((actions - self.mean_action(states)) ** 2).sum(-1) / (2 * self.noise ** 2)


def check_pairs(states, actions) -> tuple[Tensor, Tensor]:
    """(states, actions) as two float (n, 2) tensors with one action per state."""
    states = check_points(states, "states", dim=2).float()
    actions = check_points(actions, "actions", dim=2).float()
    if len(states) != len(actions):
        raise ValueError(f"got {len(states)} states but {len(actions)} actions: pass one action per state.")
    return states, actions


def behaviour_cloning(states: Tensor, actions: Tensor, steps: int = 2000, batch_size: int = 256,
                      lr: float = 3e-3, width: int = 64, depth: int = 2, seed: int = 0,
                      progress: bool = False) -> GaussianPolicy:
    """Fit π_θ to the expert's pairs by maximum likelihood, which with a fixed σ is regression:

    max_θ E_(s,a)~expert [log π_θ(a | s)]  ⇔  min_θ E [|a - μ_θ(s)|²].

    It never acts, so it learns nothing about states the expert did not visit.
    Adam on random minibatches; the learning rate decays to zero on a cosine schedule.
    """
    states, actions = check_pairs(states, actions)
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    rng = torch.Generator().manual_seed(seed)
    policy = GaussianPolicy(width, depth, seed=seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for _ in progress_bar(range(steps), desc="behaviour cloning", disable=not progress, leave=False):
        batch = torch.randint(len(states), (batch_size,), generator=rng)
        loss = ((policy.mean_action(states[batch]) - actions[batch]) ** 2).sum(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return policy


def gail_reward(discriminator: nn.Module, states: Tensor, actions: Tensor) -> Tensor:
    """r_φ(s, a) = l_φ(s, a) = log D_φ - log(1 - D_φ) ≈ log ρ_E(s, a) / ρ_π(s, a), shape (...,).

    Why the logit rather than GAIL's original -log(1 - D) or log D: it is the log
    density ratio itself, so the learner maximises E_ρπ[log ρ_E/ρ_π] = -KL(ρ_π ‖ ρ_E),
    a reverse KL that punishes being where the expert never is (the pit). The other
    two differ from it by softplus(∓l), a reward always positive (a bonus for staying
    alive) or always negative (a push to end early); that bias matters when episodes
    can end early (Kostrikov et al. 2019), not with our fixed horizon.
    """
    return discriminator(torch.cat([states, actions], dim=-1)).squeeze(-1)


def discriminator_step(discriminator: nn.Module, optimizer: torch.optim.Optimizer,
                       expert_pairs: Tensor, learner_pairs: Tensor) -> float:
    """One Adam step on the Bernoulli loss, expert pairs labelled real (π = ½):

    L(φ) = ½ E_expert[-log D_φ(s, a)] + ½ E_learner[-log(1 - D_φ(s, a))].

    Pairs are (s, a) concatenated, shape (n, 4). Returns the loss.
    """
    loss = bernoulli(discriminator(expert_pairs).squeeze(-1), discriminator(learner_pairs).squeeze(-1))
    optimizer.zero_grad()
    loss.discriminator.backward()
    optimizer.step()
    return loss.discriminator.item()


def generalised_advantages(rewards: Tensor, values: Tensor, discount: float, smoothing: float) -> Tensor:
    """GAE (Schulman et al. 2016), shapes (n, T) → (n, T):

    Â_t = Σ_k (γλ)^k δ_{t+k},  δ_t = r_t + γ V(s_{t+1}, t+1) - V(s_t, t),  V = 0 after the horizon.
    """
    advantages, running = torch.zeros_like(rewards), torch.zeros(len(rewards))
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros(len(rewards))
        running = rewards[:, t] + discount * next_value - values[:, t] + discount * smoothing * running
        advantages[:, t] = running
    return advantages


def ppo_clip_loss(log_prob: Tensor, old_log_prob: Tensor, advantages: Tensor, clip: float = 0.2) -> Tensor:
    """PPO's clipped surrogate (Schulman et al. 2017), to minimise:

    L(θ) = -E[min(ρ Â, clip(ρ, 1 - ε, 1 + ε) Â)],  ρ = π_θ(a | s) / π_old(a | s).
    """
    ratio = (log_prob - old_log_prob).exp()
    return -torch.min(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages).mean()


class GAILResult(NamedTuple):
    """The learner's policy, the discriminator D_φ (input: (s, a) concatenated), and per
    iteration the discriminator's loss and the learner's mean reward E_ρπ[l_φ]."""

    policy: GaussianPolicy
    discriminator: nn.Module
    history: dict


def state_and_time(states: Tensor) -> Tensor:
    """(s, t / T) for states of shape (n, T, 2): the value's input, since the horizon is fixed."""
    n, horizon, _ = states.shape
    time = (torch.arange(horizon) / horizon).expand(n, horizon)[..., None]
    return torch.cat([states, time], dim=-1)


def improve_policy(policy: GaussianPolicy, value: nn.Module, optimizers: tuple, episodes: Trajectories,
                   rewards: Tensor, rng: torch.Generator, epochs: int, minibatch_size: int,
                   discount: float, smoothing: float, clip: float) -> None:
    """PPO on one batch of episodes: advantages from the value baseline, then ``epochs``
    passes of minibatch steps on the clipped surrogate and on the value's squared error."""
    inputs = state_and_time(episodes.states)
    with torch.no_grad():
        values = value(inputs).squeeze(-1)
        advantages = generalised_advantages(rewards, values, discount, smoothing)
        targets = (advantages + values).flatten()
        old_log_prob = policy.log_prob(episodes.states, episodes.actions).flatten()
    # one scale for every batch, so the step size does not depend on how large the rewards are
    advantages = ((advantages - advantages.mean()) / (advantages.std() + 1e-8)).flatten()
    states, actions = episodes.states.reshape(-1, 2), episodes.actions.reshape(-1, 2)
    inputs = inputs.reshape(-1, 3)
    policy_optimizer, value_optimizer = optimizers
    for _ in range(epochs):
        order = torch.randperm(len(states), generator=rng)
        for batch in order.split(minibatch_size):
            loss = ppo_clip_loss(policy.log_prob(states[batch], actions[batch]), old_log_prob[batch],
                                 advantages[batch], clip)
            policy_optimizer.zero_grad()
            loss.backward()
            policy_optimizer.step()
            value_loss = ((value(inputs[batch]).squeeze(-1) - targets[batch]) ** 2).mean()
            value_optimizer.zero_grad()
            value_loss.backward()
            value_optimizer.step()


def gail(expert_states: Tensor, expert_actions: Tensor, iterations: int = 150, episodes: int = 128,
         practice_region: str = "anywhere", initial_policy: GaussianPolicy | None = None,
         env: PointMass = POINT_MASS, seed: int = 0, policy_lr: float = 3e-4,
         discriminator_lr: float = 1e-3, epochs: int = 4, minibatch_size: int = 256,
         discount: float = 0.98, smoothing: float = 0.95, clip: float = 0.2,
         progress: bool = False) -> GAILResult:
    """Generative adversarial imitation learning (Ho & Ermon 2016). Each iteration:

    1. the learner plays ``episodes`` episodes from ``practice_region``;
    2. D_φ takes one step on the Bernoulli loss, expert pairs against the learner's;
    3. every step of those episodes gets the reward r_t = l_φ(s_t, a_t) (``gail_reward``);
    4. PPO-clip improves π_θ on that reward, with a value baseline V(s, t).

    Why PPO, a score-function method: falling into the pit is a jump that no
    gradient through the dynamics can see (lying in the pit, the position no
    longer depends on the actions), while E[∇ log π · Â] needs only the rewards
    of what happened. Plain REINFORCE uses each batch once and needed several
    times as many episodes; PPO's clipped ratio lets it reuse a batch for a few
    epochs safely while the reward itself keeps moving.

    The learner practises from ``"anywhere"`` by default: that is GAIL's
    advantage over cloning, and it needs a world the learner can act in. Starting
    where the expert never starts, it cannot match ρ_E exactly; the reward then
    says "get to where the expert goes, and go the way it goes". Start from
    ``initial_policy`` (e.g. behaviour cloning's) or, by default, a fresh network.
    The defaults take about 15 s on one CPU thread.
    """
    expert_states, expert_actions = check_pairs(expert_states, expert_actions)
    iterations, episodes = check_int(iterations, "iterations"), check_int(episodes, "episodes")
    practice_region = check_region(practice_region)
    rng = torch.Generator().manual_seed(seed)
    policy = GaussianPolicy(seed=seed) if initial_policy is None else copy.deepcopy(initial_policy)
    discriminator = mlp(4, 1, seed=seed + 1)
    value = mlp(3, 1, seed=seed + 2)
    optimizers = (torch.optim.Adam(policy.parameters(), lr=policy_lr),
                  torch.optim.Adam(value.parameters(), lr=1e-3))
    discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), lr=discriminator_lr)
    expert_pairs = torch.cat([expert_states, expert_actions], dim=-1)
    history = {"discriminator_loss": [], "mean_reward": []}
    for _ in progress_bar(range(iterations), desc="GAIL", disable=not progress, leave=False):
        played = rollout(policy, env.start_states(episodes, rng, practice_region), rng, env)
        learner_pairs = torch.cat(played, dim=-1).reshape(-1, 4)
        shown = expert_pairs[torch.randint(len(expert_pairs), (len(learner_pairs),), generator=rng)]
        history["discriminator_loss"].append(discriminator_step(discriminator, discriminator_optimizer,
                                                                shown, learner_pairs))
        with torch.no_grad():
            rewards = gail_reward(discriminator, played.states, played.actions)
        history["mean_reward"].append(rewards.mean().item())
        improve_policy(policy, value, optimizers, played, rewards, rng, epochs, minibatch_size,
                       discount, smoothing, clip)
    return GAILResult(policy, discriminator, history)


class Evaluation(NamedTuple):
    """Mean true return Σ_t r(s_t) per episode, and the share of episodes that end in the
    goal without ever entering the pit."""

    true_return: float
    success_rate: float


def evaluate(policy: Policy, region: str = "expert", n_episodes: int = 1000, seed: int = 0,
             env: PointMass = POINT_MASS) -> Evaluation:
    """Play ``policy`` from ``region`` and score it with the true reward it never saw.

    The same seed gives every policy the same start states, so a table compares
    policies on the same episodes.
    """
    rng = torch.Generator().manual_seed(seed)
    starts = env.start_states(check_int(n_episodes, "n_episodes"), rng, check_region(region))
    played = rollout(policy, starts, rng, env)
    succeeded = env.in_goal(played.states[:, -1]) & ~env.in_pit(played.states).any(dim=1)
    return Evaluation(env.true_reward(played.states).sum(1).mean().item(), succeeded.float().mean().item())


def comparison_table(policies: dict, regions: tuple = ("expert", "unseen"), n_episodes: int = 1000,
                     seed: int = 0, env: PointMass = POINT_MASS) -> list[dict]:
    """One row per policy and start region: {"policy", "starts", "true_return", "success_rate"}.

    ``policies`` maps names to policies, e.g. {"expert": ScriptedExpert(), "BC": ...};
    ``pandas.DataFrame(rows)`` prints it as a table.
    """
    rows = []
    for name, policy in policies.items():
        for region in regions:
            score = evaluate(policy, region, n_episodes, seed, env)
            rows.append({"policy": name, "starts": region, **score._asdict()})
    return rows
