"""Benchmark: the survey path (one GET and one POST per page) beside a bare Flask app.

Both apps are served the same way in the same run — gunicorn with 2 sync workers when
gunicorn is installed, else a pre-forked pair of single-threaded Werkzeug servers sharing
one listening socket (the same model: each worker serves one request at a time, one
connection per request) — and driven with the same bounded load: ``--clients`` concurrent
clients on loopback, each completing ``--surveys`` surveys.

* product: a wave of SERVQUAL + satisfaction + loyalty (4 pages); for every page a client
  GETs it (with the session cookie and reads the CSRF token, as a browser does) and POSTs
  the page's complete answers (303 to the next page; the last POST submits the survey);
* bare: ``/work/shared/bench/ceiling`` (Flask + Flask-WTF, 30 integer fields, one SQLite
  insert per POST, CSRF on like the product): GET ``/survey`` then POST ``/submit``.

Prints page round trips (one GET and one POST) per second, p50/p99 of a round trip and of
each request, and the server workers' CPU time per round trip, side by side, with the
product's share of the bare app's rate (and of its CPU cost, which hardly depends on what
else a shared machine runs).

Usage: ``python bench/submit.py [--clients 8] [--surveys 15] [--workers 2]
[--database-url URL] [--ceiling DIR]``. SQLite files go into a fresh temporary folder; no
background worker runs (queued recomputes wait in the job queue, as their cost is not the
request's).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CEILING = Path("/work/shared/bench/ceiling")
INSTRUMENTS = ["servqual", "satisfaction", "loyalty"]
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|page)" value="([^"]*)"')
CEILING_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)"')
POINTS = re.compile(r'<input type="text" id="[^"]+" name="([^"]+)"[^>]*class="points"')
TEXTAREA = re.compile(r'<textarea id="[^"]+" name="([^"]+)"')
COOKIE = re.compile(r"^set-cookie:\s*([^=]+)=([^;]*)", re.I | re.M)


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Reply:
    status: int
    headers: str
    body: str


async def request(port: int, method: str, path: str, cookies: dict[str, str],
                  form: dict[str, str] | None = None) -> Reply:
    """One request on its own connection (as a sync worker serves it), cookies kept."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urlencode(form).encode() if form is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
             "User-Agent: bench-submit"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    headers = head.decode("latin-1")
    status = int(headers.split(" ", 2)[1])
    for name, value in COOKIE.findall(headers):
        cookies[name.strip()] = value
    if re.search(r"^transfer-encoding:\s*chunked", headers, re.I | re.M):
        payload = _dechunk(payload)
    return Reply(status, headers, payload.decode("utf-8", "replace"))


def _dechunk(data: bytes) -> bytes:
    out, rest = b"", data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out


@dataclass
class Timings:
    round_trips: list[float] = field(default_factory=list)
    gets: list[float] = field(default_factory=list)
    posts: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the server workers', over the timed part


async def timed(timings: Timings, kind: list[float], call):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    reply = await call
    kind.append(time.perf_counter() - start)
    return reply


# --------------------------------------------------------------------------- the two apps


