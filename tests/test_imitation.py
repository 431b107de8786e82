"""gan_course.imitation: the point-mass world, the expert, behaviour cloning and GAIL.

The world is built so that the two learners differ in a known way: from the
expert's starts the goal lies straight ahead; behind the pit (the "unseen"
starts, never visited by the expert) heading for the goal walks into the pit.
"""

import math

import pytest
import torch

from gan_course.imitation import (
    ACTION_NOISE,
    POINT_MASS,
    START_REGIONS,
    GaussianPolicy,
    PointMass,
    ScriptedExpert,
    behaviour_cloning,
    comparison_table,
    demonstrations,
    discriminator_step,
    evaluate,
    gail,
    gail_reward,
    generalised_advantages,
    ppo_clip_loss,
    random_policy,
    rollout,
)
from gan_course.models import mlp

N_DEMOS = 200  # episodes, 8000 pairs: what the lesson uses
N_EVAL = 500


def rng(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def demos():
    return demonstrations(N_DEMOS, rng(0))


@pytest.fixture(scope="module")
def cloned(demos):
    # 1000 steps reach the noise floor (below) as well as the default 2000
    return behaviour_cloning(*demos, steps=1000, seed=0)


# --- the world -------------------------------------------------------------

@pytest.mark.parametrize("region", list(START_REGIONS))
def test_start_states_lie_in_their_box_and_outside_the_pit(region):
    starts = POINT_MASS.start_states(500, rng(), region)
    (x0, y0), (x1, y1) = START_REGIONS[region]
    assert starts.shape == (500, 2)
    assert ((starts[:, 0] >= x0) & (starts[:, 0] <= x1) & (starts[:, 1] >= y0) & (starts[:, 1] <= y1)).all()
    assert not POINT_MASS.in_pit(starts).any()


def test_step_moves_at_most_max_speed_and_stays_in_the_box():
    still = PointMass(position_noise=0.0)
    states = still.start_states(1000, rng(), "anywhere")
    actions = 5 * torch.randn(1000, 2, generator=rng(1))  # mostly far above the speed limit
    moved = still.step(states, actions, rng(2))
    assert moved.abs().max() <= 1.0
    assert (moved - states).norm(dim=-1).max() <= still.time_step * still.max_speed + 1e-6
    # a slow action is taken exactly (away from the walls)
    centre = torch.tensor([[-0.5, 0.5]])
    moved = still.step(centre, torch.tensor([[0.3, -0.4]]), rng())
    assert torch.allclose(moved, torch.tensor([[-0.47, 0.46]]))


def test_a_point_in_the_pit_stays_there():
    in_pit = torch.tensor([POINT_MASS.pit_centre, [0.5, 0.1]])
    assert POINT_MASS.in_pit(in_pit).all()
    assert torch.equal(POINT_MASS.step(in_pit, torch.ones(2, 2), rng()), in_pit)


def test_true_reward_literal():
    states = torch.tensor([POINT_MASS.goal_centre, POINT_MASS.pit_centre, [-0.9, 0.9]])
    assert POINT_MASS.true_reward(states).tolist() == [1.0, -1.0, 0.0]


def test_same_seed_same_episodes_and_another_seed_others():
    first, again, other = (demonstrations(20, rng(seed)) for seed in (3, 3, 4))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_demonstrations_are_pairs_that_never_reach_the_unseen_starts_or_the_pit(demos):
    states, actions = demos
    assert states.shape == actions.shape == (N_DEMOS * POINT_MASS.horizon, 2)
    assert states[:, 0].max() < START_REGIONS["unseen"][0][0]  # the right strip is off the expert's map
    assert not POINT_MASS.in_pit(states).any()


def test_expert_succeeds_from_its_starts_and_from_the_unseen_ones():
    # from the unseen starts it needs the detour it never demonstrates: the task is solvable there
    expert = ScriptedExpert()
    assert evaluate(expert, "expert", N_EVAL).success_rate >= 0.99
    assert evaluate(expert, "unseen", N_EVAL).success_rate >= 0.95


def test_random_policy_rarely_succeeds():
    assert evaluate(random_policy, "expert", N_EVAL).success_rate < 0.05


# --- behaviour cloning -----------------------------------------------------

def test_behaviour_cloning_fits_the_demonstrations_down_to_the_noise(demos, cloned):
    states, actions = demos
    with torch.no_grad():
        cloned_actions = cloned.mean_action(states)
        error = ((cloned_actions - actions) ** 2).sum(-1).mean().item()
        off_by = (cloned_actions - ScriptedExpert().mean_action(states)).norm(dim=-1).mean().item()
    # the actions carry the expert's N(0, σ² I) noise, so no fit goes below 2σ² = 0.02;
    # measured 0.0202 (and the mean action within 0.02 of the expert's)
    noise_floor = 2 * ACTION_NOISE ** 2
    assert noise_floor * 0.9 < error < noise_floor * 1.15
    assert off_by < 0.05


def test_behaviour_cloning_copies_the_expert_at_home_and_walks_into_the_pit_off_its_map(cloned):
    # measured: success 1.00 from the expert's starts; 0.00 from the unseen ones, every episode in the pit
    assert evaluate(cloned, "expert", N_EVAL).success_rate >= 0.95
    played = rollout(cloned, POINT_MASS.start_states(N_EVAL, rng(), "unseen"), rng())
    assert POINT_MASS.in_pit(played.states).any(dim=1).float().mean() >= 0.9


# --- the discriminator's reward is a log density ratio ---------------------

def test_discriminator_logit_is_the_log_ratio_of_two_gaussians():
    # expert pairs ~ N(m, I), learner pairs ~ N(0, I) in the 4D (s, a) space:
    # log ρ_E/ρ_π (x) = m·x - |m|²/2, linear, so a small network can reach it
    shift = torch.tensor([0.6, -0.4, 0.3, 0.5])
    draws = rng(5)
    discriminator = mlp(4, 1, seed=0)
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=3e-3)
    for _ in range(600):
        expert_pairs = shift + torch.randn(512, 4, generator=draws)
        discriminator_step(discriminator, optimizer, expert_pairs, torch.randn(512, 4, generator=draws))
    test = torch.cat([shift + torch.randn(2000, 4, generator=draws), torch.randn(2000, 4, generator=draws)])
    truth = test @ shift - shift.dot(shift) / 2
    with torch.no_grad():
        estimate = gail_reward(discriminator, test[:, :2], test[:, 2:])
    bulk = truth.abs() <= 3  # where both classes are seen
    # measured 0.05 nats; lesson 01 asks 0.15 of a ratio estimator
    assert (estimate - truth)[bulk].abs().mean() < 0.15


