"""A real JupyterLab on copies of the course's notebooks, and a headless Chromium to drive it.

``make browser-test`` runs these tests; ``make test`` leaves them out (``-m "not browser"``).
They need Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``; another
binary through ``GAN_COURSE_CHROMIUM``) and Playwright's Python package from the ``dev``
extra. Playwright's own browser downloads are never used.

The server runs in quick mode (``GAN_COURSE_QUICK=1``, which its kernels inherit), as
root too, with a token, on a free port of 127.0.0.1, over a temporary folder that holds
copies of the notebooks: JupyterLab autosaves what it opens, so it never sees the working
tree. Its settings and workspaces are temporary as well, so nothing a developer set for
their own JupyterLab changes what the tests see.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab_page import NotebookPage, Screenshots

ROOT = Path(__file__).resolve().parents[2]
JUPYTER_LAB = Path(sys.executable).parent / "jupyter-lab"
CHROMIUM = Path(os.environ.get("GAN_COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Wide enough for the file browser beside a notebook, as on a laptop screen.
VIEWPORT = {"width": 1440, "height": 900}

# The notebooks the tests open: their paths in the server's folder and the files they copy.
COPIES = {
    "notebooks/00_welcome.ipynb": "notebooks/00_welcome.ipynb",
    "notebooks/04_generator.ipynb": "notebooks/04_generator.ipynb",
    "notebooks/08_many_paths.ipynb": "notebooks/08_many_paths.ipynb",
    "exercises/01_density_ratio_exercises.ipynb": "exercises/01_density_ratio_exercises.ipynb",
    # a second copy of lesson 04, only looked at, never run
    "unrun/04_generator.ipynb": "notebooks/04_generator.ipynb",
}

# JupyterLab's user settings for the tests: no news or update checks (no network, no
# pop-up over the notebook); every cell attached to the page (windowing "none"), so that
# the page's layout does not shift while a test scrolls and drags.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running ``jupyter-lab``: its base URL, token, notebook folder and process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def api(self, method: str, endpoint: str, timeout: float = 10):
        request = urllib.request.Request(f"{self.url}/api/{endpoint}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:]


def _descendants(pid: int) -> list[int]:
    """PIDs of the processes below ``pid`` (the server's kernels), read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the name in parentheses may hold spaces: the fields after it are fixed
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(server: LabServer) -> None:
    """Shut the kernels down through the API, then end the server; by PID, nothing else."""
    process = server.process
    kernels = _descendants(process.pid)
    if process.poll() is None:
        try:
            for kernel in server.api("GET", "kernels"):
                server.api("DELETE", f"kernels/{kernel['id']}", timeout=30)
        except (OSError, urllib.error.URLError, ValueError):
            pass  # the server is ending anyway: the fallbacks below stop what is left
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    for pid in kernels:  # only if the server could not shut them down itself
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _copy_notebooks(root: Path) -> None:
    for target, source in COPIES.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, root / target)


def _write_settings(folder: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """``jupyter-lab`` on copies of the notebooks, in quick mode; ended after the session."""
    if not JUPYTER_LAB.exists():
        pytest.fail(f"{JUPYTER_LAB} is missing: run `make install` first.")
    base = tmp_path_factory.mktemp("jupyterlab")
    root, settings, workspaces, config, runtime = (base / name for name in (
        "notebooks", "settings", "workspaces", "config", "runtime"))
    for folder in (root, workspaces, config, runtime):
        folder.mkdir()
    _copy_notebooks(root)
    _write_settings(settings)
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "GAN_COURSE_QUICK": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
           "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(runtime)}
    command = [str(JUPYTER_LAB), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}",
               # window.jupyterapp: the notebook model, where an error output is told apart
               # from stderr (as JupyterLab's own browser tests, Galata, do)
               "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, env=env, cwd=root, stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter-lab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "status", timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter-lab did not answer within 90 s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright (never Playwright's own downloads)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium` "
                    "(or point GAN_COURSE_CHROMIUM at a Chromium binary).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(60_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Screenshots:
    """Screenshots in one folder under pytest's temporary folder, named at the end of the run."""
    folder = tmp_path_factory.mktemp("screenshots")
    _SCREENSHOT_FOLDERS.append(folder)
    return Screenshots(folder)


@pytest.fixture(scope="session")
def executed(lab_server, browser_context, screenshots):
    """``executed(path)``: the notebook at ``path`` opened and run (Run All), once per session.

    Returns the ``NotebookPage`` and the seconds Run All took; tests of one lesson's
    widgets share the run.
    """
    runs: dict[str, tuple[NotebookPage, float] | AssertionError] = {}

    def run(path: str) -> tuple[NotebookPage, float]:
        if path not in runs:
            notebook = NotebookPage.open(browser_context, lab_server, path)
            try:
                with screenshots.on_failure(notebook.page, f"run_{Path(path).stem}"):
                    runs[path] = notebook, notebook.run_all()
                    _RUN_SECONDS[path] = runs[path][1]
            except AssertionError as error:
                runs[path] = error  # the next test of this notebook fails at once
        if isinstance(runs[path], AssertionError):
            raise runs[path]
        return runs[path]

    return run


_SCREENSHOT_FOLDERS: list[Path] = []
_RUN_SECONDS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter):
    for path, seconds in _RUN_SECONDS.items():
        terminalreporter.write_line(f"Run All of {path} in JupyterLab: {seconds:.1f} s")
    for folder in _SCREENSHOT_FOLDERS:
        terminalreporter.write_line(f"browser test screenshots: {folder}")
