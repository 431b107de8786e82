"""`make lab` serves JupyterLab on localhost and stops cleanly."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from notebook_files import ROOT

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_make_lab_serves_jupyterlab_on_localhost():
    port = _free_port()
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}",
         f"LAB_ARGS=--no-browser --IdentityProvider.token={TOKEN}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        status, deadline = None, time.monotonic() + 90
        while status != 200 and time.monotonic() < deadline and server.poll() is None:
            time.sleep(1)
            status = _status(f"http://127.0.0.1:{port}/lab?token={TOKEN}")
        assert status == 200, f"/lab answered {status}"
        assert _status(f"http://127.0.0.1:{port}/lab/tree/notebooks/00_welcome.ipynb?token={TOKEN}") == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make and jupyter-lab share this process group
        output, _ = server.communicate(timeout=60)
    assert "Shutting down" in output or server.returncode in (0, -signal.SIGTERM, 2), output[-2000:]