# --- GAIL -------------------------------------------------------------------

# Test scale: 60 iterations of 64 episodes (about 3 s); the lesson runs 150 of 128.
SHORT_RUN = dict(iterations=60, episodes=64, seed=0)


@pytest.fixture(scope="module")
def short_gail(demos):
    return gail(*demos, **SHORT_RUN)


def test_short_gail_run_improves_the_true_return(short_gail):
    # The starting network never reaches the goal: return 0.0 from the expert's starts.
    # Measured after the short run with seeds 0-4: 9.8, 16.2, 16.4, 9.9, 14.9. One
    # episode's return spreads by about 15, so over 500 episodes a gain of 5 is more
    # than six standard errors, and half the smallest gain measured.
    before = evaluate(GaussianPolicy(seed=0), "expert", N_EVAL).true_return
    after = evaluate(short_gail.policy, "expert", N_EVAL).true_return
    assert after > before + 5.0


def expert_and_other_rewards(discriminator, demos, other):
    states, actions = demos
    with torch.no_grad():
        return gail_reward(discriminator, states, actions), gail_reward(discriminator, *other)


def share_ranked_above(higher, lower, n=2000):
    """The share of pairs (x, y) of the first n of each with x > y: an AUC."""
    return (higher[:n, None] > lower.flatten()[None, :n]).float().mean().item()


def test_gail_reward_prefers_expert_pairs_to_random_ones(short_gail, demos):
    random_play = rollout(random_policy, POINT_MASS.start_states(200, rng(7), "anywhere"), rng(8))
    expert_reward, random_reward = expert_and_other_rewards(short_gail.discriminator, demos, random_play)
    # measured with seeds 0-4: the mean reward gap is 0.65-0.98 nats and the AUC 0.78-0.81
    # (chance is 0.5; random pairs near the expert's path and goal look partly expert-like)
    assert expert_reward.mean() > random_reward.mean() + 0.3
    assert share_ranked_above(expert_reward, random_reward) > 0.7


