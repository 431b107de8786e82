"""Run the tests' small networks on one thread, as the notebooks do (see config.setup)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))  # for the shared helpers beside the tests
torch.set_num_threads(1)
