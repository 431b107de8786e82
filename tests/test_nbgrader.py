"""The instructor kit end to end: `make course`'s folder through nbgrader's own commands.

generate_assignment must leave no answer in release/, autograde must give the solution
every automatic point and the untouched release none.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gan_course.authoring import GRADING_CELL_TIMEOUT, KERNEL_NAME, ROOT, make_course

ASSIGNMENT = "01_density_ratio"  # the fastest to grade
NOTEBOOK = f"{ASSIGNMENT}_exercises.ipynb"


def nbgrader(course: Path, *args: str) -> None:
    # nbgrader needs the environment's executables (alembic) and its kernel; quick mode
    # keeps the test short (full mode's grading time is in the README)
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               GAN_COURSE_QUICK="1")
    subprocess.run([os.path.join(bin_dir, "nbgrader"), *args], cwd=course, env=env, check=True,
                   capture_output=True, text=True, timeout=600)


def solution_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """Every non-trivial line between the solution and hidden-test markers."""
    lines, inside = [], False
    for cell in notebook.cells:
        for line in cell.source.splitlines():
            marker = line.strip()
            if marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "# ### BEGIN SOLUTION"):
                inside = True
            elif marker in ("### END SOLUTION", "### END HIDDEN TESTS", "# ### END SOLUTION"):
                inside = False
            elif inside and len(marker) > 12:
                lines.append(marker)
    return lines


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    make_course(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    for student, folder in (("solution", "source"), ("untouched", "release")):
        submitted = course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        shutil.copy(course / folder / ASSIGNMENT / NOTEBOOK, submitted / NOTEBOOK)
    nbgrader(course, "autograde", ASSIGNMENT, "--create")
    return course


def test_make_course_writes_sources_without_pairing_metadata_or_outputs(tmp_path):
    sources = make_course(tmp_path)
    assert [p.parent.name for p in sources] == [
        p.stem.removesuffix("_exercises") for p in sorted((ROOT / "solutions").glob("*.ipynb"))]
    for path in sources:
        notebook = nbformat.read(path, as_version=4)
        assert "jupytext" not in notebook.metadata
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
        assert not list(path.parent.glob("*.py"))
    config = (tmp_path / "nbgrader_config.py").read_text()
    assert f'kernel_name = "{KERNEL_NAME}"' in config
    assert f"timeout = {GRADING_CELL_TIMEOUT}" in config


def test_release_holds_the_notebook_and_no_answer(graded_course):
    release = graded_course / "release" / ASSIGNMENT
    assert sorted(p.name for p in release.iterdir()) == [NOTEBOOK]
    text = (release / NOTEBOOK).read_text()
    source = nbformat.read(graded_course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    answers = solution_lines(source)
    assert len(answers) >= 5
    leaked = [line for line in answers if json.dumps(line, ensure_ascii=False)[1:-1] in text]
    assert not leaked, leaked


def test_autograde_gives_the_solution_full_marks_and_the_release_zero(graded_course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        solution = gradebook.find_submission(ASSIGNMENT, "solution")
        untouched = gradebook.find_submission(ASSIGNMENT, "untouched")
        assert solution.max_code_score == 6  # the README's point table
        assert solution.code_score == solution.max_code_score
        assert untouched.code_score == 0
        assert solution.max_written_score == 2  # graded by hand with the README's rubric


def synthetic_solution(path: Path) -> Path:
    """Two tasks; the second task's check also calls the first task's function, a cascade."""
    def cell(source, **grading):
        metadata = {"nbgrader": {"grade": False, "locked": False, "schema_version": 3, "solution": False,
                                 "task": False, **grading}}
        return nbformat.v4.new_code_cell(source, metadata=metadata)

    answer = "def {0}(x):\n    ### BEGIN SOLUTION\n    return {1} * x\n    ### END SOLUTION"
    notebook = nbformat.v4.new_notebook(cells=[
        cell(answer.format("double", 2), grade_id="double", solution=True),
        cell("assert double(2) == 4", grade_id="check_double", grade=True, points=1, locked=True),
        nbformat.v4.new_markdown_cell("An ungraded demonstration may fail with either blank."),
        cell("print(double(3))", grade_id="demonstration", locked=True),
        cell(answer.format("quadruple", 4), grade_id="quadruple", solution=True),
        cell("assert quadruple(1) == 4\nassert double(1) == 2", grade_id="check_quadruple", grade=True,
             points=1, locked=True),
    ])
    nbformat.write(notebook, path)
    return path


def test_one_blank_finds_a_check_that_fails_with_another_tasks_blank(tmp_path, capsys):
    from gan_course.authoring import checks_failing_with_one_blank, own_checks, report_one_blank

    path = synthetic_solution(tmp_path / "synthetic_exercises.ipynb")
    assert own_checks(nbformat.read(path, as_version=4)) == {"double": ["check_double"],
                                                              "quadruple": ["check_quadruple"]}
    assert checks_failing_with_one_blank(path) == {"double": ["check_double", "check_quadruple"],
                                                   "quadruple": ["check_quadruple"]}
    assert report_one_blank([path]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "synthetic_exercises: blank double: ALSO FAILS check_quadruple",
        "synthetic_exercises: blank quadruple: its own check only"]
