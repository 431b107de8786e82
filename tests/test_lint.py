"""The package, tests, benchmarks and pilots pass ruff (the rules are in pyproject.toml)."""

import subprocess
import sys

from notebook_files import ROOT


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "gan_course", "tests", "benchmarks",
                             "pilots"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
