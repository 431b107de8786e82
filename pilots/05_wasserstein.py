"""Lesson 05's pilot runs: the runs its text cites but does not show.

1. The budget. Before the lesson's runs (seeds 0-4) we fixed their length from runs of the
   same two methods on other seeds (100-104): the exact W between held-out data and each run's
   samples, every 625 steps, and the first record from which a run stays settled.
2. Adam's beta. The lesson trains WGAN-GP with beta = (0, 0.9), Gulrajani et al.'s Algorithm 1;
   their released code uses (0.5, 0.9). The same five seeds with (0.5, 0.9): does the training
   critic still read below 0?

The settings are the lesson's table ("weight clipping" and "WGAN-GP"). Run from the repository
root: ``python pilots/05_wasserstein.py`` (about 12 minutes on one CPU core; with
GAN_COURSE_QUICK=1, a few seconds). The numbers the lesson cites are in pilots/RESULTS.md.
"""
import torch

import gan_course
from gan_course import metrics
from gan_course.batched import train_batch
from gan_course.data import toy
from gan_course.penalties import WeightClipping, WGANGradientPenalty
from gan_course.toy_training import GANConfig

STEPS = gan_course.budget(full=10_000, quick=150)
RECORD_EVERY = STEPS // gan_course.budget(full=16, quick=4)
N_SHOW, N_EVAL = 500, gan_course.budget(full=1000, quick=300)
SETTLED = 1.5  # a run has settled from the first record after which W stays within this factor of its end


def wgan_config(method, seed, betas=(0.0, 0.9)):
    """The lesson's run of ``method`` with this seed: n_critic = 5, m = 64, 64×2 networks."""
    if method == "weight clipping":
        fields = dict(optimizer="rmsprop", lr_disc=5e-5, lr_gen=5e-5, penalty=WeightClipping(c=0.01))
    else:
        fields = dict(optimizer="adam", lr_disc=1e-4, lr_gen=1e-4, betas=betas,
                      penalty=WGANGradientPenalty(weight=10.0, seed=seed + 1))
    return GANConfig(loss="wasserstein", n_disc=5, width=64, depth=2, batch_size=64, seed=seed, **fields)


def settled_at(steps, curve):
    """The first recorded step from which W stays within a factor SETTLED of the median of the
    run's last four records (above and below)."""
    end = float(torch.tensor(curve[-4:]).median())
    for i, step in enumerate(steps):
        if all(end / SETTLED <= w <= end * SETTLED for w in curve[i:]):
            return step
    return steps[-1]


def budget_pilot(data, heldout, seeds):
    print(f"1. The budget: exact W ({N_SHOW} samples) against held-out data, seeds {seeds[0]}-{seeds[-1]}")
    for method in ("weight clipping", "WGAN-GP"):
        histories = train_batch(data, [wgan_config(method, seed) for seed in seeds], STEPS,
                                record_every=RECORD_EVERY, n_show=N_SHOW, progress=False)
        steps = [int(step) for step in histories[0].steps]
        print(f"\n{method}\n{'step':>6} " + " ".join(f"{f'seed {seed}':>9}" for seed in seeds))
        curves = [[metrics.exact_wasserstein(heldout, fake) for fake in h.fake] for h in histories]
        for i, step in enumerate(steps):
            print(f"{step:>6} " + " ".join(f"{curve[i]:>9.3f}" for curve in curves))
        print(f"settled (within ×{SETTLED} of the last four records' median) from step: "
              + ", ".join(str(settled_at(steps, curve)) for curve in curves))


def beta_pilot(data, heldout_eval, seeds):
    print(f"\n2. WGAN-GP with Adam's beta = (0.5, 0.9), seeds {seeds[0]}-{seeds[-1]}: the training "
          f"critic's estimate against the exact W ({N_EVAL} held-out points, {N_EVAL} samples)")
    histories = train_batch(data, [wgan_config("WGAN-GP", seed, betas=(0.5, 0.9)) for seed in seeds],
                            STEPS, n_show=N_SHOW, progress=False)
    print(f"{'seed':>4} {'exact W':>8} {'training':>9}")
    for seed, history in zip(seeds, histories):
        fake = history.final_samples(N_EVAL, seed=5)  # as the lesson draws them
        print(f"{seed:>4} {metrics.exact_wasserstein(heldout_eval, fake):>8.3f} "
              f"{metrics.critic_estimate(history.discriminator, heldout_eval, fake):>9.3f}")


if __name__ == "__main__":
    gan_course.setup()
    data = toy.DisjointRegions()
    heldout = data.sample(N_SHOW, torch.Generator().manual_seed(2))  # the lesson's held-out points
    heldout_eval = data.sample(N_EVAL, torch.Generator().manual_seed(4))
    budget_pilot(data, heldout, seeds=list(range(100, 105)) if not gan_course.is_quick() else [100, 101])
    beta_pilot(data, heldout_eval, seeds=list(range(5)) if not gan_course.is_quick() else [0, 1])
