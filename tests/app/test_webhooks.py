"""Alerts to group-chat robots and a signed generic webhook, retried with back-off.

Signatures are checked against values computed apart from the code, with openssl:

- DingTalk (its documented algorithm: Base64(HMAC-SHA256(secret, "timestamp\\nsecret"))):
  ``printf '%s\\n%s' 1700000000000 SECexample123 | openssl dgst -sha256 -hmac SECexample123
  -binary | base64`` → ``XjxgsiP2+k0s0dQ2ap8bDNTvuqtMtTryM53gH1nvmG8=``
- Feishu (HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty message, Base64):
  ``printf '' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf '%s\\n%s' 1700000000
  SECexample123 | xxd -p) -binary | base64`` → ``GM11rtfWjNAwzUZu/Kmrb91QAA7jSOmBX2B26DzxWRk=``
- generic: ``printf '%s.%s' 1700000000 '{"a":1}' | openssl dgst -sha256 -hmac whsec``
  → ``8ad37ba1…012032``
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from surveyapp import jobs
from surveyapp.models import Alert, Invitation
from surveyapp.services import surveys, users, webhooks
from surveyapp.services.webhooks import Target, build_request

DINGTALK_SIGN = "XjxgsiP2+k0s0dQ2ap8bDNTvuqtMtTryM53gH1nvmG8="
FEISHU_SIGN = "GM11rtfWjNAwzUZu/Kmrb91QAA7jSOmBX2B26DzxWRk="
GENERIC_SIGN = "8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032"


def test_dingtalk_signature_matches_its_documented_algorithm():
    assert webhooks.dingtalk_sign("SECexample123", 1700000000000) == \
        urllib.parse.quote_plus(DINGTALK_SIGN)
    request = build_request(Target("dingtalk", "https://oapi.dingtalk.com/robot/send?"
                                   "access_token=abc", "SECexample123"),
                            "告警", ["客户：甲"], {}, now=1700000000.0)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
    assert query == {"access_token": ["abc"], "timestamp": ["1700000000000"],
                     "sign": [DINGTALK_SIGN]}
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "告警"
    assert "客户：甲" in body["markdown"]["text"]


def test_feishu_signature_matches_its_documented_algorithm():
    assert webhooks.feishu_sign("SECexample123", 1700000000) == FEISHU_SIGN
    request = build_request(Target("feishu", "https://open.feishu.cn/hook/x", "SECexample123"),
                            "告警", ["客户：甲"], {}, now=1700000000.9)
    body = json.loads(request.body)
    assert (body["timestamp"], body["sign"], body["msg_type"]) == (
        "1700000000", FEISHU_SIGN, "text")
    assert body["content"]["text"] == "告警\n客户：甲"


def test_wecom_gets_markdown():
    request = build_request(Target("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/"
                                   "send?key=k"), "告警", ["a", "b"], {})
    assert json.loads(request.body) == {"msgtype": "markdown",
                                        "markdown": {"content": "**告警**\n> a\n> b"}}


def test_generic_signature_covers_timestamp_and_raw_body():
    assert webhooks.generic_signature("whsec", 1700000000, b'{"a":1}') == \
        "sha256=" + GENERIC_SIGN
    request = build_request(Target("generic", "https://hooks.example.com/in", "whsec"),
                            "s", [], {"a": 1}, now=1700000000.0)
    assert request.headers["X-Surveyapp-Timestamp"] == "1700000000"
    expected = hmac.new(b"whsec", b"1700000000." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Surveyapp-Signature"] == f"sha256={expected}"
    assert json.loads(request.body) == {"event": "alert", "a": 1}


@pytest.mark.parametrize("setting, message", [
    ({"kind": "slack", "url": "https://x"}, "kind must be one of"),
    ({"kind": "wecom", "url": "ftp://x"}, "url must be an http"),
    ({"kind": "dingtalk", "url": "https://x"}, "needs a secret"),
    ({"kind": "wecom", "url": "https://x", "token": "t"}, "unknown key token"),
])
def test_a_wrong_target_setting_says_what_is_wrong(setting, message):
    with pytest.raises(ValueError, match=message):
        webhooks.targets({"ALERT_WEBHOOKS": [setting]})


# --------------------------------------------------------------------------- delivery


class Receiver:
    """A local HTTP server that answers each POST with the next status of ``statuses``."""

    def __init__(self, statuses, reply=b"{}"):
        self.statuses = list(statuses)
        self.requests: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses, reply=b"{}"):
        made.append(Receiver(statuses, reply))
        return made[-1]
    yield make
    for r in made:
        r.close()


@pytest.fixture
def detractor(app, session, make_account, make_contact, make_campaign, invite):
    """Submit a detractor's answers; returns a function that does it."""
    owner = users.create_user(session, "owner@example.com", "correct horse battery",
                              role="manager", actor=None)
    account = make_account(owner_id=owner.id)
    campaign = make_campaign(("servqual", "loyalty"))

    def submit(anonymous=False):
        campaign.anonymous = anonymous
        session.commit()
        invitation, _token = invite(campaign, make_contact(account, name="李工"))
        with app.test_request_context():
            surveys.submit(session, session.get(Invitation, invitation.id), {"nps": 2}, "zh")
        return session.scalars(select(Alert).order_by(Alert.id.desc())).first()
    return submit


