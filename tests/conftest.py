"""Run the tests' small networks on one thread, as the notebooks do (see config.setup); the
fixtures that several test modules share."""

import sys
from pathlib import Path

import pytest
import torch

from gan_course.metrics.features import CACHE_ENV_VAR

sys.path.insert(0, str(Path(__file__).parent))  # for the shared helpers beside the tests
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def classifier_cache(tmp_path_factory):
    """A fresh cache for evaluate's digit classifiers, one per test module: trained there (about
    10 s for mnist5k, 1 s for digits8), never written to the user's cache."""
    folder = tmp_path_factory.mktemp("gan_course_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV_VAR, str(folder))
        yield folder
