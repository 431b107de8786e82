"""Full-scale image experiments and the ``gan-course`` command line.

    gan-course list                                           the experiments and their GPU time
    gan-course train dcgan_mnist --quick --out runs/quick     a CPU smoke run, well under a minute
    gan-course train wgan_gp_cifar10 --out runs/wgan --set data_root=~/data
    gan-course sample runs/quick --n 64                       a grid from the latest checkpoint
    gan-course evaluate runs/quick                            lesson 09's metrics beside real images
    gan-course train realnvp_mle_mnist --quick --out runs/nvp lesson 06: a Real NVP by maximum likelihood
    gan-course train alpha_gan_cifar10 --quick --out runs/ag  lesson 07: α-GAN (G, encoder, D, code D)

The modules, in the order a run uses them:

- ``config``: ``Experiment``, the settings of one run, read from the TOML files in ``configs/``
  (``load_experiment``), with ``--quick`` and ``--set key=value``;
- ``run``: ``prepare_run`` builds the networks, optimisers, penalty and batches (or restores them
  from a checkpoint) and ``train_run`` trains them with ``gan_course.train.train``, the one GAN
  loop (a Real NVP by maximum likelihood with ``flow_step``, an α-GAN with lesson 07's
  ``train_hybrid``), through a hook that logs, draws samples and writes checkpoints; DDP under
  torchrun;
- ``outputs``: the run's folder and how each file is written (atomically);
- ``evaluation``: samples, nearest-neighbour distances and lesson 09's metrics from a run's
  folder, held-out bits/dim and the independent critic for a Real NVP, and held-out
  reconstructions for an α-GAN;
- ``cli``: the command line.

The same from Python:

    from gan_course.experiments import load_experiment, prepare_run, train_run
    summary = train_run(prepare_run(load_experiment("dcgan_mnist", quick=True), "runs/quick"))
"""

from gan_course.experiments.config import Experiment, experiment_names, load_experiment
from gan_course.experiments.evaluation import evaluate_run, load_generator, sample_grid
from gan_course.experiments.run import TrainingDiverged, prepare_run, train_run

__all__ = ["Experiment", "experiment_names", "load_experiment", "prepare_run", "train_run",
           "TrainingDiverged", "evaluate_run", "sample_grid", "load_generator"]