def test_a_failed_delivery_is_retried_with_back_off_and_then_delivered(
        app, session, receiver, detractor):
    server = receiver([500, 200])
    app.config["ALERT_WEBHOOKS"] = [{"kind": "generic", "url": server.url, "secret": "whsec"}]
    try:
        detractor()
        assert len(server.requests) == 1  # the first try, answered 500
        (retry,) = jobs.huey.scheduled()
        assert retry.name == "surveyapp.services.webhooks.deliver_job"
        assert retry.retries == 4  # one of five retries used
        assert timedelta(seconds=25) < retry.eta - datetime.now() < timedelta(seconds=35)
        jobs.huey.storage.flush_schedule()
        with app.app_context():
            jobs.huey.execute(retry, retry.eta)  # what the worker does when the retry is due
        assert jobs.huey.scheduled() == []  # delivered: nothing left to retry
    finally:
        jobs.huey.storage.flush_schedule()
    assert len(server.requests) == 2
    _path, headers, body = server.requests[1]
    stamp = headers["X-Surveyapp-Timestamp"]
    expected = hmac.new(b"whsec", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Surveyapp-Signature"] == f"sha256={expected}"
    data = json.loads(body)
    assert data["alert"]["rule"] == "detractor" and data["alert"]["value"] == 2.0
    assert data["account"]["name"] == "测试客户有限公司"
    assert any("李工" in line for line in data["lines"])


def test_the_back_off_doubles_each_time(app, receiver, detractor):
    server = receiver([500, 500, 500])
    app.config["ALERT_WEBHOOKS"] = [{"kind": "wecom", "url": server.url}]
    try:
        detractor()
        (first,) = jobs.huey.scheduled()
        first_due = first.eta
        assert first.retries == 4
        jobs.huey.storage.flush_schedule()
        with app.app_context():
            jobs.huey.execute(first, first_due)  # the retry, when due: fails again
        (second,) = jobs.huey.scheduled()
        assert second.retries == 3
        # waits 30 s after the first failure, 60 s after the second, then 120 s
        assert timedelta(seconds=55) < second.eta - datetime.now() < timedelta(seconds=65)
        assert second.retry_delay == 120
    finally:
        jobs.huey.storage.flush_schedule()
    assert len(server.requests) == 2


def test_a_robot_that_answers_an_error_code_is_tried_again(app, receiver, detractor):
    server = receiver([200], reply=b'{"errcode": 310000, "errmsg": "sign not match"}')
    app.config["ALERT_WEBHOOKS"] = [{"kind": "dingtalk", "url": server.url + "?access_token=t",
                                     "secret": "SEC1"}]
    try:
        detractor()
        assert [t.name for t in jobs.huey.scheduled()] == [
            "surveyapp.services.webhooks.deliver_job"]
    finally:
        jobs.huey.storage.flush_schedule()
    path, _headers, body = server.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["t"] and set(query) == {"access_token", "timestamp", "sign"}
    assert json.loads(body)["msgtype"] == "markdown"


def test_an_anonymous_waves_webhook_names_no_one(app, receiver, detractor):
    server = receiver([200])
    app.config["ALERT_WEBHOOKS"] = [{"kind": "feishu", "url": server.url, "secret": "s"}]
    detractor(anonymous=True)
    text = json.loads(server.requests[0][2])["content"]["text"]
    assert "测试客户有限公司" in text and "李工" not in text
