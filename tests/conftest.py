"""Run the tests' small networks on one thread, as the notebooks do (see config.setup); the
fixtures that several test modules share."""

import sys
from pathlib import Path

import pytest
import torch

from gan_course.metrics.features import CACHE_ENV_VAR

sys.path.insert(0, str(Path(__file__).parent))  # for the shared helpers beside the tests
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def _session_classifier_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("gan_course_cache")


@pytest.fixture(scope="module")
def classifier_cache(_session_classifier_folder):
    """The cache of the course's classifiers for this module's tests: one fresh folder for the
    whole session, so the mnist5k classifier is trained once (about 35 s on one thread) for every
    module that needs it, and nothing is written to the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV_VAR, str(_session_classifier_folder))
        yield _session_classifier_folder