def page_answers(html: str) -> dict[str, str]:
    """Complete answers for the page in ``html``: a middle point on every scale, the
    allocation points shared out, a short comment."""
    answers: dict[str, str] = {}
    for name, value in RADIO.findall(html):
        if value != "na":
            answers.setdefault(name, value)
            if value in ("5", "6"):
                answers[name] = value
    boxes = POINTS.findall(html)
    for n, name in enumerate(boxes):
        answers[name] = str(100 // len(boxes) + (100 % len(boxes) if n == 0 else 0))
    for name in TEXTAREA.findall(html):
        answers[name] = "交货及时，服务很好。"
    return answers


async def product_survey(port: int, token: str, timings: Timings, record: bool) -> None:
    cookies: dict[str, str] = {}
    path = f"/s/{token}"
    for number in range(20):
        start = time.perf_counter()
        page = await timed(timings, timings.gets if record else [],
                           request(port, "GET", f"{path}?page={number}", cookies))
        hidden = dict(HIDDEN.findall(page.body))
        if page.status != 200 or "page" not in hidden:
            timings.errors.append(f"GET page {number}: {page.status}")
            return
        form = {"csrf_token": hidden.get("csrf_token", ""), "page": hidden["page"],
                "action": "next", **page_answers(page.body)}
        sent = await timed(timings, timings.posts if record else [],
                           request(port, "POST", path, cookies, form))
        if record:
            timings.round_trips.append(time.perf_counter() - start)
        if sent.status != 303:
            timings.errors.append(f"POST page {number}: {sent.status}")
            return
        if "/thanks" in sent.headers:
            return
    timings.errors.append("the survey never ended")


async def ceiling_round_trip(port: int, timings: Timings, record: bool) -> None:
    cookies: dict[str, str] = {}
    start = time.perf_counter()
    page = await timed(timings, timings.gets if record else [],
                       request(port, "GET", "/survey", cookies))
    match = CEILING_CSRF.search(page.body)
    form = {f"q{i}": str(1 + i % 7) for i in range(1, 31)}
    if match:
        form["csrf_token"] = match.group(1) or match.group(2)
    sent = await timed(timings, timings.posts if record else [],
                       request(port, "POST", "/submit", cookies, form))
    if record:
        timings.round_trips.append(time.perf_counter() - start)
    if page.status != 200 or sent.status != 204:
        timings.errors.append(f"ceiling: GET {page.status}, POST {sent.status}")


def make_product(folder: Path, database_url: str | None, surveys: int) -> tuple[dict, list]:
    """A fresh instance with one wave and ``surveys`` invited contacts; the environment
    the servers need and the links' tokens."""
    env = {"SURVEYAPP_INSTANCE": str(folder / "instance"), "SECRET_KEY": "bench-secret",
           "DATABASE_URL": database_url or f"sqlite:///{folder / 'product.sqlite'}"}
    os.environ.update(env)
    from surveyapp import create_app
    from surveyapp.db import upgrade
    from surveyapp.models import Account, Contact
    from surveyapp.services import invitations
    from surveyapp.services.instruments import new_campaign

    app = create_app()
    tokens = []
    with app.app_context():
        upgrade()
        session = app.extensions["db_sessionmaker"]()
        campaign = new_campaign(session, f"bench {time.time():.0f}", INSTRUMENTS, wave="B")
        stamp = f"{time.time_ns()}"
        account = Account(code=f"B{stamp}", name="基准测试客户")
        session.add(account)
        for n in range(surveys):
            contact = Contact(code=f"B{stamp}-{n}", account=account, name=f"联系人{n}",
                              role="technical", lang="zh")
            session.add(contact)
            tokens.append(invitations.invite(session, campaign, contact)[1])
        session.commit()
        session.close()
    app.extensions["db_engine"].dispose()
    return env, tokens


def product_app():  # type: ignore[no-untyped-def]
    from surveyapp import create_app

    return create_app()


def ceiling_app(folder: Path) -> Callable[[], object]:
    os.environ["SURVEY_DB"] = str(folder / "ceiling.db")
    os.environ["CSRF"] = "1"
    spec = importlib.util.spec_from_file_location("ceiling_app", CEILING / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["ceiling_app"] = module  # Flask finds its templates beside the module
    spec.loader.exec_module(module)
    module.init_db()
    return lambda: module.app


# --------------------------------------------------------------------------- serving


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_path() -> str | None:
    beside = Path(sys.executable).with_name("gunicorn")
    return str(beside) if beside.exists() else shutil.which("gunicorn")


class Server:
    """``workers`` processes serving ``make_app()`` one request at a time on one port."""

    def __init__(self, make_app: Callable[[], object], workers: int,
                 gunicorn: tuple[str, str, dict[str, str]] | None = None) -> None:
        self.port = _free_port()
        self.pids: list[int] = []
        self.process: subprocess.Popen[bytes] | None = None
        if gunicorn is not None:
            app_spec, chdir, env = gunicorn
            self.process = subprocess.Popen(
                [gunicorn_path() or "gunicorn", "-w", str(workers), "-k", "sync", "-b",
                 f"127.0.0.1:{self.port}", "--chdir", chdir, "--log-level", "warning",
                 app_spec], env={**os.environ, **env})
        else:
            self._prefork(make_app, workers)
        self._wait()

    def _prefork(self, make_app: Callable[[], object], workers: int) -> None:
        from werkzeug.serving import make_server

        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:  # a worker: its own app, engine and connections
                try:
                    server = make_server("127.0.0.1", self.port, make_app(),  # type: ignore[arg-type]
                                         fd=listener.fileno())
                    server.log = lambda *a, **k: None  # type: ignore[method-assign]
                    handler = server.RequestHandlerClass
                    handler.log_request = lambda *a, **k: None  # type: ignore[method-assign]
                    # headers and body go out as separate writes: without this, Nagle's
                    # algorithm meets the client's delayed ACK and each reply waits ~40 ms
                    handler.disable_nagle_algorithm = True
                    server.serve_forever()
                finally:
                    os._exit(0)
            self.pids.append(pid)
        listener.close()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return list(self.pids)
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far: unlike the rates, this
        hardly depends on what else the machine runs."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


# --------------------------------------------------------------------------- driving


async def drive(jobs: list[Callable[[bool], object]], clients: int, warmup: int,
                server: Server, timings: Timings) -> float:
    """Run ``jobs`` on ``clients`` concurrent clients; the first ``warmup`` are not timed.
    Returns the wall time of the timed part (and adds the workers' CPU time to
    ``timings``)."""
    for job in jobs[:warmup]:
        await job(False)  # type: ignore[misc]
    queue = list(jobs[warmup:])
    cpu = server.cpu_seconds()
    start = time.perf_counter()

    async def client() -> None:
        while queue:
            await queue.pop()(True)  # type: ignore[misc]

    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - start
    timings.cpu_seconds += server.cpu_seconds() - cpu
    return seconds


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary(name: str, timings: Timings, seconds: float) -> dict[str, float | str]:
    ms = 1000
    return {"app": name, "round trips": len(timings.round_trips),
            "per s": len(timings.round_trips) / seconds,
            "p50": percentile(timings.round_trips, 50) * ms,
            "p99": percentile(timings.round_trips, 99) * ms,
            "GET p50": percentile(timings.gets, 50) * ms,
            "GET p99": percentile(timings.gets, 99) * ms,
            "POST p50": percentile(timings.posts, 50) * ms,
            "POST p99": percentile(timings.posts, 99) * ms,
            "CPU ms/rt": 1000 * timings.cpu_seconds / max(1, len(timings.round_trips)),
            "errors": len(timings.errors)}


def run_product(env: dict[str, str], tokens: list[str], args: argparse.Namespace,
                use_gunicorn: bool, warm: int) -> tuple[Timings, float]:
    timings = Timings()
    server = Server(product_app, args.workers, gunicorn=(
        "surveyapp:create_app()", str(ROOT), env) if use_gunicorn else None)
    try:
        jobs = [lambda record, t=t: product_survey(server.port, t, timings, record)
                for t in tokens]
        seconds = asyncio.run(drive(jobs, args.clients, warm, server, timings))
    finally:
        server.stop()
    return timings, seconds


def run_ceiling(make_ceiling: Callable[[], object], count: int, args: argparse.Namespace,
                use_gunicorn: bool, warm: int) -> tuple[Timings, float]:
    timings = Timings()
    server = Server(make_ceiling, args.workers, gunicorn=(
        "app:app", str(args.ceiling), {"SURVEY_DB": os.environ["SURVEY_DB"], "CSRF": "1"})
        if use_gunicorn else None)
    try:
        jobs = [lambda record: ceiling_round_trip(server.port, timings, record)
                for _ in range(count + warm)]
        seconds = asyncio.run(drive(jobs, args.clients, warm, server, timings))
    finally:
        server.stop()
    return timings, seconds


def merged(parts: list[tuple[Timings, float]]) -> tuple[Timings, float]:
    total = Timings()
    for timings, _seconds in parts:
        total.round_trips += timings.round_trips
        total.gets += timings.gets
        total.posts += timings.posts
        total.errors += timings.errors
        total.cpu_seconds += timings.cpu_seconds
    return total, sum(seconds for _t, seconds in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--surveys", type=int, default=15, help="per client and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the two apps take turns this many times (a shared machine's "
                             "load then weighs on both alike)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="the product's database (default: SQLite)")
    parser.add_argument("--ceiling", type=Path, default=CEILING)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-submit-"))
    warm = args.workers * 2
    per_round = args.clients * args.surveys + warm
    env, tokens = make_product(folder, args.database_url, per_round * args.rounds)
    make_ceiling = ceiling_app(folder)
    use_gunicorn = gunicorn_path() is not None
    server_kind = ("gunicorn (sync)" if use_gunicorn
                   else "pre-forked Werkzeug (gunicorn is not installed)")
    product_parts, ceiling_parts = [], []
    for n in range(args.rounds):
        product_parts.append(run_product(env, tokens[n * per_round:(n + 1) * per_round],
                                         args, use_gunicorn, warm))
        count = len(product_parts[-1][0].round_trips) or args.clients * args.surveys * 4
        ceiling_parts.append(run_ceiling(make_ceiling, count, args, use_gunicorn, warm * 4))
    product_timings, product_seconds = merged(product_parts)
    ceiling_timings, ceiling_seconds = merged(ceiling_parts)
    pages = len(product_timings.round_trips) // max(1, args.clients * args.surveys
                                                     * args.rounds)

    rows = [summary("product", product_timings, product_seconds),
            summary("bare Flask + WTForms", ceiling_timings, ceiling_seconds)]
    database = "PostgreSQL" if args.database_url and args.database_url.startswith(
        "postgres") else "SQLite"
    print(f"{server_kind}, {args.workers} workers, {args.clients} clients on loopback, "
          f"{database}; product: {pages} pages per survey, {args.surveys} surveys per "
          f"client and round, {args.rounds} rounds")
    header = ["app", "round trips", "per s", "p50", "p99", "GET p50", "GET p99", "POST p50",
              "POST p99", "CPU ms/rt", "errors"]
    print(f"{header[0]:<22}" + "".join(f"{h:>11}" for h in header[1:]))
    for row in rows:
        cells = [f"{row[h]:>11.1f}" if isinstance(row[h], float) else f"{row[h]:>11}"
                 for h in header[1:]]
        print(f"{row['app']:<22}" + "".join(cells))
    share = rows[0]["per s"] / rows[1]["per s"]  # type: ignore[operator]
    cpu_share = rows[1]["CPU ms/rt"] / rows[0]["CPU ms/rt"]  # type: ignore[operator]
    print(f"product / bare rate: {share:.2f}; by the workers' CPU per round trip: "
          f"{cpu_share:.2f}  (times in ms; a round trip is one GET and one POST)")
    for error in (product_timings.errors + ceiling_timings.errors)[:5]:
        print("error:", error)
    shutil.rmtree(folder, ignore_errors=True)
    if product_timings.errors or ceiling_timings.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
