"""A real gunicorn on loopback, driven by concurrent clients: duplicate submits store each
survey exactly once and completely, a SIGKILLed worker loses no acknowledged submission,
and two devices saving the same link in turn never lose an answer.

Runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL names one (in a schema of its
own). Bounded: every request has a timeout, and the runs are sized to finish in well under
a minute on two cores. CSRF is off in the served instance (its pages and tokens are tested
in test_survey_pages.py): the clients here send only the POSTs whose storage is in question.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from surveyapp import create_app
from surveyapp.db import upgrade
from surveyapp.models import Account, Contact, Draft, Invitation, Response, TextAnswer
from surveyapp.services import invitations
from surveyapp.services.instruments import new_campaign
from surveyapp.services.responses import campaign_frame
from tests.app.test_survey_flow import SERVQUAL, full_answers, page_names
from tests.conftest import REPO

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
GUNICORN = Path(sys.executable).with_name("gunicorn")
pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed "
                                "(pip install -e '.[test]')")
ANSWERS = full_answers(e=6, p=5)
TIMEOUT_S = 30  # one request; a server that stops answering fails the test, never hangs it


# --------------------------------------------------------------------------- databases


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('load') / 'load.sqlite'}"
        return
    if not PG_URL.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL is not a PostgreSQL URL")
    schema = f"load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


# --------------------------------------------------------------------------- the wave


@dataclass
class Wave:
    instance: Path
    database_url: str
    campaign_id: int
    tokens: list[str]
    first_page: dict[str, str]  # field → value of the expectations page
    last_page: dict[str, str]  # the form that submits the survey


def prepare_wave(instance: Path, database_url: str, name: str, n: int,
                 answered_first_page: bool) -> Wave:
    """A SERVQUAL wave of ``n`` invitations; with ``answered_first_page`` each has its
    first page saved (walked once through the app, the draft copied), so one POST of the
    last page submits it."""
    config = {"TESTING": True, "SECRET_KEY": "load-secret", "DATABASE_URL": database_url,
              "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": False}
    app = create_app(config, instance_path=str(instance))
    try:
        with app.app_context():
            upgrade()
            session: Session = app.extensions["db_sessionmaker"]()
            campaign = new_campaign(session, name, ["servqual"], wave=name)
            account = Account(code=name, name="并发测试客户")
            session.add(account)
            tokens = []
            for k in range(n):
                contact = Contact(code=f"{name}-{k}", account=account, name=f"联系人{k}",
                                  role="technical", lang="en")
                session.add(contact)
                tokens.append(invitations.invite(session, campaign, contact)[1])
            session.commit()
            campaign_id = campaign.id
        client = app.test_client()
        pages = [client.get(f"/s/{tokens[0]}?page={p}").get_data(as_text=True)
                 for p in (0, 1)]
        first = {name: ANSWERS[name] for name in page_names(pages[0])}
        last = {"page": "1", "action": "next",
                **{name: ANSWERS[name] for name in page_names(pages[1])}}
        if answered_first_page:
            saved = client.post(f"/s/{tokens[0]}", data={"page": "0", "action": "next",
                                                         **first})
            assert saved.status_code == 303, saved.get_data(as_text=True)[:300]
            with app.app_context():
                template = session.scalars(select(Draft).join(Invitation).where(
                    Invitation.campaign_id == campaign_id)).one()
                ids = session.scalars(select(Invitation.id).where(
                    Invitation.campaign_id == campaign_id,
                    Invitation.id != template.invitation_id)).all()
                session.add_all(Draft(invitation_id=i, answers_json=template.answers_json,
                                      page=template.page) for i in ids)
                session.commit()
        session.close()
    finally:
        app.extensions["db_engine"].dispose()
    (instance / "config.py").write_text("WTF_CSRF_ENABLED = False\n", encoding="utf-8")
    return Wave(instance, database_url, campaign_id, tokens, first, last)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn -w N`` serving the app factory on a free loopback port."""

    def __init__(self, wave: Wave, workers: int = 2) -> None:
        self.port = free_port()
        env = {**os.environ, "SURVEYAPP_INSTANCE": str(wave.instance),
               "DATABASE_URL": wave.database_url, "SECRET_KEY": "load-secret"}
        self.log = open(wave.instance / "gunicorn.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(GUNICORN), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(REPO), "--graceful-timeout", "5", "--log-level", "info",
             "--access-logfile", str(wave.instance / "access.log"),
             "surveyapp:create_app()"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if len(self.workers()) == workers and self.answers():
                return
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + self.output())

    def answers(self) -> bool:
        try:
            return request(self.port, "GET", "/login").status < 500
        except OSError:
            return False

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def served(database_url, tmp_path_factory) -> Iterator[tuple[Gunicorn, dict[str, Wave]]]:
    """One server (its start costs more than a test) over three waves in one database:
    the duplicate submits, the killed worker, the two devices."""
    instance = tmp_path_factory.mktemp("served") / "instance"
    waves = {"dup": prepare_wave(instance, database_url, "DUP", 500, True),
             "kill": prepare_wave(instance, database_url, "KILL", 160, True),
             "devices": prepare_wave(instance, database_url, "DEV", 24, False)}
    server = Gunicorn(waves["dup"])
    yield server, waves
    server.stop()


