"""Drive one notebook in JupyterLab as a learner does: the menus, clicks in cells, keys.

What the learner sees is read from the page. Two things the page cannot tell apart are
read from JupyterLab's own notebook model (``window.jupyterapp``, which the server
exposes for these tests): an error output and a stream written to stderr render alike
(both ``data-mime-type="application/vnd.jupyter.stderr"``; tqdm writes to stderr too),
and a stored execution count looks like a fresh one.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

RUN_ALL_TIMEOUT_S = 240
CELL_TIMEOUT_S = 120
# Tall enough to show a whole widget (the lab with its player is about 1,100 pixels).
TALL_SCREENSHOT_HEIGHT = 2400

NUMBERED_PROMPT = re.compile(r"^\[\d+\]:$")

# The model of the notebook at `path`: found among the main area's widgets by its path.
_PANEL_JS = """
(path) => {
  for (const widget of window.jupyterapp.shell.widgets('main')) {
    if (widget.context && widget.context.path === path) return widget;
  }
  return null;
}
"""

_STATE_JS = f"""
(path) => {{
  const panel = ({_PANEL_JS})(path);
  if (!panel) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {{
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = [];
    for (let j = 0; j < cell.outputs.length; j++) outputs.push(cell.outputs.get(j).toJSON());
    cells.push({{index: i, source: cell.sharedModel.getSource(),
                 executionCount: cell.executionCount, outputs: outputs}});
  }}
  return {{kernel: kernel ? kernel.status : 'none', cells: cells}};
}}
"""


class Screenshots:
    """Screenshots in one folder, numbered in the order they were taken."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def take(self, page, name: str, target=None) -> Path:
        """A screenshot of the page, or of ``target`` (a locator) shown whole."""
        self.count += 1
        path = self.folder / f"{self.count:02d}_{name}.png"
        if target is None:
            page.screenshot(path=str(path))
            return path
        viewport = page.viewport_size
        target.evaluate("element => element.scrollIntoView({block: 'start'})")
        height = target.evaluate("element => element.getBoundingClientRect().height")
        tall = min(max(viewport["height"], int(height) + 300), TALL_SCREENSHOT_HEIGHT)
        page.set_viewport_size({"width": viewport["width"], "height": tall})
        try:
            target.evaluate("element => element.scrollIntoView({block: 'start'})")
            target.screenshot(path=str(path))
        finally:
            page.set_viewport_size(viewport)
        return path

    @contextmanager
    def on_failure(self, page, name: str):
        """Re-raise a failure inside the block with a screenshot's path in its message."""
        try:
            yield
        except Exception as error:
            try:
                path = self.take(page, f"{name}_FAILED")
            except Exception as screenshot_error:  # the page may be gone
                path = f"(no screenshot: {screenshot_error})"
            raise AssertionError(f"{error}\nscreenshot: {path}\nall screenshots: {self.folder}") \
                from error


class NotebookPage:
    """One notebook open in its own JupyterLab page (its own workspace)."""

    def __init__(self, page, server, path: str):
        self.page = page
        self.server = server
        self.path = path

    @classmethod
    def open(cls, context, server, path: str) -> NotebookPage:
        page = context.new_page()
        # one workspace per page, so a page does not reopen the notebooks of another
        workspace = re.sub(r"\W", "-", path)
        page.goto(f"{server.url}/lab/workspaces/{workspace}/tree/{path}?token={server.token}")
        notebook = cls(page, server, path)
        cells = len(nbformat.read(server.root / path, as_version=4).cells)
        page.wait_for_function(
            f"() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length === {cells}")
        notebook.wait_for_kernel_idle()
        return notebook

    # --- reading the notebook -------------------------------------------------------

    def state(self) -> dict:
        """{"kernel": status, "cells": [{index, source, executionCount, outputs}, ...]} (code cells)."""
        state = self.page.evaluate(_STATE_JS, self.path)
        assert state is not None, f"{self.path} is not open in JupyterLab"
        return state

    def errors(self) -> list[str]:
        """One line per error output: the cell's index, the exception and its message."""
        return [f"cell {cell['index']}: {output['ename']}: {output['evalue']}"
                for cell in self.state()["cells"] for output in cell["outputs"]
                if output["output_type"] == "error"]

    def code_cell(self, text: str):
        """The code cell whose source contains ``text`` (exactly one)."""
        cell = self.page.locator(".jp-NotebookPanel .jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=text))
        count = cell.count()
        assert count == 1, f"{count} code cells of {self.path} contain {text!r}"
        return cell

    def output_text(self) -> str:
        """The text of every output, rendered or not (textContent, not innerText)."""
        return "\n".join(self.page.locator(".jp-OutputArea-output").evaluate_all(
            "elements => elements.map(element => element.textContent)"))

    # --- acting on it ---------------------------------------------------------------

    def menu(self, menu: str, item: str) -> None:
        self.page.locator(".lm-MenuBar-item", has_text=menu).first.click()
        self.page.get_by_role("menuitem", name=item, exact=True).click()

    def wait_for_kernel_idle(self, timeout_s: float = CELL_TIMEOUT_S) -> None:
        self._wait(lambda: self.state()["kernel"] == "idle", timeout_s,
                   lambda: f"the kernel of {self.path} is {self.state()['kernel']}, not idle")

    def run_all(self) -> float:
        """Clear the outputs, Run All Cells from the menu, wait until done; return the seconds."""
        self.menu("Edit", "Clear Outputs of All Cells")
        start = time.monotonic()
        self.menu("Run", "Run All Cells")

        def finished() -> bool:
            if self._busy_prompts():
                return False
            state = self.state()
            cells = [cell for cell in state["cells"] if cell["source"].strip()]
            ran = all(cell["executionCount"] is not None for cell in cells)
            failed = any(output["output_type"] == "error"
                         for cell in cells for output in cell["outputs"])
            return state["kernel"] == "idle" and (ran or failed)

        self._wait(finished, RUN_ALL_TIMEOUT_S, lambda: f"{self.path} still running: prompts "
                   f"{self._prompts()}")
        return time.monotonic() - start

    def run_cell(self, cell) -> None:
        """Click into ``cell``, press Shift+Enter, wait for its new execution count."""
        prompt = cell.locator(".jp-InputPrompt")
        before = prompt.text_content().strip()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")

        def done() -> bool:
            now = prompt.text_content().strip()
            return bool(NUMBERED_PROMPT.match(now)) and now != before

        self._wait(done, CELL_TIMEOUT_S, lambda: f"the cell still shows {prompt.text_content()}")
        self.wait_for_kernel_idle()

    def replace_source(self, cell, source: str) -> str:
        """Click into ``cell``'s editor, select all, enter ``source``; return the editor's text.

        The text goes in as one insertion (as a paste does), so the editor's
        auto-indent and bracket closing, made for typing, do not change it.
        """
        cell.locator(".jp-InputArea-editor .cm-content").click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(source)
        return cell.locator(".cm-content").evaluate(
            "editor => Array.from(editor.querySelectorAll('.cm-line'))"
            ".map(line => line.textContent).join('\\n')")

    # --- helpers --------------------------------------------------------------------

    def _prompts(self) -> list[str]:
        return [text.strip() for text in self.page.locator(
            ".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_text_contents()]

    def _busy_prompts(self) -> bool:
        return any("*" in prompt for prompt in self._prompts())

    @staticmethod
    def _wait(condition, timeout_s: float, describe) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s:.0f} s: {describe()}")
            time.sleep(0.25)
