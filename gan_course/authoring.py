"""Maintainers' tools: build notebooks from their .py sources and make exercises.

    python -m gan_course.authoring execute notebooks/01_density_ratio.ipynb ...
    python -m gan_course.authoring exercises
    python -m gan_course.authoring course [DIR]
    python -m gan_course.authoring one-blank [solutions/NN_slug_exercises.ipynb ...]

The percent-format ``.py`` twin is the source of a notebook. ``execute`` reads
it, runs it in full mode (quick mode with ``--quick``) and stores the outputs in
the ``.ipynb``. ``exercises`` turns each ``solutions/*.ipynb`` into
``exercises/*.ipynb`` (and its ``.py`` twin) with nbgrader's ``ClearSolutions``
and ``ClearHiddenTests`` preprocessors, run through nbconvert, and no outputs.
``course`` builds a ready nbgrader course folder from ``solutions/`` (``make course``).
``one-blank`` grades, for each task, the solution with that task alone left blank, and reports
any check of another task that fails with it (a cascade that nbgrader would grade twice).
These need the ``dev`` extra (nbgrader, nbclient).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import jupytext
import nbformat

from gan_course.config import PROGRESS_ENV_VAR, QUICK_ENV_VAR

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "gan-course"


def twin_of(notebook: Path) -> Path:
    """The percent-format script paired with a notebook."""
    return Path(notebook).with_suffix(".py")


def exercise_from_solution(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip answers and hidden tests with nbgrader's preprocessors, and clear outputs."""
    from nbconvert.exporters import NotebookExporter
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    exporter = NotebookExporter()
    for preprocessor in (ClearSolutions, ClearHiddenTests, ClearOutputPreprocessor):
        exporter.register_preprocessor(preprocessor(), enabled=True)
    # keep the nbgrader and tags metadata so that nbgrader can still grade the exercise
    exporter.register_preprocessor(
        ClearMetadataPreprocessor(preserve_cell_metadata_mask=["nbgrader", "tags"],
                                  preserve_nb_metadata_mask=["kernelspec", "language_info", "jupytext"]),
        enabled=True)
    body, _ = exporter.from_notebook_node(solution)
    return nbformat.reads(body, as_version=4)