@dataclass
class Reply:
    status: int
    location: str
    body: str


def request(port: int, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        body = urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.getheader("Location") or "",
                     response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def stored(wave: Wave) -> tuple[int, int, int, list]:
    """Responses, distinct invitations answered, comments; and the frame's rows."""
    engine = create_engine(wave.database_url)
    try:
        with Session(engine) as session:
            responses = session.scalar(select(func.count(Response.id)).where(
                Response.campaign_id == wave.campaign_id))
            answered = session.scalar(select(func.count(Invitation.id)).where(
                Invitation.campaign_id == wave.campaign_id,
                Invitation.responded_at.is_not(None)))
            comments = session.scalar(select(func.count(TextAnswer.id)).join(Response).where(
                Response.campaign_id == wave.campaign_id))
            from surveyapp.models import Campaign
            frame = campaign_frame(session, session.get(Campaign, wave.campaign_id))
            return responses, answered, comments, frame
    finally:
        engine.dispose()


def assert_complete(frame) -> None:  # type: ignore[no-untyped-def]
    """Every stored response holds every answer as posted: 6 for each expectation, 5 for
    each perception, the 100 points as shared out."""
    for item in SERVQUAL.items:
        assert (frame[f"{item.id}.e"] == 6).all() and (frame[f"{item.id}.p"] == 5).all()
    points = {f"imp.{c}": v for c, v in zip(SERVQUAL.allocations[0].constructs,
                                            (30, 25, 20, 15, 10), strict=True)}
    for column, value in points.items():
        assert (frame[column] == value).all(), column


# --------------------------------------------------------------------------- the tests


def test_2000_duplicate_submits_from_16_clients_store_500_complete_responses(served):
    server, waves = served
    wave = waves["dup"]
    order = [token for _round in range(4) for token in wave.tokens]
    random.Random(11).shuffle(order)  # each link 4 times, interleaved
    statuses: list[int] = []
    submitted: list[str] = []
    lock = threading.Lock()

    def submit(token: str) -> None:
        reply = request(server.port, "POST", f"/s/{token}", wave.last_page)
        with lock:
            statuses.append(reply.status)
            if reply.status == 303 and "/thanks" in reply.location:
                submitted.append(token)

    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(submit, order))
    seconds = time.monotonic() - started
    print(f"\n{wave.database_url.split(':')[0]}: 2,000 POSTs in {seconds:.1f} s")
    assert len(statuses) == 2000 and all(s < 500 for s in statuses), \
        sorted(set(statuses))
    assert set(statuses) <= {303, 409}  # submitted, or already received
    assert len(submitted) == 500 and len(set(submitted)) == 500  # each acknowledged once
    responses, answered, comments, frame = stored(wave)
    assert (responses, answered, comments, len(frame)) == (500, 500, 500, 500)
    assert_complete(frame)
    assert server.process.poll() is None
    # gunicorn's access log holds every request, none with a token in full
    log = (wave.instance / "access.log").read_text(encoding="utf-8")
    assert log.count('"POST /s/') >= 2000
    assert not any(token in log for token in wave.tokens)


