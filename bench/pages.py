"""Benchmark: the manager's pages and the background recompute on a large portfolio.

Build the portfolio first, in an instance folder of its own::

    SURVEYAPP_INSTANCE=/tmp/big surveyapp init-db
    SURVEYAPP_INSTANCE=/tmp/big surveyapp demo --accounts 10000 --responses 1000000

then ``python bench/pages.py --instance /tmp/big``. It serves the app (``surveyapp run``) on a
free port, logs in as the demo's first manager, and prints the median time of ``/login`` (a
page that reads no figures), the accounts list (first page, a sorted and filtered page, a
far page), account scorecards, the dashboard ``/`` (after its first, cache-filling view)
and the download ``/accounts.csv``, all from the same server in the same run. Then, each
in a fresh process so its peak memory is its own: the recompute of the whole wave
(``surveyapp wave recompute --force``) and the true floor — the same responses read from a
Parquet file into the same frame and their dimension gap means computed — twice: from
float64 answers (as ``campaign_frame`` writes them, the floor of earlier runs) and from the
float32 answers the recompute reads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURVEYAPP = str(Path(sys.executable).with_name("surveyapp"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(instance: str) -> dict[str, str]:
    return {**os.environ, "SURVEYAPP_INSTANCE": instance}


def _demo(instance: str) -> str:
    """What ``surveyapp demo`` prints on a built portfolio: fresh logins and open links."""
    return subprocess.run([SURVEYAPP, "demo"], env=_env(instance), capture_output=True,
                          text=True, check=True).stdout


def _login(instance: str, out: str | None = None) -> tuple[str, str]:
    """A fresh password for the demo manager (the demo command prints it)."""
    out = _demo(instance) if out is None else out
    # the demo's labelled line (the first manager), or the older unlabelled one
    match = re.search(r"^(?:Login \(manager\)|Manager login): (\S+) / (\S+)$", out, re.M)
    if match is None:
        raise SystemExit(f"no demo login in this instance:\n{out}")
    return match.group(1), match.group(2)


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[float, int, bytes]:
        start = time.perf_counter()
        with self.opener.open(self.base + path, timeout=120) as response:
            body = response.read()
            status = response.status
        return time.perf_counter() - start, status, body

    def login(self, email: str, password: str) -> None:
        _t, _s, page = self.get("/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"email": email, "password": password}
        if token:
            data["csrf_token"] = token.group(1).decode()
        self.opener.open(self.base + "/login", urllib.parse.urlencode(data).encode(),
                         timeout=60).read()


def _median_ms(client: Client, paths: list[str], repeat: int) -> tuple[float, int, int]:
    times, size, status = [], 0, 200
    for _ in range(repeat):
        for path in paths:
            seconds, status, body = client.get(path)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            times.append(seconds)
            size = max(size, len(body))
    return 1000 * statistics.median(times), size, len(times)


def pages(instance: str, repeat: int) -> None:
    email, password = _login(instance)
    port = _free_port()
    server = subprocess.Popen([SURVEYAPP, "run", "--port", str(port), "--no-reload",
                               "--no-debugger"], env=_env(instance),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                client.get("/login")
                break
            except OSError:
                time.sleep(0.2)
        client.login(email, password)
        first = client.get("/accounts")  # the first view decodes the run into the cache
        codes = re.findall(rb'href="/accounts/([A-Z0-9]+)\?', first[2])[:10]
        scorecards = [f"/accounts/{c.decode()}" for c in codes]
        # a server's first scorecard splits the run's per-account tables (as after every
        # new run): timed apart from the medians below
        first_card = client.get(scorecards[0])
        client.get("/")  # the dashboard is built once per run and account set
        rows = [
            ("/login (reads no figures)", ["/login"]),
            ("/accounts, first page", ["/accounts"]),
            ("/accounts, sorted by NPS, filtered", ["/accounts?sort=nps&dir=desc&type="
                                                    "value_added&gap_below=0"]),
            ("/accounts, page 150", ["/accounts?page=150&sort=gap"]),
            ("scorecard (10 accounts)", scorecards),
            ("dashboard /", ["/"]),
            ("download /accounts.csv", ["/accounts.csv"]),
        ]
        print(f"\nfirst /accounts view after start (decodes the run): "
              f"{1000 * first[0]:.0f} ms; first scorecard: {1000 * first_card[0]:.0f} ms")
        print(f"{'page':<40}{'median ms':>10}{'requests':>10}{'max KB':>9}")
        for label, paths in rows:
            median, size, n = _median_ms(client, paths, repeat)
            print(f"{label:<40}{median:>10.1f}{n:>10}{size / 1024:>9.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


# the survey pages' fields, as bench/submit.py fills them
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|page)" value="([^"]*)"')
RADIO = re.compile(r'<input type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)"')
POINTS = re.compile(r'<input type="text" id="[^"]+" name="([^"]+)"[^>]*class="points"')
POLL_S = 2.0  # the scorecard is asked this often: more often would slow the recompute
FRESHNESS = re.compile(r'<div class="freshness[^"]*"[^>]*>(.*?)</div>', re.S)


def _complete(client: Client, link: str) -> bool:
    """Answer every page of the survey behind ``link`` (a middle point on each scale, the
    points shared out); False when the link shows no form (already answered, closed)."""
    path = urllib.parse.urlparse(link).path
    for number in range(30):
        _t, _status, body = client.get(f"{path}?page={number}")
        html = body.decode()
        hidden = dict(HIDDEN.findall(html))
        if "page" not in hidden:
            return False
        form = {"csrf_token": hidden.get("csrf_token", ""), "page": hidden["page"],
                "action": "next"}
        for name, value in RADIO.findall(html):
            if value != "na" and (name not in form or value in ("5", "6")):
                form[name] = value
        boxes = POINTS.findall(html)
        for k, name in enumerate(boxes):
            form[name] = str(100 // len(boxes) + (100 % len(boxes) if k == 0 else 0))
        with client.opener.open(client.base + path, urllib.parse.urlencode(form).encode(),
                                timeout=60) as response:
            response.read()
            if "/thanks" in response.geturl():
                return True
    raise SystemExit(f"{link}: the survey never ended")


def _scored(client: Client, page: str) -> int | None:
    """The response count of the figures the page shows (its freshness line)."""
    _t, _s, body = client.get(page)
    found = FRESHNESS.search(body.decode())
    numbers = re.findall(r"\d+", re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "", found.group(1))
                         ) if found else []
    return int(numbers[0]) if numbers else None


def freshness(instance: str, timeout: float) -> None:
    """Submit one survey through a link the demo printed, with ``surveyapp run`` and
    ``surveyapp worker`` serving (as ``make run`` does), and time until a scorecard shows
    the new response count (the recompute delay plus the background recompute)."""
    out = _demo(instance)
    email, password = _login(instance, out)
    links = re.findall(r"^Survey link: (\S+)$", out, re.M)
    port = _free_port()
    server = subprocess.Popen([SURVEYAPP, "run", "--port", str(port), "--no-reload",
                               "--no-debugger"], env=_env(instance),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([SURVEYAPP, "worker"], env=_env(instance),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        manager = Client(f"http://127.0.0.1:{port}")
        for _ in range(300):  # the server starts beside the worker
            try:
                manager.get("/login")
                break
            except OSError:
                time.sleep(0.2)
        manager.login(email, password)
        code = re.search(rb'href="/accounts/([A-Z0-9]+)\?', manager.get("/accounts")[2])
        if code is None:
            raise SystemExit("no account on the accounts page")
        scorecard = f"/accounts/{code.group(1).decode()}"
        before = _scored(manager, scorecard)
        for link in links:
            if _complete(Client(f"http://127.0.0.1:{port}"), link):
                break
        else:
            raise SystemExit("none of the demo's links shows an open survey")
        submitted = time.perf_counter()
        seen = before
        while seen is None or before is None or seen <= before:
            if time.perf_counter() - submitted > timeout:
                raise SystemExit(f"the scorecard still shows {seen} responses after "
                                 f"{timeout:.0f} s")
            time.sleep(POLL_S)
            seen = _scored(manager, scorecard)
        seconds = time.perf_counter() - submitted
        print(f"\nsurvey submitted through a link: the scorecard shows {seen:,} responses "
              f"(was {before:,}) {seconds:.1f} s after the last page was sent")
    finally:
        for process in (worker, server):
            process.terminate()
            process.wait(timeout=60)


def _run_measured(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run ``command``; its output, wall seconds and its own peak memory (MB): read from
    this child's rusage alone, not the largest of every child so far (the server and the
    demo command run before it)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(child.pid, 0)  # reaped here, with its own rusage
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(err.read())
        return out.read(), wall, usage.ru_maxrss / 1024


def recompute(instance: str) -> None:
    out, wall, peak = _run_measured([SURVEYAPP, "wave", "recompute", "--force"],
                                    _env(instance))
    results = {}
    for kind in FLOOR_KINDS:
        for _ in range(2):  # the first run writes the Parquet copy; the second is measured
            floor = subprocess.run([sys.executable, __file__, "--instance", instance,
                                    "--child", kind], capture_output=True, text=True,
                                   check=True)
        results[kind] = json.loads(floor.stdout.strip().splitlines()[-1])
    print(f"\nrecompute: {out.strip()} (process {wall:.1f} s with start-up; "
          f"peak {peak:.0f} MB)")
    for kind, result in results.items():
        print(f"true floor ({FLOOR_KINDS[kind]}): {result['rows']:,} responses from Parquet "
              f"into the frame and gap means in {result['seconds']:.2f} s (peak "
              f"{result['peak_mb']:.0f} MB)")


FLOOR_KINDS = {
    "floor": "float64 answers, as campaign_frame writes them",
    "floor32": "float32 answers, the frame the recompute reads",
}


def floor_child(instance: str, kind: str = "floor") -> None:
    """Read the wave's answers from a Parquet copy (made once) and compute the gap means:
    ``floor`` from the float64 frame ``campaign_frame`` writes (the floor measured before
    the recompute read float32), ``floor32`` from the recompute's own frame."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from analysis import ServqualLayout
    from surveyapp import create_app
    from surveyapp.db import get_session
    from surveyapp.services.campaigns import latest_campaign
    from surveyapp.services.instruments import questionnaire_of

    app = create_app(instance_path=instance)
    parquet = Path(instance) / ("bench-responses.parquet" if kind == "floor" else
                                "bench-responses-float32.parquet")
    with app.app_context():
        session = get_session()
        campaign = latest_campaign(session)
        layout = ServqualLayout.of(questionnaire_of(campaign).get("servqual"))
        if not parquet.exists() and kind == "floor":
            from surveyapp.services.responses import campaign_frame

            campaign_frame(session, campaign).to_parquet(parquet)
        elif not parquet.exists():
            from surveyapp.services.answer_store import waves_frame

            waves_frame(session, [campaign], with_contacts=[False]).to_parquet(parquet)
    start = time.perf_counter()
    frame = pd.read_parquet(parquet)
    gaps = {}
    for dim in layout.dimensions:
        p = frame[layout.p_columns[dim]].to_numpy()
        e = frame[layout.e_columns[dim]].to_numpy()
        gaps[dim] = pd.DataFrame(p - e).mean(axis=1).mean()
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": len(frame), "seconds": seconds,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", required=True, help="The instance folder of the "
                        "portfolio (SURVEYAPP_INSTANCE).")
    parser.add_argument("--repeat", type=int, default=5, help="Requests per page.")
    parser.add_argument("--skip-recompute", action="store_true")
    parser.add_argument("--freshness", action="store_true", help="Only the end-to-end "
                        "check: submit one survey through a demo link with the server and "
                        "the worker running, and time until a scorecard shows it.")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds the "
                        "freshness check waits (default 300).")
    parser.add_argument("--child", choices=list(FLOOR_KINDS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        floor_child(args.instance, args.child)
        return
    if args.freshness:
        freshness(args.instance, args.timeout)
        return
    pages(args.instance, args.repeat)
    if not args.skip_recompute:
        recompute(args.instance)


if __name__ == "__main__":
    main()
