"""Stored outputs show without a kernel, a script or a network: in JupyterLab before the
notebook is trusted, in nbconvert's HTML, on GitHub."""

import nbformat
import pytest
from nbconvert import HTMLExporter
from notebook_files import ROOT

from gan_course.authoring import WIDGET_VIEW, keep_static_outputs

STORED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
IDS = [f"{path.parent.name}/{path.name}" for path in STORED]


def outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            yield from cell.outputs


def images_in(output) -> int:
    """The figures and animations an output shows: an image, or inline images in HTML."""
    data = output.get("data", {})
    if any(kind in data for kind in ("image/png", "image/jpeg", "image/gif")):
        return 1
    return "".join(data.get("text/html", "")).count("<img")


def display(data: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=data)


def test_keep_static_outputs_keeps_images_and_sentences_and_drops_bare_widgets():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("player; slider; lab")
    cell.outputs = [
        display({WIDGET_VIEW: {"model_id": "a"}, "image/png": "iVBOR", "text/plain": "Player"}),
        display({WIDGET_VIEW: {"model_id": "b"},
                 "text/plain": "interactive(children=(IntSlider(value=500),))"}),
        display({WIDGET_VIEW: {"model_id": "c"}, "text/plain": "GAN lab: run this cell."}),
    ]
    notebook.cells = [cell]
    notebook.metadata["widgets"] = {"state": {}}

    kept = keep_static_outputs(notebook).cells[0].outputs
    assert [dict(output.data) for output in kept] == [
        {"image/png": "iVBOR", "text/plain": "Player"}, {"text/plain": "GAN lab: run this cell."}]
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", STORED, ids=IDS)
def test_every_stored_output_renders_statically(path):
    notebook = nbformat.read(path, as_version=4)
    for output in outputs(notebook):
        data = output.get("data", {})
        assert WIDGET_VIEW not in data, "a widget view: run `python -m gan_course.authoring execute`"
        assert "application/javascript" not in data
        assert "<script" not in "".join(data.get("text/html", "")), "a script (a jshtml animation?)"
        if output.output_type == "stream":
            text = "".join(output.text)
            assert "%|" not in text or "100%|" in text, f"an unfinished progress bar: {text[:80]}"
    assert "widgets" not in notebook.metadata


def inline_images(notebook) -> int:
    html, _ = HTMLExporter().from_notebook_node(notebook)
    return sum(html.count(f"data:image/{kind};base64,") for kind in ("png", "gif", "jpeg"))


@pytest.mark.parametrize("path", STORED, ids=IDS)
def test_nbconvert_html_shows_every_figure_and_animation(path):
    notebook = nbformat.read(path, as_version=4)
    expected = sum(images_in(output) for output in outputs(notebook))
    page = inline_images(nbformat.v4.new_notebook())  # the template's own (an icon)
    assert inline_images(notebook) - page == expected
    if "notebooks" in path.parts and path.stem != "00_welcome":
        assert expected > 0  # every lesson has figures
