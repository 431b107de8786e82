"""Where the course's notebooks live, shared by the notebook tests."""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL_NOTEBOOKS = LECTURES + SOLUTIONS + EXERCISES


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def cell_sources(notebook) -> list[tuple[str, str]]:
    """(cell type, source) for every cell, trailing blank lines ignored."""
    return [(cell.cell_type, cell.source.rstrip()) for cell in notebook.cells]


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))
