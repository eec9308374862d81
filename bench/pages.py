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
Parquet file into the same frame and their dimension gap means computed.
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


def _login(instance: str) -> tuple[str, str]:
    """A fresh password for the demo manager (the demo command prints it)."""
    out = subprocess.run([SURVEYAPP, "demo"], env=_env(instance), capture_output=True,
                         text=True, check=True).stdout
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
        client.get(scorecards[0])
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
              f"{1000 * first[0]:.0f} ms")
        print(f"{'page':<40}{'median ms':>10}{'requests':>10}{'max KB':>9}")
        for label, paths in rows:
            median, size, n = _median_ms(client, paths, repeat)
            print(f"{label:<40}{median:>10.1f}{n:>10}{size / 1024:>9.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def recompute(instance: str) -> None:
    start = time.perf_counter()
    done = subprocess.run([SURVEYAPP, "wave", "recompute", "--force"], env=_env(instance),
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr)
    for _ in range(2):  # the first run writes the Parquet copy; the second is measured
        floor = subprocess.run([sys.executable, __file__, "--instance", instance,
                                "--child", "floor"], capture_output=True, text=True,
                               check=True)
    result = json.loads(floor.stdout.strip().splitlines()[-1])
    print(f"\nrecompute: {done.stdout.strip()} (process {wall:.1f} s with start-up; "
          f"peak {_child_peak_mb():.0f} MB)")
    print(f"true floor: {result['rows']:,} responses from Parquet into the frame and gap "
          f"means in {result['seconds']:.2f} s (peak {result['peak_mb']:.0f} MB)")


def floor_child(instance: str) -> None:
    """Read the wave's answers from a Parquet copy (made once) and compute the gap means."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from analysis import ServqualLayout
    from surveyapp import create_app
    from surveyapp.db import get_session
    from surveyapp.services.campaigns import latest_campaign
    from surveyapp.services.instruments import questionnaire_of

    app = create_app(instance_path=instance)
    parquet = Path(instance) / "bench-responses.parquet"
    with app.app_context():
        session = get_session()
        campaign = latest_campaign(session)
        layout = ServqualLayout.of(questionnaire_of(campaign).get("servqual"))
        if not parquet.exists():
            from surveyapp.services.responses import campaign_frame

            campaign_frame(session, campaign).to_parquet(parquet)
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
    parser.add_argument("--child", choices=["floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        floor_child(args.instance)
        return
    pages(args.instance, args.repeat)
    if not args.skip_recompute:
        recompute(args.instance)


if __name__ == "__main__":
    main()
