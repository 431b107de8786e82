"""Time every lecture and solution notebook in quick and in full mode.

    make bench        # or: .venv/bin/python benchmarks/notebook_times.py [--quick-only]

Executes copies (nothing in notebooks/ or solutions/ is rewritten) and writes
the table to benchmarks/notebook_times.md with the machine it ran on. With
--quick-only (minutes, not the hour of a full run) it writes only the section
"Quick mode alone" of that file, and leaves the full table as it is.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import date

import torch
from machine import cpu_name, write_results_section

from gan_course.authoring import ROOT, run_notebook

RESULTS = ROOT / "benchmarks" / "notebook_times.md"
QUICK_SECTION = "## Quick mode alone"


def machine() -> str:
    cpu = cpu_name()
    return (f"{platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch threads")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick-only", action="store_true")
    args = parser.parse_args()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    rows = []
    for path in notebooks:
        quick = run_notebook(path, quick=True)[1]
        full = None if args.quick_only else run_notebook(path, quick=False)[1]
        rows.append((path.relative_to(ROOT), quick, full))
        full_text = "" if full is None else f", full {full:.1f} s"
        print(f"{path.relative_to(ROOT)}: quick {quick:.1f} s{full_text}")
    if args.quick_only:
        write_quick_section(rows)
    else:
        write_table(rows)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def write_table(rows) -> None:
    """The whole file: both modes of every notebook (a quick-only section from before goes)."""
    lines = [
        "# Notebook run times",
        "",
        f"Measured {date.today()} on {machine()} with `make bench`.",
        "Wall-clock time of executing each notebook with nbclient, kernel start included.",
        "",
        "| notebook | quick mode (s) | full mode (s) |",
        "|---|---:|---:|",
    ]
    lines += [f"| `{path}` | {quick:.1f} | {full:.1f} |" for path, quick, full in rows]
    RESULTS.write_text("\n".join(lines) + "\n")


def write_quick_section(rows) -> None:
    lines = [
        QUICK_SECTION,
        "",
        f"Measured {date.today()} on {machine()} with "
        "`python benchmarks/notebook_times.py --quick-only`, kernel start included.",
        "",
        "| notebook | quick mode (s) |",
        "|---|---:|",
    ]
    lines += [f"| `{path}` | {quick:.1f} |" for path, quick, _ in rows]
    write_results_section(QUICK_SECTION, "\n".join(lines), RESULTS)


if __name__ == "__main__":
    sys.exit(main())
