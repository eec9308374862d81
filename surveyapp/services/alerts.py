"""Alerts: a submitted response that calls for the account owner's attention.

Rules (thresholds are settings, :class:`AlertRules`):

- ``detractor``: the instrument's 0–10 recommendation item (NPS) answered 0–6;
- ``gap.<dimension>``: the respondent's SERVQUAL gap on a dimension, P − E averaged over
  the dimension's items answered with both (DESIGN.md), at or below ``ALERT_GAP_THRESHOLD``;
- ``gap``: the respondent's unweighted SERVQUAL score (the mean of their dimension gaps) at
  or below ``ALERT_OVERALL_GAP_THRESHOLD``.

The survey queues :func:`alert_job` once the response is committed; the job stores one
:class:`Alert` per response and rule (a unique key, so a retried job raises nothing twice),
opens each alert's follow-up task, then queues the notifications: the email to the owner
(in the owner's language, through :mod:`services.mail`) and each configured webhook
(:mod:`services.webhooks`). An alert on an anonymous wave names the account, never the
person. The dashboard reads :func:`open_for`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from analysis import Questionnaire, ServqualLayout
from analysis.pipeline.detect import find_nps_column, find_servqual

from .. import jobs
from ..config import alert_threshold
from ..models import Account, Alert, Campaign, FollowUpTask, Response, User, UserPreference
from . import access, tasks
from .instruments import questionnaire_of
from .mail import MailError, MailSettings, compose, transport
from .responses import unpack

DETRACTOR = "detractor"
OVERALL_GAP = "gap"
GAP_PREFIX = "gap."


@dataclass(frozen=True)
class AlertRules:
    """When a response raises an alert, and how long its task may take."""

    detractor_max: float | None = 6.0  # 0–6 on the 0–10 scale; None = no detractor alerts
    gap_threshold: float | None = -2.0  # per dimension P − E; None = none
    overall_gap_threshold: float | None = None  # mean of the dimension gaps; None = none
    task_due_days: int = tasks.DEFAULT_DUE_DAYS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AlertRules:
        def number(key: str, default: float | None) -> float | None:
            value = config.get(key, default)
            if isinstance(value, str):  # an instance config may say "off" as the env does
                return alert_threshold(key, value)
            return None if value is None else float(value)

        return cls(detractor_max=number("ALERT_DETRACTOR_MAX", 6.0),
                   gap_threshold=number("ALERT_GAP_THRESHOLD", -2.0),
                   overall_gap_threshold=number("ALERT_OVERALL_GAP_THRESHOLD", None),
                   task_due_days=int(config.get("TASK_DUE_DAYS", tasks.DEFAULT_DUE_DAYS)))


@dataclass(frozen=True)
class Finding:
    rule: str
    value: float
    threshold: float


def _mean(values: Iterable[float]) -> float | None:
    present = [v for v in values if not math.isnan(v)]
    return sum(present) / len(present) if present else None


def findings(answers: Mapping[str, float], questionnaire: Questionnaire,
             rules: AlertRules) -> list[Finding]:
    """The rules one response's numeric answers (NaN or absent = missing) break."""
    found: list[Finding] = []

    def answer(column: str) -> float:
        value = answers.get(column)
        return math.nan if value is None else float(value)

    nps_column = find_nps_column(questionnaire)
    if nps_column is not None and rules.detractor_max is not None:
        score = answer(nps_column)
        if not math.isnan(score) and score <= rules.detractor_max:
            found.append(Finding(DETRACTOR, score, rules.detractor_max))
    servqual = find_servqual(questionnaire)
    if servqual is None:
        return found
    layout = ServqualLayout.of(servqual)
    gaps: list[float] = []
    for dimension in layout.dimensions:
        gap = _mean(answer(p) - answer(e) for e, p in zip(
            layout.e_columns[dimension], layout.p_columns[dimension], strict=True))
        if gap is None:
            continue
        gaps.append(gap)
        if rules.gap_threshold is not None and gap <= rules.gap_threshold:
            found.append(Finding(GAP_PREFIX + dimension, gap, rules.gap_threshold))
    overall = _mean(gaps)
    if overall is not None and rules.overall_gap_threshold is not None \
            and overall <= rules.overall_gap_threshold:
        found.append(Finding(OVERALL_GAP, overall, rules.overall_gap_threshold))
    return found


