"""Alerts to group-chat robots and to any web service, each retried with back-off.

``ALERT_WEBHOOKS`` is a list of targets, each a mapping with ``kind``, ``url`` and, where
the kind signs, ``secret`` (optional ``lang``: the language of the message, default the
app's first language):

- ``wecom`` (企业微信 group robot): ``{"msgtype": "markdown", "markdown": {"content": …}}``
  to the robot's URL (its ``key`` is in the URL; WeCom robots do not sign);
- ``dingtalk`` (钉钉 custom robot, "加签"): ``timestamp`` (ms) and ``sign`` =
  Base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), URL-encoded, added to the
  URL's query; the body is ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
- ``feishu`` (飞书 custom bot, "签名校验"): ``timestamp`` (s) and ``sign`` =
  Base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")) in the body, beside
  ``{"msg_type": "text", "content": {"text": …}}``;
- ``generic``: the alert as JSON; headers ``X-Surveyapp-Timestamp: <unix seconds>`` and
  ``X-Surveyapp-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>``,
  so a receiver checks the body and refuses an old timestamp (a replay).

A delivery that fails (no answer, a status other than 2xx, or a robot's ``errcode`` /
``code`` other than 0) raises :class:`WebhookFailed`, and the job library tries again
after 30 s, 60 s, 120 s, 240 s and 480 s.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from .. import jobs

KINDS = ("wecom", "dingtalk", "feishu", "generic")
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Surveyapp-Signature"
TIMESTAMP_HEADER = "X-Surveyapp-Timestamp"


class WebhookFailed(Exception):
    """The target did not take the message; the job tries again later."""


@dataclass(frozen=True)
class Target:
    kind: str
    url: str
    secret: str | None = None
    lang: str | None = None

    @classmethod
    def from_setting(cls, raw: Mapping[str, Any], position: int) -> Target:
        kind = raw.get("kind")
        url = raw.get("url")
        if kind not in KINDS:
            raise ValueError(f"ALERT_WEBHOOKS[{position}]: kind must be one of "
                             f"{', '.join(KINDS)}, not {kind!r}")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"ALERT_WEBHOOKS[{position}]: url must be an http(s) URL")
        secret = raw.get("secret")
        if kind in ("dingtalk", "feishu", "generic") and not secret:
            raise ValueError(f"ALERT_WEBHOOKS[{position}]: a {kind} target needs a secret")
        unknown = set(raw) - {"kind", "url", "secret", "lang"}
        if unknown:
            raise ValueError(f"ALERT_WEBHOOKS[{position}]: unknown key "
                             f"{', '.join(sorted(unknown))}")
        return cls(kind, url, secret, raw.get("lang"))


def targets(config: Mapping[str, Any]) -> list[Target]:
    raw: Sequence[Mapping[str, Any]] = config.get("ALERT_WEBHOOKS") or ()
    return [Target.from_setting(t, k) for k, t in enumerate(raw)]


# --------------------------------------------------------------------------- signing


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, Base64 then URL-encoded as its documentation shows."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the key is "timestamp\\nsecret", the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"",
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def generic_signature(secret: str, timestamp_s: int, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_s}.".encode("ascii") + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def build_request(target: Target, subject: str, lines: Sequence[str],
                  payload: Mapping[str, Any], now: float | None = None) -> Request:
    """The HTTP request a target gets for one alert (``payload``: the alert as data, for
    the generic kind)."""
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8"}
    url = target.url
    if target.kind == "wecom":
        content = f"**{subject}**\n" + "\n".join(f"> {line}" for line in lines)
        data: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": content}}
    elif target.kind == "dingtalk":
        stamp = int(now * 1000)
        sign = dingtalk_sign(target.secret or "", stamp)
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
        text = f"### {subject}\n\n" + "\n\n".join(f"- {line}" for line in lines)
        data = {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    elif target.kind == "feishu":
        stamp = int(now)
        data = {"timestamp": str(stamp), "sign": feishu_sign(target.secret or "", stamp),
                "msg_type": "text", "content": {"text": "\n".join([subject, *lines])}}
    else:
        stamp = int(now)
        body = json.dumps({"event": "alert", **payload}, ensure_ascii=False,
                          sort_keys=True).encode("utf-8")
        headers[TIMESTAMP_HEADER] = str(stamp)
        headers[SIGNATURE_HEADER] = generic_signature(target.secret or "", stamp, body)
        return Request(url, body, headers)
    return Request(url, json.dumps(data, ensure_ascii=False).encode("utf-8"), headers)


def send(request: Request, timeout: float = TIMEOUT_SECONDS) -> None:
    """POST the request; any failure is a :class:`WebhookFailed`."""
    http_request = urllib.request.Request(request.url, data=request.body,
                                          headers=request.headers, method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as answer:  # noqa: S310
            status, raw = answer.status, answer.read(65536)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open
        raise WebhookFailed(f"{_host(request.url)} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookFailed(f"{_host(request.url)} cannot be reached: {exc}") from None
    if not 200 <= status < 300:
        raise WebhookFailed(f"{_host(request.url)} answered {status}")
    try:
        reply = json.loads(raw or b"{}")
    except ValueError:
        return  # a generic receiver may answer anything with a 2xx status
    if isinstance(reply, dict):
        code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
        if code not in (0, None):
            raise WebhookFailed(f"{_host(request.url)} refused the message: {code} "
                                f"{reply.get('errmsg') or reply.get('msg') or ''}".strip())


def _host(url: str) -> str:
    """The target named without its path or query (which hold the robot's key)."""
    return urllib.parse.urlsplit(url).netloc


# --------------------------------------------------------------------------- jobs


def queue_for_alert(alert_id: int, config: Mapping[str, Any]) -> int:
    """Queue one delivery per configured target; returns how many."""
    count = len(targets(config))
    for position in range(count):
        deliver_job(alert_id, position)
    return count


def _payload(session: Any, alert_id: int, lang: str) -> tuple[str, list[str], dict] | None:
    from ..models import Alert, Campaign
    from .alerts import describe, findings_of

    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    text = describe(session, alert, lang, current_app.config.get("PUBLIC_URL") or None)
    campaign = session.get(Campaign, alert.response.campaign_id)
    # "rule"/"value"/"threshold" are the headline finding; "findings" every rule broken
    data = {"alert": {"id": alert.id, "rule": alert.rule, "value": alert.value,
                      "threshold": alert.threshold,
                      "findings": [{"rule": f.rule, "value": f.value,
                                    "threshold": f.threshold}
                                   for f in findings_of(session, alert)],
                      "created_at": alert.created_at.isoformat()},
            "account": {"id": alert.account.code, "name": alert.account.name},
            "wave": {"id": campaign.id, "name": campaign.name,
                     "anonymous": bool(campaign.anonymous)} if campaign else None,
            "subject": text.subject, "lines": text.lines, "link": text.link}
    lines = [*text.lines, text.link] if text.link else text.lines
    return text.subject, lines, data


@jobs.job(retries=5, retry_delay=30, retry_backoff=2)
def deliver_job(alert_id: int, position: int) -> str:
    """Deliver one alert to the target at ``position`` of ``ALERT_WEBHOOKS``."""
    from ..db import get_session

    config = current_app.config
    configured = targets(config)
    if position >= len(configured):
        return "target no longer configured"
    target = configured[position]
    lang = str(target.lang if target.lang in config["LANGUAGES"] else config["LANGUAGES"][0])
    described = _payload(get_session(), alert_id, lang)
    if described is None:
        return "alert is gone"
    subject, lines, data = described
    send(build_request(target, subject, lines, data))
    return f"delivered to {_host(target.url)}"
