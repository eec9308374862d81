"""A real server (the `surveyapp` command) on a free local port, and Debian's Chromium;
the helpers the browser tests share (who owns which account, logging in)."""

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


def _wait_until_serving(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start: " + log_path.read_text()
                                   ) from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The small demo served by ``surveyapp run`` with a ``surveyapp worker`` beside it (a new
    answer's recompute runs in the background as it does in production).

    Yields ``base`` (the URL), ``logins`` (``(role, email, password)`` per ``Login (<role>)``
    line, in the printed order: admin, two managers, leadership), ``email``/``password`` (the
    first ``Login (manager)`` line), ``links`` (the printed open survey links),
    ``database_url`` and ``folder`` (for logs and screenshots)."""
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
                          check=True, timeout=180)
    logins = re.findall(r"^Login \((\w+)\): (\S+) / (\S+)$", demo.stdout, re.M)
    links = re.findall(r"^Survey link: (\S+)$", demo.stdout, re.M)
    assert [role for role, _e, _p in logins] == ["admin", "manager", "manager", "leadership"]
    assert len(links) >= 3, demo.stdout
    manager = next((email, password) for role, email, password in logins if role == "manager")
    log_path = folder / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen([SURVEYAPP, "run", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([SURVEYAPP, "worker", "--workers", "1"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(base, process, log_path)
        yield {"base": base, "logins": logins, "email": manager[0], "password": manager[1],
               "links": links, "database_url": env["DATABASE_URL"], "folder": folder}
    finally:
        for child in (process, worker):
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        log.close()


def owned_accounts(database_url: str, email: str) -> list[str]:
    """The codes of the accounts the user with ``email`` owns, sorted."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        codes = [r[0] for r in connection.execute(text(
            "SELECT a.code FROM accounts a JOIN users u ON u.id = a.owner_id "
            "WHERE u.email = :e ORDER BY a.code"), {"e": email})]
    engine.dispose()
    return codes


def log_in(page, base: str, email: str, password: str) -> None:
    """Log in through the login page; the page is where the login led (not /login)."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url


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