def test_gail_reward_punishes_lying_in_the_pit(short_gail, demos, cloned):
    # behaviour cloning from the unseen starts lies in the pit: the learner has practised
    # there, so the classifier knows no expert pair looks like that
    fallen = rollout(cloned, POINT_MASS.start_states(200, rng(9), "unseen"), rng(10))
    in_pit = POINT_MASS.in_pit(fallen.states)
    expert_reward, fallen_reward = expert_and_other_rewards(short_gail.discriminator, demos, fallen)
    # measured with seeds 0-4: expert 0.17-0.31, in the pit -1.5 to -2.3; AUC 1.0
    assert expert_reward.mean() > fallen_reward[in_pit].mean() + 1.0
    assert share_ranked_above(expert_reward, fallen_reward[in_pit]) > 0.95


def test_gail_history_has_one_entry_per_iteration(short_gail):
    assert {key: len(values) for key, values in short_gail.history.items()} == {
        "discriminator_loss": SHORT_RUN["iterations"], "mean_reward": SHORT_RUN["iterations"]}
    assert all(math.isfinite(value) for value in short_gail.history["discriminator_loss"])


def test_gail_same_seed_same_policy(demos):
    first, again = (gail(*demos, iterations=3, episodes=16, seed=1) for _ in range(2))
    for a, b in zip(first.policy.parameters(), again.policy.parameters()):
        assert torch.equal(a, b)


def test_gail_starts_from_a_copy_of_the_initial_policy(demos, cloned):
    before = [p.clone() for p in cloned.parameters()]
    gail(*demos, iterations=2, episodes=16, initial_policy=cloned)
    assert all(torch.equal(a, b) for a, b in zip(before, cloned.parameters()))


# --- the policy-gradient pieces --------------------------------------------

def test_generalised_advantages_literal():
    rewards = torch.tensor([[1.0, 2.0, 3.0]])
    values = torch.tensor([[0.5, 1.0, 1.5]])
    # λ = 1, γ = 1: the reward-to-go minus the value
    assert torch.allclose(generalised_advantages(rewards, values, 1.0, 1.0), torch.tensor([[5.5, 4.0, 1.5]]))
    # λ = 0, γ = 0.5: the one-step error δ_t = r_t + γ V_{t+1} - V_t, and V = 0 after the horizon
    assert torch.allclose(generalised_advantages(rewards, values, 0.5, 0.0), torch.tensor([[1.0, 1.75, 1.5]]))


def test_ppo_clip_loss_clips_only_in_the_direction_that_helps():
    old = torch.zeros(4)
    new = torch.log(torch.tensor([1.5, 1.5, 0.5, 0.5]))  # ratios 1.5, 1.5, 0.5, 0.5
    advantages = torch.tensor([1.0, -1.0, 1.0, -1.0])
    # min(ρÂ, clip(ρ)Â) per pair: 1.2, -1.5, 0.5, -0.8
    expected = -torch.tensor([1.2, -1.5, 0.5, -0.8]).mean()
    assert torch.isclose(ppo_clip_loss(new, old, advantages, clip=0.2), expected)


def test_comparison_table_has_a_row_per_policy_and_region():
    rows = comparison_table({"expert": ScriptedExpert(), "random": random_policy}, n_episodes=50)
    assert [(row["policy"], row["starts"]) for row in rows] == [
        ("expert", "expert"), ("expert", "unseen"), ("random", "expert"), ("random", "unseen")]
    assert all(0.0 <= row["success_rate"] <= 1.0 for row in rows)


# --- bad input ---------------------------------------------------------------

def test_unknown_region_names_the_choices():
    with pytest.raises(ValueError, match="choose one of expert, unseen, anywhere"):
        POINT_MASS.start_states(10, rng(), "left")


def test_missing_rng_says_how_to_make_one():
    with pytest.raises(ValueError, match="torch.Generator"):
        demonstrations(10, None)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_episode_count_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match="positive integer"):
        demonstrations(n, rng())


def test_pairs_must_match_and_be_two_dimensional(demos):
    states, actions = demos
    with pytest.raises(ValueError, match="one action per state"):
        behaviour_cloning(states, actions[:-1], steps=1)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        gail(states.reshape(-1, 4), actions, iterations=1)


def test_bad_world_settings_are_refused():
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        PointMass(horizon=0)
    with pytest.raises(ValueError, match="pit_radius must be a positive number"):
        PointMass(pit_radius=-0.1)
