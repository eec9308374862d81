"""SQLAlchemy models. Nothing here is SQLite-specific, so PostgreSQL works the same.

Numeric answers are stored per response as one packed array (little-endian float32, NaN =
missing) in the campaign's answer-column order (``Campaign.answer_columns``). A million
responses then load into a frame with one query and one ``numpy.frombuffer`` instead of
tens of millions of answer rows. Free-text answers, which are few, live in ``text_answers``.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # "admin", "manager" or "leadership" (services/access.py says what each may do); users
    # that existed before roles became administrators, so nobody was locked out
    role: Mapped[str] = mapped_column(String(20), default="manager", server_default="admin")
    # a deactivated user cannot log in and their sessions end
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # part of the login a session cookie carries: raising it ends every session of the user
    # (logout, password change, deactivation)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def get_id(self) -> str:
        """The login a session cookie carries: the user and their session version."""
        return f"{self.id}.{self.session_version}"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the file format's account_id
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    customer_type: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(200))  # as the file gives it (an email)
    # the user who owns the account: pages and downloads are scoped by it
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    revenue: Mapped[float | None] = mapped_column(Float)
    margin: Mapped[float | None] = mapped_column(Float)
    cost_to_serve: Mapped[float | None] = mapped_column(Float)
    wallet: Mapped[float | None] = mapped_column(Float)
    revenue_prev: Mapped[float | None] = mapped_column(Float)
    referral_value: Mapped[float | None] = mapped_column(Float)
    period: Mapped[str | None] = mapped_column(String(20))
    on_time_delivery: Mapped[float | None] = mapped_column(Float)
    ppm: Mapped[float | None] = mapped_column(Float)
    complaints: Mapped[int | None] = mapped_column(Integer)

    contacts: Mapped[list[Contact]] = relationship(back_populates="account",
                                                   order_by="Contact.id")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the file format's contact_id
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(40))  # buying-centre role
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    # a deactivated contact is not invited and their link stores nothing
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # erased on request: name and email are gone, answers stay without who gave them
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship(back_populates="contacts")


class InstrumentVersion(Base):
    """The exact text of an instrument a campaign asked, so answers always keep their meaning."""

    __tablename__ = "instrument_versions"
    __table_args__ = (UniqueConstraint("instrument_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Campaign(Base):
    """A survey wave: a questionnaire (instruments in order) sent to contacts."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    wave: Mapped[str | None] = mapped_column(String(40))
    # who answers: "customer" (contacts, through invitations) or "manager" (own assessment)
    audience: Mapped[str] = mapped_column(String(20), default="customer")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answer_columns_json: Mapped[str] = mapped_column(Text)
    # links answer from the open date to the close date (inclusive); None = no limit
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    # anonymous: no page, export or workbook may tie an answer to a person
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # the filter the invitations were chosen by (JSON), as given when the wave was created
    selection_json: Mapped[str | None] = mapped_column(Text)
    # reminder rounds sent so far; each round reminds every contact at most once
    reminder_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sections: Mapped[list[CampaignInstrument]] = relationship(
        order_by="CampaignInstrument.position", cascade="all, delete-orphan")

    @property
    def answer_columns(self) -> list[str]:
        return json.loads(self.answer_columns_json)


class CampaignInstrument(Base):
    __tablename__ = "campaign_instruments"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"))

    instrument_version: Mapped[InstrumentVersion] = relationship()


class Invitation(Base):
    """One per contact and campaign. Only a SHA-256 hash of the link token is stored."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("campaign_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # first email
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # first visit
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # first save

    campaign: Mapped[Campaign] = relationship()
    contact: Mapped[Contact] = relationship()


class Message(Base):
    """One email to one invitation: the invitation itself, or reminder round ``round``.

    The unique key makes sending safe to repeat: whoever inserts the row first sends it,
    however many commands or servers try at once.
    """

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("invitation_id", "kind", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "invitation" or "reminder"
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0 for the invitation
    # pending → sending (claimed by one sender) → sent | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    invitation: Mapped[Invitation] = relationship()


class Draft(Base):
    """Answers saved as a contact goes, page by page, so the link resumes on any device."""

    __tablename__ = "drafts"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), primary_key=True)
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    page: Mapped[int] = mapped_column(Integer, default=0)  # the page to reopen on
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Response(Base):
    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    role: Mapped[str | None] = mapped_column(String(40))  # the role when the answer was given
    lang: Mapped[str | None] = mapped_column(String(8))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    # answer ids the contact marked "not applicable" (JSON list): missing in ``values``,
    # counted apart from items left blank
    not_applicable_json: Mapped[str | None] = mapped_column(Text)

    texts: Mapped[list[TextAnswer]] = relationship(cascade="all, delete-orphan")


class TextAnswer(Base):
    __tablename__ = "text_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    answer_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class ScoringRun(Base):
    """A wave's figures as the analysis computed them once, with the data they rest on.

    Pages, downloads and exports read the newest successful run of a wave; a change to the
    data marks the wave stale (:class:`ScoringRequest`) and the background job adds a new
    run. A failed run keeps its error and leaves the previous successful run in use.
    """

    __tablename__ = "scoring_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # "ok" or "failed"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    # what the figures were computed from: a run is current while these are unchanged
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    last_response_id: Mapped[int | None] = mapped_column(Integer)
    assessment_campaign_id: Mapped[int | None] = mapped_column(Integer)
    # instrument versions, stage thresholds, role weights and other settings used (JSON)
    inputs_json: Mapped[str] = mapped_column(Text, default="{}")
    summary_json: Mapped[str | None] = mapped_column(Text)  # the analysis summary
    error: Mapped[str | None] = mapped_column(Text)


class ScoringTable(Base):
    """One result table of a run, as Parquet bytes (typed, compressed, read in one call)."""

    __tablename__ = "scoring_tables"

    run_id: Mapped[int] = mapped_column(ForeignKey("scoring_runs.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ScoringRequest(Base):
    """A wave whose stored figures are stale: since when, and whether a recompute runs."""

    __tablename__ = "scoring_requests"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # set while a recompute runs, so two workers never compute the same wave at once
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what and when: logins, imports, waves, exports, assessment edits, user
    changes. The actor's email is copied, so the log still reads after the user changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "login.failed"
    target: Mapped[str | None] = mapped_column(String(200))  # what it was done to
    detail_json: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(64))  # the client's address


class RateLimitCounter(Base):
    """A fixed-window rate-limit counter (login attempts), shared by every app server that
    uses this database (:mod:`surveyapp.ratelimit`)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


class Alert(Base):
    """A submitted response that calls for the account owner's attention: a detractor's
    recommendation score, or a service gap below the threshold. One per response and rule,
    so a job that runs twice raises it once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("response_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))  # "detractor", "gap.<dimension>", "gap"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    value: Mapped[float] = mapped_column(Float)  # the score or gap that raised it
    threshold: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    account: Mapped[Account] = relationship()
    response: Mapped[Response] = relationship()


class FollowUpTask(Base):
    """Something the account's owner is to do by a date: opened by an alert or by hand,
    closed with a note saying what was done."""

    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)  # what was done, given when closing

    account: Mapped[Account] = relationship()
    alert: Mapped[Alert | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class UserPreference(Base):
    """A user's own choices: the language their alert emails are written in."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    lang: Mapped[str | None] = mapped_column(String(8))
