"""The pilot scripts that lessons cite run, in quick mode, and print what the lessons cite."""

import os
import subprocess
import sys

import pytest
from notebook_files import ROOT

PILOTS = sorted((ROOT / "pilots").glob("*.py"))


def test_every_pilot_has_recorded_results():
    results = (ROOT / "pilots" / "RESULTS.md").read_text()
    assert PILOTS, "no pilot scripts found"
    for pilot in PILOTS:
        assert f"python pilots/{pilot.name}" in results, f"pilots/RESULTS.md lacks {pilot.name}'s output"


@pytest.mark.parametrize("pilot", PILOTS, ids=lambda path: path.name)
def test_pilot_runs_in_quick_mode(pilot):
    result = subprocess.run([sys.executable, str(pilot)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "GAN_COURSE_QUICK": "1"}, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "mode=quick" in result.stdout


@pytest.mark.parametrize("lesson, pilot", [("05_wasserstein", "05_wasserstein.py"),
                                           ("07_alpha_gan", "07_alpha_gan.py")])
def test_a_lesson_that_cites_a_pilot_names_its_script(lesson, pilot):
    assert f"pilots/{pilot}" in (ROOT / "notebooks" / f"{lesson}.py").read_text()
