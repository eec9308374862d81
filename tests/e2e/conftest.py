"""A real server (the `surveyapp` command) on a free local port, and Debian's Chromium."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SURVEYAPP = str(Path(sys.executable).with_name("surveyapp"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is not installed (make test installs Debian's chromium)")
    folder = tmp_path_factory.mktemp("server")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # the instance folder (job queue, outbox) is the test's own, never the checkout's
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'e2e.sqlite'}",
           "SECRET_KEY": "e2e-secret", "PUBLIC_URL": base,
           "SURVEYAPP_INSTANCE": str(folder / "instance")}
    demo = subprocess.run([SURVEYAPP, "demo"], env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    login = re.search(r"^Manager login: (\S+) / (\S+)$", demo.stdout, re.M)
    links = re.findall(r"^Survey link: (\S+)$", demo.stdout, re.M)
    assert login and len(links) >= 2, demo.stdout
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen([SURVEYAPP, "run", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    # the background jobs (a new answer's recompute) run as they do beside a real server
    worker = subprocess.Popen([SURVEYAPP, "worker", "--workers", "1"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                worker.kill()
                log.close()
                raise RuntimeError("the server did not start: "
                                   + (folder / "server.log").read_text()) from None
            time.sleep(0.2)
    yield {"base": base, "email": login.group(1), "password": login.group(2), "links": links,
           "database_url": env["DATABASE_URL"], "folder": folder}
    for child in (process, worker):
        child.terminate()
        child.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def no_network():
    """The browser and server talk over loopback only; nothing here sends mail."""
    yield