def write_notebook_pair(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write ``path`` (.ipynb) and its .py twin from the same cells."""
    nbformat.write(notebook, path)
    jupytext.write(notebook, twin_of(path), fmt="py:percent")


def make_exercises(solutions_dir: Path = ROOT / "solutions",
                   exercises_dir: Path = ROOT / "exercises") -> list[Path]:
    """Regenerate every exercise notebook from its solution."""
    exercises_dir.mkdir(exist_ok=True)
    written = []
    for solution_path in sorted(solutions_dir.glob("*.ipynb")):
        exercise = exercise_from_solution(nbformat.read(solution_path, as_version=4))
        target = exercises_dir / solution_path.name
        write_notebook_pair(exercise, target)
        written.append(target)
    return written


COURSE_ID = "understanding-gans"
# nbgrader's default of 30 s per cell scores a correct answer 0 when a cell runs longer
# (it happened in full mode). The longest solution cell runs for seconds on a 2-core
# CPU (README, instructor notes); 600 s leaves room for a slow or busy grading machine.
GRADING_CELL_TIMEOUT = 600

NBGRADER_CONFIG = f"""\
# nbgrader configuration of the Understanding GANs course, written by `make course`.
# Run nbgrader from the course's environment (.venv/bin on PATH): nbgrader needs alembic
# from it, and the notebooks run on its kernel "{KERNEL_NAME}".
c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "{COURSE_ID}"
c.Execute.kernel_name = "{KERNEL_NAME}"
c.Execute.timeout = {GRADING_CELL_TIMEOUT}  # seconds per cell
"""


def assignment_name(solution_path: Path) -> str:
    """``solutions/01_density_ratio_exercises.ipynb`` → ``01_density_ratio``."""
    return solution_path.stem.removesuffix("_exercises")


def make_course(course_dir: Path, solutions_dir: Path = ROOT / "solutions") -> list[Path]:
    """An nbgrader course folder: ``nbgrader_config.py`` and ``source/<assignment>/``.

    Each assignment's source is its solution notebook without the jupytext pairing
    metadata (with it, JupyterLab writes a .py twin next to the source, and
    ``generate_assignment`` would copy that twin, answers and hidden tests, into
    ``release/``) and without outputs. Returns the source notebooks written.
    """
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    written = []
    for solution_path in sorted(Path(solutions_dir).glob("*.ipynb")):
        notebook = nbformat.read(solution_path, as_version=4)
        notebook.metadata.pop("jupytext", None)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        folder = course_dir / "source" / assignment_name(solution_path)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / solution_path.name
        nbformat.write(notebook, target)
        written.append(target)
    return written


def run_in_kernel(notebook: nbformat.NotebookNode, directory: Path, timeout: int = 1800,
                  allow_errors: bool = False) -> nbformat.NotebookNode:
    """Execute ``notebook`` in place, its kernel working in ``directory``; return it.

    A cell that raises stops the run (``CellExecutionError``) unless ``allow_errors``, which
    records the error in the cell's outputs and goes on, as a learner who runs every cell would.

    The kernel talks over Unix sockets in a private folder. Kernels on TCP pick their
    ports by binding port 0 and releasing it, which races when several kernels start at
    once (a test run beside `make notebooks`): we saw lost replies that hung a run and
    kernels that died. IPC sockets cannot collide. nbclient makes its own kernel manager
    from this config, so it also shuts the kernel down when the notebook ends (a manager
    handed to it is left running, and `make bench` had one idle kernel of about 0.5 GB per
    notebook run); the sockets' folder goes when the kernel has.
    """
    from nbclient import NotebookClient
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="gan-course-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "kernel")
        NotebookClient(notebook, kernel_name=KERNEL_NAME, config=config, timeout=timeout,
                       allow_errors=allow_errors, record_timing=False,
                       resources={"metadata": {"path": str(directory)}}).execute()
    return notebook


def grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def own_checks(solution: nbformat.NotebookNode) -> dict[str, list[str]]:
    """{task: its graded checks}: the graded code cells after a task's cell and before the next's."""
    owned, task = {}, None
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        if grading(cell).get("solution"):
            task = grading(cell)["grade_id"]
            owned[task] = []
        elif grading(cell).get("grade") and task is not None:
            owned[task].append(grading(cell)["grade_id"])
    return owned


def checks_failing_with_one_blank(solution_path: Path) -> dict[str, list[str]]:
    """{task: the graded checks that fail} when a submission leaves that task, and only that one,
    blank: the solution with the task's cell as the exercise has it, run in quick mode as
    nbgrader's autograde runs it (every cell, errors kept, hidden tests in). One kernel run per
    task. Each task's own check should be the only one listed: a later check that fails too
    would take a learner's points twice for one blank."""
    solution = nbformat.read(solution_path, as_version=4)
    exercise = exercise_from_solution(solution)
    tasks = [index for index, cell in enumerate(solution.cells)
             if cell.cell_type == "code" and grading(cell).get("solution")]
    failing = {}
    with mock.patch.dict(os.environ, {QUICK_ENV_VAR: "1"}):  # the kernels inherit it
        for task in tasks:
            submission = nbformat.from_dict(solution)
            submission.cells[task].source = exercise.cells[task].source
            run_in_kernel(submission, Path(solution_path).parent, timeout=600, allow_errors=True)
            failing[grading(solution.cells[task])["grade_id"]] = [
                grading(cell)["grade_id"] for cell in submission.cells
                if grading(cell).get("grade") and cell.cell_type == "code"
                and any(output.output_type == "error" for output in cell.get("outputs", []))]
    return failing


def run_notebook(path: Path, quick: bool = False) -> tuple[nbformat.NotebookNode, float]:
    """Build a notebook from its .py twin (if any) and execute it; return it and the seconds taken."""
    path = Path(path)
    notebook = jupytext.read(twin_of(path)) if twin_of(path).exists() else nbformat.read(path, as_version=4)
    os.environ[QUICK_ENV_VAR] = "1" if quick else "0"  # the kernel inherits it
    os.environ[PROGRESS_ENV_VAR] = "final"  # finished bars as text, not widgets at 0%
    started = time.perf_counter()
    run_in_kernel(notebook, path.parent)
    return keep_static_outputs(notebook), time.perf_counter() - started


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def keep_static_outputs(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only outputs that show without a kernel, a script or a network.

    A stored widget view is a reference to a widget that no longer exists: JupyterLab
    shows its text instead, and nbconvert's HTML prefers it to the image beside it
    and then needs a script from a CDN. So the view is dropped and what the output
    holds besides it is kept: the player's current frame as an image, the lab's
    sentence saying how to use it. A widget with nothing else to show than
    ipywidgets' own text (``interactive(children=(IntSlider(...``, the welcome
    notebook's slider) is not stored. No widget state is saved.
    """
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                text = "".join(data.get("text/plain", ""))
                if set(data) <= {"text/plain"} and re.match(r"\w+\(\w+=", text):
                    continue
            kept.append(output)
        cell.outputs = kept
    notebook.metadata.pop("widgets", None)
    return notebook


def execute_notebook(path: Path, quick: bool = False) -> float:
    """Execute ``path`` from its .py twin and store the outputs; return seconds taken."""
    notebook, seconds = run_notebook(path, quick=quick)
    write_notebook_pair(notebook, Path(path))
    return seconds


def report_one_blank(solutions: list[Path]) -> int:
    """Print, per task, the checks its blank fails; 1 if one fails another task's check."""
    status = 0
    for path in solutions:
        owned = own_checks(nbformat.read(path, as_version=4))
        for task, failing in checks_failing_with_one_blank(path).items():
            others = [check for check in failing if check not in owned[task]]
            status = status or int(bool(others) or not failing)
            verdict = ("ALSO FAILS " + ", ".join(others)) if others else (
                "its own check only" if failing else "NO CHECK FAILS")
            print(f"{Path(path).stem}: blank {task}: {verdict}", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_course.authoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("execute", help="build notebooks from their .py twins and execute them")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--quick", action="store_true",
                     help="quick mode (for a fast look; commit full-mode outputs)")
    commands.add_parser("exercises", help="regenerate exercises/ from solutions/")
    alone = commands.add_parser("one-blank", help="check that each task's blank fails its own check "
                                                 "and no other (a kernel run per task)")
    alone.add_argument("solutions", nargs="*", type=Path)
    course = commands.add_parser("course", help="build an nbgrader course folder from solutions/")
    course.add_argument("directory", nargs="?", type=Path, default=ROOT / "course")
    args = parser.parse_args(argv)
    if args.command == "course":
        for path in make_course(args.directory):
            print(f"wrote {path}")
        print(f"wrote {args.directory / 'nbgrader_config.py'}; next: cd {args.directory} && "
              "nbgrader generate_assignment 01_density_ratio")
    elif args.command == "one-blank":
        return report_one_blank(args.solutions or sorted((ROOT / "solutions").glob("*.ipynb")))
    elif args.command == "exercises":
        for path in make_exercises():
            print(f"wrote {path.relative_to(ROOT)} and its .py twin")
    else:
        for path in args.notebooks:
            seconds = execute_notebook(path, quick=args.quick)
            print(f"executed {path} in {'quick' if args.quick else 'full'} mode: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
