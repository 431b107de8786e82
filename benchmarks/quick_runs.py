"""How long `gan-course train NAME --quick` takes for every shipped experiment.

    .venv/bin/python benchmarks/quick_runs.py

The README and each experiment's TOML file say how long its offline smoke run takes on a
2-core CPU; this measures it: the whole command (start-up, data, training, sample grids,
checkpoints) in a fresh process per experiment, one after the other, with the command's own
torch threads. Writes the section below of RESULTS.md. Takes about 15 minutes.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average, measured_on, write_results_section

from gan_course.experiments.config import experiment_names

SECTION = "## Quick runs of the command line"


def seconds_of_quick_run(name: str, folder: Path) -> float:
    start = time.perf_counter()
    command = [sys.executable, "-m", "gan_course", "train", name, "--quick", "--out", str(folder / name)]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    load = load_average()
    with tempfile.TemporaryDirectory() as folder:
        times = {name: seconds_of_quick_run(name, Path(folder)) for name in experiment_names()}
    rows = "\n".join(f"| `{name}` | {seconds:.0f} |" for name, seconds in times.items())
    write_results_section(SECTION, f"""{SECTION}

{measured_on("python benchmarks/quick_runs.py", load)}: `gan-course train NAME --quick --out DIR`
for every shipped experiment, the whole command in a fresh process, one after the other.

| experiment | seconds |
|---|---:|
{rows}
""")
    print(rows)


if __name__ == "__main__":
    main()