def _answers(response: Response, campaign: Campaign) -> dict[str, float]:
    columns = campaign.answer_columns
    row = unpack([response.values], len(columns))[0]
    return dict(zip(columns, row.tolist(), strict=True))


def rule_label(rule: str, questionnaire: Questionnaire | None = None,
               lang: str = "en") -> str:
    """The rule in words (in the current locale; dimension names in ``lang``)."""
    if rule == DETRACTOR:
        return _("Detractor: recommendation score 0–6")
    if rule == OVERALL_GAP:
        return _("Large negative service gap overall")
    dimension = rule.removeprefix(GAP_PREFIX)
    name = dimension
    if questionnaire is not None:
        servqual = find_servqual(questionnaire)
        construct = next((c for c in servqual.constructs if c.id == dimension), None) \
            if servqual is not None else None
        if construct is not None:
            name = construct.name.get(lang) or dimension
    return _("Large negative service gap: %(dimension)s", dimension=name)


def alert_title(session: Session, alert: Alert, lang: str,
                questionnaires: dict[int, Questionnaire | None] | None = None) -> str:
    """"<account>: <rule>" in the current locale (dimension names in ``lang``);
    ``questionnaires`` keeps each wave's questionnaire for the next title of a list."""
    known = {} if questionnaires is None else questionnaires
    campaign_id = alert.response.campaign_id
    if campaign_id not in known:
        campaign = session.get(Campaign, campaign_id)
        known[campaign_id] = questionnaire_of(campaign) if campaign is not None else None
    return f"{alert.account.name}: {rule_label(alert.rule, known[campaign_id], lang)}"


def raise_alerts(session: Session, response_id: int, rules: AlertRules,
                 today: date) -> list[Alert]:
    """Store the response's alerts that are not stored yet, each with its follow-up task,
    in one transaction; returns the alerts added (none when a run before added them)."""
    response = session.get(Response, response_id)
    if response is None or response.account_id is None:
        return []
    campaign = session.get(Campaign, response.campaign_id)
    if campaign is None or campaign.audience != "customer":
        return []  # the managers' own assessment raises nothing
    account = session.get(Account, response.account_id)
    assert account is not None
    questionnaire = questionnaire_of(campaign)
    found = findings(_answers(response, campaign), questionnaire, rules)
    stored = set(session.scalars(select(Alert.rule).where(Alert.response_id == response_id)))
    added = []
    default_lang = current_app.config["LANGUAGES"][0]
    for finding in found:
        if finding.rule in stored:
            continue
        alert = Alert(response_id=response.id, rule=finding.rule, account_id=account.id,
                      owner_id=account.owner_id, value=finding.value,
                      threshold=finding.threshold)
        session.add(alert)
        with force_locale(default_lang):
            title = f"{account.name}: {rule_label(finding.rule, questionnaire, default_lang)}"
        tasks.open_for_alert(session, alert, title, today, rules.task_due_days)
        added.append(alert)
    if not added:
        return []
    try:
        session.commit()
    except IntegrityError:  # another run of the job stored them at the same moment
        session.rollback()
        return []
    return added