def test_a_worker_killed_mid_run_loses_no_acknowledged_submission(served):
    server, waves = served
    wave = waves["kill"]
    order = [token for _round in range(2) for token in wave.tokens]
    random.Random(12).shuffle(order)
    acknowledged: set[str] = set()
    statuses: list[int] = []
    failed = []  # connections the killed worker dropped: not acknowledged, may be stored
    lock = threading.Lock()
    kill_after = 100
    killed: list[int] = []

    def submit(token: str) -> None:
        try:
            reply = request(server.port, "POST", f"/s/{token}", wave.last_page)
        except (OSError, http.client.HTTPException) as exc:
            with lock:
                failed.append(repr(exc))
            return
        with lock:
            statuses.append(reply.status)
            if reply.status == 303 and "/thanks" in reply.location:
                acknowledged.add(token)
            if len(statuses) == kill_after and not killed:
                victim = server.workers()[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(submit, order))
    assert killed and all(s < 500 for s in statuses), sorted(set(statuses))
    # the master replaced the worker, and the server still serves
    deadline = time.monotonic() + 30
    while len(server.workers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert killed[0] not in server.workers() and len(server.workers()) == 2
    retry = [t for t in wave.tokens if t not in acknowledged]
    for token in retry:  # a contact whose page failed sends it again
        reply = request(server.port, "POST", f"/s/{token}", wave.last_page)
        assert reply.status in (303, 409), reply.status
    responses, answered, comments, frame = stored(wave)
    # every acknowledged submission is stored, once, and completely; none partial
    assert responses == answered == comments == len(frame) == 160
    assert_complete(frame)
    print(f"\nkilled worker {killed[0]}; {len(failed)} dropped connections")


def test_two_devices_saving_in_turn_lose_no_answer_either_saved_last(served):
    """Device A answers the first half of page 1, device B the second half, each from a
    page loaded before the other saved (the other's answers are empty in its form), in
    turn: over 6 turns each field ends as its device last saved it, for 24 links at once."""
    server, waves = served
    wave = waves["devices"]
    fields = list(wave.first_page)
    halves = (fields[: len(fields) // 2], fields[len(fields) // 2:])
    last_saved: dict[str, dict[str, str]] = {t: {} for t in wave.tokens}
    statuses: list[int] = []
    lock = threading.Lock()

    def two_devices(token: str, seed: int) -> None:
        rng = random.Random(seed)
        for turn in range(6):  # A, B, A, B, …: each saves after the other's reply
            which = turn % 2
            values = {name: str(rng.randint(1, 7)) for name in halves[which]}
            reply = request(server.port, "POST", f"/s/{token}",
                            {"page": "0", "action": "back", **values})
            with lock:
                statuses.append(reply.status)
                if reply.status == 303:  # acknowledged: the server holds these
                    last_saved[token].update(values)

    with ThreadPoolExecutor(16) as pool:  # the 24 links at once
        futures = [pool.submit(two_devices, token, k) for k, token in enumerate(wave.tokens)]
        for future in futures:
            future.result()
    assert all(s in (303, 503) for s in statuses), sorted(set(statuses))
    assert statuses.count(303) >= len(statuses) // 2  # busy is the exception
    engine = create_engine(wave.database_url)
    try:
        with Session(engine) as session:
            drafts = {d.invitation_id: json.loads(d.answers_json)
                      for d in session.scalars(select(Draft))}
            # the links were made in this order, one invitation each
            ids = session.scalars(select(Invitation.id).where(
                Invitation.campaign_id == wave.campaign_id).order_by(Invitation.id)).all()
    finally:
        engine.dispose()
    for invitation_id, (token, expected) in zip(ids, last_saved.items(), strict=True):
        saved = drafts[invitation_id]
        for name, value in expected.items():
            assert saved[name.replace("-", ".")] == int(value), (token, name)


def test_two_devices_saving_at_the_same_moment_keep_each_others_answers(
        app, client, session, make_account, make_contact, make_campaign, invite,
        monkeypatch):
    """In-process and deterministic: device B's request reads the draft, device A's save
    lands, then B's save. B sent only its own field, so A's newer answer must stay."""
    from surveyapp.services import drafts

    invitation, token = invite(make_campaign(), make_contact(make_account(), lang="en"))
    page = {"page": "0", "action": "back"}
    assert client.post(f"/s/{token}", data={**page, "sq01-e": "2"}).status_code == 303
    real_load = drafts.load
    stale = real_load(session, invitation.id)  # what B's request read: sq01 = 2

    def load_then_a_saves(session_, invitation_id):
        monkeypatch.setattr(drafts, "load", real_load)
        # A's save lands between B's read and B's save
        assert app.test_client().post(f"/s/{token}", data={**page, "sq01-e": "6"}
                                      ).status_code == 303
        return stale

    monkeypatch.setattr(drafts, "load", load_then_a_saves)
    assert client.post(f"/s/{token}", data={**page, "sq02-e": "4"}).status_code == 303
    session.expire_all()
    saved = json.loads(session.get(Draft, invitation.id).answers_json)
    assert saved == {"sq01.e": 6, "sq02.e": 4}  # A's 6 kept, B's 4 added
