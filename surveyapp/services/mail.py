"""Delivering email: through SMTP when ``MAIL_SERVER`` is set, else as ``.eml`` files.

With no mail server configured (the embedded default), every email is written as one
``.eml`` file into ``MAIL_OUTBOX`` (default ``<instance>/outbox``), which any mail program
opens, so a wave can be tried end to end on one machine.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any, Protocol

SMTP_TIMEOUT_SECONDS = 30


class MailError(Exception):
    """An email could not be handed over (to the server or the outbox)."""


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    outbox: Path

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> MailSettings:
        use_ssl = bool(config.get("MAIL_USE_SSL"))
        port = config.get("MAIL_PORT") or (465 if use_ssl else 587 if config.get(
            "MAIL_USE_TLS") else 25)
        return cls(server=config.get("MAIL_SERVER") or None, port=int(port),
                   use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=use_ssl,
                   username=config.get("MAIL_USERNAME") or None,
                   password=config.get("MAIL_PASSWORD") or None,
                   sender=config.get("MAIL_SENDER") or "survey@localhost",
                   outbox=Path(config.get("MAIL_OUTBOX") or Path(instance_path) / "outbox"))

    def describe(self) -> str:
        if self.server:
            return f"SMTP {self.server}:{self.port}"
        return f"the outbox folder {self.outbox}"


def compose(settings: MailSettings, to: str, to_name: str | None, subject: str, text: str,
            html: str | None = None, sender_name: str | None = None) -> EmailMessage:
    """A plain-text email with an optional HTML alternative, UTF-8 throughout."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((sender_name, settings.sender)) if sender_name \
        else settings.sender
    message["To"] = formataddr((to_name, to)) if to_name else to
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class Transport(Protocol):
    def send(self, message: EmailMessage, name: str) -> None: ...


class OutboxTransport:
    """Writes each email as ``<name>.eml``; written to a temporary file and renamed, so a
    reader never sees half an email."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage, name: str) -> None:
        target = self.folder / f"{name}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise MailError(f"cannot write {target}: {exc.strerror}") from exc


class SmtpTransport:
    """One SMTP connection for a batch of emails."""

    def __init__(self, client: smtplib.SMTP) -> None:
        self.client = client

    def send(self, message: EmailMessage, name: str) -> None:
        try:
            refused = self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise MailError("the server refused " + "; ".join(
                f"{address}: {code} {reply.decode('utf-8', 'replace')}"
                for address, (code, reply) in refused.items()))


@contextmanager
def transport(settings: MailSettings) -> Iterator[Transport]:
    """The way out for a batch of emails, as the settings say; a server that cannot be
    reached is a :class:`MailError`."""
    if not settings.server:
        yield OutboxTransport(settings.outbox)
        return
    try:
        if settings.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.server, settings.port, timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.server, settings.port,
                                  timeout=SMTP_TIMEOUT_SECONDS)
        if settings.use_tls and not settings.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"cannot reach the mail server {settings.server}:{settings.port}: "
                        f"{exc}") from exc
    try:
        yield SmtpTransport(client)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