def raise_for_wave(session: Session, campaign_id: int, rules: AlertRules,
                   today: date) -> int:
    """Raise the alerts (and tasks) that a wave's stored responses call for and that are
    not stored yet — for answers that came in before alerts existed, or under other
    thresholds. Sends nothing: an alert raised this way is listed, not emailed. Returns
    how many were added (one transaction)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.audience != "customer":
        return 0
    questionnaire = questionnaire_of(campaign)
    columns = campaign.answer_columns
    rows = session.execute(select(Response.id, Response.account_id, Response.values).where(
        Response.campaign_id == campaign_id, Response.account_id.is_not(None))).all()
    if not rows:
        return 0
    stored = {(response_id, rule) for response_id, rule in session.execute(
        select(Alert.response_id, Alert.rule).join(Response, Alert.response_id == Response.id)
        .where(Response.campaign_id == campaign_id))}
    accounts = {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_(select(Response.account_id).where(
            Response.campaign_id == campaign_id))))}
    values = unpack([blob for _id, _account, blob in rows], len(columns))
    default_lang = current_app.config["LANGUAGES"][0]
    added = 0
    for (response_id, account_id, _blob), row in zip(rows, values, strict=True):
        answers = dict(zip(columns, row.tolist(), strict=True))
        for finding in findings(answers, questionnaire, rules):
            if (response_id, finding.rule) in stored:
                continue
            account = accounts.get(account_id) if account_id is not None else None
            if account is None:  # an answer with no account has no owner to tell
                continue
            alert = Alert(response_id=response_id, rule=finding.rule, account_id=account_id,
                          owner_id=account.owner_id, value=finding.value,
                          threshold=finding.threshold)
            # a backfill: the owner is not emailed about answers that may be months old
            alert.emailed_at = datetime.now(UTC)
            session.add(alert)
            with force_locale(default_lang):
                title = (f"{account.name}: "
                         f"{rule_label(finding.rule, questionnaire, default_lang)}")
            tasks.open_for_alert(session, alert, title, today, rules.task_due_days)
            added += 1
    session.commit()
    return added


def open_for(session: Session, user: access.Person,
             account_ids: Iterable[int] | None = None,
             limit: int | None = None) -> list[Alert]:
    """Alerts whose follow-up task is still open, on the accounts ``user`` sees, newest
    first (for the dashboard and the scorecard); at most ``limit`` of them."""
    query = (select(Alert).join(Account, Alert.account_id == Account.id)
             .join(FollowUpTask, FollowUpTask.alert_id == Alert.id)
             .where(access.account_filter(user), FollowUpTask.closed_at.is_(None))
             .options(joinedload(Alert.account))
             .order_by(Alert.created_at.desc(), Alert.id.desc()))
    if account_ids is not None:
        query = query.where(Alert.account_id.in_(list(account_ids)))
    return list(session.scalars(query.limit(limit)))


# --------------------------------------------------------------------------- describing


@dataclass(frozen=True)
class AlertText:
    """What a notification says about an alert, in one language."""

    subject: str
    lines: list[str]
    account: str
    link: str | None


def user_language(session: Session, user_id: int | None, languages: tuple[str, ...]) -> str:
    """The language a user chose for their alerts (the app's first language otherwise)."""
    chosen = session.get(UserPreference, user_id) if user_id is not None else None
    if chosen is not None and chosen.lang in languages:
        return chosen.lang
    return languages[0]


def set_user_language(session: Session, user_id: int, lang: str) -> None:
    """Keep the language the user wants their alert emails in (committed)."""
    preference = session.get(UserPreference, user_id) or UserPreference(user_id=user_id)
    preference.lang = lang
    session.add(preference)
    session.commit()


def describe(session: Session, alert: Alert, lang: str, base_url: str | None) -> AlertText:
    """The alert in words: account, wave, rule and value; the respondent's name and role
    only for a named wave (an anonymous wave's alert names the account, not the person)."""
    response = alert.response
    campaign = session.get(Campaign, response.campaign_id)
    assert campaign is not None
    questionnaire = questionnaire_of(campaign)
    account = alert.account
    value = f"{alert.value:.2f}".rstrip("0").rstrip(".")  # −1.75, 3
    threshold = f"{alert.threshold:g}"
    with force_locale(lang):
        label = rule_label(alert.rule, questionnaire, lang)
        lines = [_("Account: %(name)s (%(code)s)", name=account.name, code=account.code),
                 _("Wave: %(wave)s", wave=campaign.name),
                 label,
                 _("Value: %(value)s (threshold %(threshold)s)", value=value,
                   threshold=threshold)]
        if campaign.anonymous:
            lines.append(_("The wave is anonymous: the answer is not tied to a person."))
        elif response.contact_id is not None:
            from ..models import Contact

            contact = session.get(Contact, response.contact_id)
            if contact is not None and contact.erased_at is None:
                from ..labels import ROLES

                role = str(ROLES.get(response.role or "unknown", response.role))
                lines.append(_("Answered by: %(name)s (%(role)s)", name=contact.name,
                               role=role))
        subject = _("Alert on %(account)s: %(rule)s", account=account.name, rule=label)
    link = f"{base_url.rstrip('/')}/accounts/{account.code}/tasks" if base_url else None
    return AlertText(subject, lines, account.name, link)


# --------------------------------------------------------------------------- jobs


def _base_url() -> str | None:
    return current_app.config.get("PUBLIC_URL") or None


@jobs.job(retries=3, retry_delay=30, retry_backoff=2)
def alert_job(response_id: int) -> int:
    """Raise the response's alerts and queue their notifications; returns how many."""
    from ..db import get_session
    from . import webhooks
    from .surveys import today_in

    session = get_session()
    rules = AlertRules.from_config(current_app.config)
    added = raise_alerts(session, response_id, rules,
                         today_in(current_app.config["SURVEY_TIMEZONE"]))
    # the email is safe to queue for every alert not yet emailed (it claims its alert);
    # webhooks go out once, for the alerts this run added
    for alert_id in session.scalars(select(Alert.id).where(
            Alert.response_id == response_id, Alert.emailed_at.is_(None))):
        email_alert_job(alert_id)
    for alert in added:
        webhooks.queue_for_alert(alert.id, current_app.config)
    return len(added)


class AlertNotDelivered(Exception):
    """The alert email could not be handed over; the job tries again later."""


def email_alert(session: Session, alert_id: int, mail: MailSettings,
                languages: tuple[str, ...], base_url: str | None) -> bool:
    """Email the alert to the account's owner once; False when there is no one to email or
    it went out before. A failed send leaves the alert unsent and raises MailError."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.emailed_at is not None or alert.owner_id is None:
        return False
    owner = session.get(User, alert.owner_id)
    if owner is None or not owner.active or not owner.email:
        return False
    claimed = session.execute(update(Alert).where(Alert.id == alert_id,
                                                  Alert.emailed_at.is_(None))
                              .values(emailed_at=datetime.now(UTC))
                              .execution_options(synchronize_session=False)
                              ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if claimed != 1:
        return False  # another run claimed it
    lang = user_language(session, owner.id, languages)
    text = describe(session, alert, lang, base_url)
    with force_locale(lang):
        context = {"text": text, "lang": lang, "owner": owner}
        env = current_app.jinja_env
        body = env.get_template("mail/alert.txt").render(context)
        html = env.get_template("mail/alert.html").render(context)
    message = compose(mail, owner.email, owner.name, text.subject, body, html)
    try:
        with transport(mail) as out:
            out.send(message, f"alert-{alert.id:07d}")
    except MailError:
        session.execute(update(Alert).where(Alert.id == alert_id).values(emailed_at=None)
                        .execution_options(synchronize_session=False))
        session.commit()
        raise
    return True


@jobs.job(retries=5, retry_delay=60, retry_backoff=2)
def email_alert_job(alert_id: int) -> bool:
    from ..db import get_session

    config = current_app.config
    try:
        return email_alert(get_session(), alert_id,
                           MailSettings.from_config(config, current_app.instance_path),
                           tuple(config["LANGUAGES"]), _base_url())
    except MailError as exc:
        raise AlertNotDelivered(str(exc)) from exc
