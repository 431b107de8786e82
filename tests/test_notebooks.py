"""Notebook hygiene: pairs, generated exercises, stored outputs, and where exercises stop.

nbval (run by `make test` over notebooks/ and solutions/) executes the lectures and
solutions; these tests check what nbval cannot.
"""

import functools
import os
import re
import tempfile
from unittest import mock

import jupytext
import nbformat
import pytest
from notebook_files import ALL_NOTEBOOKS, EXERCISES, LECTURES, ROOT, SOLUTIONS, cell_sources, name, read

from gan_course.authoring import make_exercises, run_in_kernel

MAX_NOTEBOOK_BYTES = 3_000_000


def test_every_course_folder_has_notebooks():
    assert LECTURES and SOLUTIONS and EXERCISES
    assert [p.name for p in SOLUTIONS] == [p.name for p in EXERCISES]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_py_twin_has_the_same_cells(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{name(path)} has no .py twin: run `jupytext --sync {name(path)}`"
    assert cell_sources(jupytext.read(twin)) == cell_sources(read(path)), (
        f"{name(path)} and {twin.name} differ: edit the .py and run `make notebooks`")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_notebook_is_small(path):
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{name(path)}: lower the DPI or the animation frames"


@pytest.mark.parametrize("path", LECTURES + SOLUTIONS, ids=name)
def test_stored_outputs_come_from_a_full_mode_run(path):
    notebook = read(path)
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "gan_course.setup(seed=0)" in first_code.source
    printed = "".join(out.get("text", "") for out in first_code.outputs)
    assert "mode=full" in printed, f"{name(path)} was not executed in full mode: run `make notebooks`"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{name(path)} has an unexecuted cell"
            assert not [o for o in cell.outputs if o.output_type == "error"], f"{name(path)} stored an error"


@pytest.mark.parametrize("path", EXERCISES, ids=name)
def test_exercises_are_committed_without_outputs(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


def test_exercises_are_what_make_exercises_produces(tmp_path):
    generated = make_exercises(ROOT / "solutions", tmp_path)
    assert sorted(p.name for p in generated) == sorted(p.name for p in EXERCISES)
    for fresh in generated:
        committed = read(ROOT / "exercises" / fresh.name)
        assert cell_sources(read(fresh)) == cell_sources(committed), (
            f"exercises/{fresh.name} is stale: run `make exercises`")
        assert [c.metadata.get("nbgrader") for c in read(fresh).cells] == \
               [c.metadata.get("nbgrader") for c in committed.cells]


def _solution_and_check_cells(notebook):
    kinds = []
    for index, cell in enumerate(notebook.cells):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("solution"):
            kinds.append(("solution", index))
        elif cell.cell_type == "code" and grading.get("grade"):
            kinds.append(("check", index))
    return kinds


@pytest.mark.parametrize("path", SOLUTIONS, ids=name)
def test_each_answer_is_followed_by_a_check(path):
    kinds = _solution_and_check_cells(read(path))
    assert kinds and kinds[0][0] == "solution"
    for (kind, _), (next_kind, _) in zip(kinds, kinds[1:]):
        if kind == "solution":
            assert next_kind == "check", f"{name(path)}: an answer cell has no check cell after it"


@pytest.mark.parametrize("path", SOLUTIONS, ids=name)
def test_each_check_grades_its_own_answer_alone(path):
    # a graded cell that only runs earlier answers would cost a learner the points of one bug
    # twice: such cells are ungraded demonstrations ("grade": false, no points)
    kinds = _solution_and_check_cells(read(path))
    for (kind, _), (next_kind, index) in zip(kinds, kinds[1:]):
        if next_kind == "check":
            assert kind == "solution", f"{name(path)}: the graded cell {index} follows no answer cell"
    for cell in read(path).cells:
        grading = cell.metadata.get("nbgrader", {})
        assert ("points" in grading) == bool(grading.get("grade")), (
            f"{name(path)}: {grading.get('grade_id')} has points but is not graded, or the reverse")


def _readme_points():
    """{assignment: (automatic, by hand)} from the README's table, and the stated totals."""
    text = (ROOT / "README.md").read_text()
    table = {m[1]: (int(m[2]), int(m[3]), int(m[4])) for m in
             re.finditer(r"^\| `(\d\d_\w+)` \| (\d+) \| (\d+) \| (\d+) \|$", text, re.MULTILINE)}
    totals = re.search(r"Points per assignment \((\d+) in all, (\d+) of them graded by hand\)", text)
    return table, (int(totals[1]), int(totals[2]))


def test_points_per_assignment_match_the_readme():
    table, (total, by_hand) = _readme_points()
    found = {}
    for path in SOLUTIONS:
        automatic = manual = 0
        for cell in read(path).cells:
            grading = cell.metadata.get("nbgrader", {})
            if grading.get("grade"):
                if cell.cell_type == "code":
                    automatic += grading["points"]
                else:
                    manual += grading["points"]
        found[path.stem.removesuffix("_exercises")] = (automatic, manual, automatic + manual)
    assert table == found
    assert (total, by_hand) == (sum(t for _, _, t in found.values()), sum(m for _, m, _ in found.values()))


@functools.cache
def run_blank_exercise(path):
    """The exercise run top to bottom in quick mode, every cell, as a learner who runs all of them
    before answering would: a cell that raises keeps its error and the run goes on. Up to its
    first error the run is the one that stops there. Both tests below read it: one run each."""
    with mock.patch.dict(os.environ, {"GAN_COURSE_QUICK": "1"}):
        return run_in_kernel(read(path), path.parent, timeout=300, allow_errors=True)


def errors_of(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def is_plain_not_implemented(error) -> bool:
    return (error.ename == "NotImplementedError" and len(error.traceback) == 1
            and "not implemented yet" in error.traceback[0])


@pytest.mark.parametrize("path", EXERCISES, ids=name)
def test_exercise_stops_at_the_first_blank_with_a_plain_message(path):
    notebook = run_blank_exercise(path)
    first_solution, first_check = [index for _, index in _solution_and_check_cells(notebook)][:2]
    failed = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and errors_of(c)]
    assert failed and first_solution <= failed[0] <= first_check, (
        f"{name(path)} stopped at cell {failed}, not at its first blank "
        f"(cells {first_solution}-{first_check})")
    error = errors_of(notebook.cells[failed[0]])[0]
    assert error.ename == "NotImplementedError", f"{name(path)} failed with {error.ename}"
    assert is_plain_not_implemented(error), error.traceback


@pytest.mark.parametrize("path", EXERCISES, ids=name)
def test_every_check_of_a_blank_task_says_not_implemented_yet(path):
    """A learner who runs a task's check before answering it, at any task, gets the one
    sentence, not a NameError for a value the blank never set."""
    notebook = run_blank_exercise(path)
    kinds = _solution_and_check_cells(notebook)
    for (kind, _), (next_kind, check) in zip(kinds, kinds[1:]):
        if kind == "solution" and next_kind == "check":
            errors = errors_of(notebook.cells[check])
            grade_id = notebook.cells[check].metadata["nbgrader"]["grade_id"]
            assert errors, f"{name(path)}: {grade_id} passed with its task blank"
            assert is_plain_not_implemented(errors[0]), (
                f"{name(path)}: {grade_id} with its task blank raised {errors[0].ename}: "
                f"{errors[0].evalue}")


def test_quick_mode_is_what_the_tests_use():
    assert os.environ.get("GAN_COURSE_QUICK") == "1", "run the tests with `make test` (it sets quick mode)"


def test_a_notebook_run_leaves_no_kernel_and_no_socket_folder_behind(tmp_path, monkeypatch):
    """`make notebooks` and `make bench` run one kernel per notebook: none may outlive its run,
    nor may the folder of its sockets."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print(os.getpid())")])
    run_in_kernel(notebook, tmp_path, timeout=60)
    kernel = int(notebook.cells[0].outputs[0].text)
    with pytest.raises(ProcessLookupError):
        os.kill(kernel, 0)  # signal 0: is the process still there?
    assert list((tmp_path / "tmp").iterdir()) == []
