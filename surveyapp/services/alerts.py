"""Alerts: a submitted response that calls for the account owner's attention.

Rules (thresholds are settings, :class:`AlertRules`):

- ``detractor``: the instrument's 0–10 recommendation item (NPS) answered 0–6;
- ``gap.<dimension>``: the respondent's SERVQUAL gap on a dimension, P − E averaged over
  the dimension's items answered with both (DESIGN.md), at or below ``ALERT_GAP_THRESHOLD``;
- ``gap``: the respondent's unweighted SERVQUAL score (the mean of their dimension gaps) at
  or below ``ALERT_OVERALL_GAP_THRESHOLD``.

The survey queues :func:`alert_job` once the response is committed; the job stores **one**
:class:`Alert` per response however many rules it breaks (a response with an alert raises no
second one, so a retried job raises nothing twice), opens its one follow-up task, then
queues one email to the owner (in the owner's language, through :mod:`services.mail`) and
one call per configured webhook (:mod:`services.webhooks`). The alert's ``rule``, ``value``
and ``threshold`` are its headline finding (the detractor score, else the worst gap); every
rule the response broke is worked out again from its stored answers when it is described
(:func:`findings_of`). A title says what happened — the respondent's role (named waves
only: an anonymous wave's alert names the account, never the person or role), the score,
the dimensions and the date. The dashboard reads :func:`open_for` and :func:`count_open`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
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


def dimension_name(rule: str, questionnaire: Questionnaire | None, lang: str) -> str:
    """The gap rule's dimension as the instrument names it in ``lang``."""
    dimension = rule.removeprefix(GAP_PREFIX)
    servqual = find_servqual(questionnaire) if questionnaire is not None else None
    construct = next((c for c in servqual.constructs if c.id == dimension), None) \
        if servqual is not None else None
    return (construct.name.get(lang) or dimension) if construct is not None else dimension


def rule_label(rule: str, questionnaire: Questionnaire | None = None,
               lang: str = "en") -> str:
    """The rule in words (in the current locale; dimension names in ``lang``)."""
    if rule == DETRACTOR:
        return _("Detractor: recommendation score 0–6")
    if rule == OVERALL_GAP:
        return _("Large negative service gap overall")
    return _("Large negative service gap: %(dimension)s",
             dimension=dimension_name(rule, questionnaire, lang))


def alert_title(session: Session, alert: Alert, lang: str,
                questionnaires: dict[int, Questionnaire | None] | None = None,
                with_account: bool = True) -> str:
    """The alert's title (:func:`compose_title`) in the current locale, dimension names in
    ``lang``; ``questionnaires`` keeps each wave's questionnaire for the next title of a
    list."""
    known = {} if questionnaires is None else questionnaires
    response = alert.response
    campaign = session.get(Campaign, response.campaign_id)
    if response.campaign_id not in known:
        known[response.campaign_id] = questionnaire_of(campaign) if campaign else None
    questionnaire = known[response.campaign_id]
    found = findings_of(session, alert, questionnaire=questionnaire) \
        if questionnaire is not None else [Finding(alert.rule, alert.value, alert.threshold)]
    return compose_title(alert.account.name if with_account else None, response.role,
                         bool(campaign.anonymous) if campaign else True, found,
                         questionnaire, lang,
                         _answered_on(response, current_app.config.get("SURVEY_TIMEZONE")))


def headline(found: list[Finding]) -> Finding:
    """The finding an alert is filed under: the detractor score, else the worst gap."""
    detractor = next((f for f in found if f.rule == DETRACTOR), None)
    return detractor or min(found, key=lambda f: f.value)


def _number(value: float) -> str:
    """3, −2, −2.4: a minus sign, one decimal only where there is one."""
    text = f"{value:.1f}" if value % 1 else f"{value:.0f}"
    return text.replace("-", "\u2212")


def what_happened(found: list[Finding], questionnaire: Questionnaire | None,
                  lang: str) -> str:
    """Every broken rule in a few words (current locale): 'recommendation 3 of 10 · gaps:
    Reliability −2.4, Empathy −2.1'."""
    parts = []
    gaps = []
    for finding in found:
        if finding.rule == DETRACTOR:
            parts.append(_("recommendation %(score)s of 10", score=_number(finding.value)))
        elif finding.rule == OVERALL_GAP:
            parts.append(_("overall gap %(gap)s", gap=_number(finding.value)))
        else:
            gaps.append(f"{dimension_name(finding.rule, questionnaire, lang)} "
                        f"{_number(finding.value)}")
    if gaps:
        parts.append(_("gaps: %(list)s", list=_(", ").join(gaps)))
    return " · ".join(parts)


def compose_title(account_name: str | None, role: str | None, anonymous: bool,
                  found: list[Finding], questionnaire: Questionnaire | None, lang: str,
                  answered_on: date) -> str:
    """'<account>: <role> · <what happened> · <date>' in the current locale (without the
    account when ``account_name`` is None); an anonymous wave's title names no role (with
    a handful of contacts a role can name the person)."""
    from ..labels import ROLES

    who = None if anonymous else str(ROLES.get(role or "unknown", role or ""))
    what = " · ".join(p for p in (who, what_happened(found, questionnaire, lang),
                                  answered_on.isoformat()) if p)
    return what if account_name is None else _("%(account)s: %(what)s",
                                                account=account_name, what=what)


def _answered_on(response: Response, timezone: str | None) -> date:
    submitted = response.submitted_at
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=UTC)
    return submitted.astimezone(ZoneInfo(timezone)).date() if timezone else submitted.date()


def _new_alert(session: Session, response: Response, account: Account, found: list[Finding],
               campaign: Campaign, questionnaire: Questionnaire, rules: AlertRules,
               today: date, lang: str, timezone: str | None) -> Alert:
    """One alert for the response with its follow-up task (added, not committed)."""
    first = headline(found)
    alert = Alert(response_id=response.id, rule=first.rule, account_id=account.id,
                  owner_id=account.owner_id, value=first.value, threshold=first.threshold)
    session.add(alert)
    with force_locale(lang):
        title = compose_title(account.name, response.role, bool(campaign.anonymous), found,
                              questionnaire, lang, _answered_on(response, timezone))
    tasks.open_for_alert(session, alert, title, today, rules.task_due_days)
    return alert


def raise_alerts(session: Session, response_id: int, rules: AlertRules,
                 today: date) -> list[Alert]:
    """Store the response's one alert, with its follow-up task, unless it has one already
    (one transaction); returns the alert added, or nothing."""
    response = session.get(Response, response_id)
    if response is None or response.account_id is None:
        return []
    campaign = session.get(Campaign, response.campaign_id)
    if campaign is None or campaign.audience != "customer":
        return []  # the managers' own assessment raises nothing
    if session.scalar(select(Alert.id).where(Alert.response_id == response_id).limit(1)):
        return []
    account = session.get(Account, response.account_id)
    assert account is not None
    questionnaire = questionnaire_of(campaign)
    found = findings(_answers(response, campaign), questionnaire, rules)
    if not found:
        return []
    config = current_app.config
    alert = _new_alert(session, response, account, found, campaign, questionnaire, rules,
                       today, config["LANGUAGES"][0], config.get("SURVEY_TIMEZONE"))
    try:
        session.commit()
    except IntegrityError:  # another run of the job stored it at the same moment
        session.rollback()
        return []
    return [alert]


def raise_for_wave(session: Session, campaign_id: int, rules: AlertRules,
                   today: date) -> int:
    """Raise the alert (and task) each of a wave's stored responses calls for and does not
    have yet — for answers that came in before alerts existed, or under other thresholds.
    Sends nothing: an alert raised this way is listed, not emailed. Returns how many were
    added (one transaction)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.audience != "customer":
        return 0
    questionnaire = questionnaire_of(campaign)
    columns = campaign.answer_columns
    responses = list(session.scalars(select(Response).where(
        Response.campaign_id == campaign_id, Response.account_id.is_not(None))))
    if not responses:
        return 0
    alerted = set(session.scalars(select(Alert.response_id).join(
        Response, Alert.response_id == Response.id).where(Response.campaign_id == campaign_id)))
    accounts = {a.id: a for a in session.scalars(select(Account).where(
        Account.id.in_({r.account_id for r in responses})))}
    values = unpack([r.values for r in responses], len(columns))
    config = current_app.config
    added = 0
    for response, row in zip(responses, values, strict=True):
        account = accounts.get(response.account_id) if response.account_id else None
        if response.id in alerted or account is None:
            continue
        found = findings(dict(zip(columns, row.tolist(), strict=True)), questionnaire, rules)
        if not found:
            continue
        alert = _new_alert(session, response, account, found, campaign, questionnaire, rules,
                           today, config["LANGUAGES"][0], config.get("SURVEY_TIMEZONE"))
        # a backfill: the owner is not emailed about answers that may be months old
        alert.emailed_at = datetime.now(UTC)
        added += 1
    session.commit()
    return added


def findings_of(session: Session, alert: Alert, rules: AlertRules | None = None,
                questionnaire: Questionnaire | None = None) -> list[Finding]:
    """Every rule the alert's response broke (under ``rules``, the app's by default); the
    stored headline alone when the thresholds changed since and nothing is broken now."""
    response = alert.response
    campaign = session.get(Campaign, response.campaign_id)
    headline_only = [Finding(alert.rule, alert.value, alert.threshold)]
    if campaign is None:
        return headline_only
    rules = rules or AlertRules.from_config(current_app.config)
    found = findings(_answers(response, campaign), questionnaire or questionnaire_of(campaign),
                     rules)
    return found or headline_only


def _open_query(user: access.Person, account_ids: Iterable[int] | None,
                account_codes: Iterable[str] | None) -> Any:
    query = (select(Alert).join(Account, Alert.account_id == Account.id)
             .join(FollowUpTask, FollowUpTask.alert_id == Alert.id)
             .where(access.account_filter(user), FollowUpTask.closed_at.is_(None)))
    if account_ids is not None:
        query = query.where(Alert.account_id.in_(list(account_ids)))
    if account_codes is not None:
        query = query.where(Account.code.in_(list(account_codes)))
    return query


def open_for(session: Session, user: access.Person,
             account_ids: Iterable[int] | None = None,
             limit: int | None = None,
             account_codes: Iterable[str] | None = None) -> list[Alert]:
    """Alerts whose follow-up task is still open, on the accounts ``user`` sees (and among
    ``account_ids`` / ``account_codes`` when given), newest first; at most ``limit``."""
    query = (_open_query(user, account_ids, account_codes)
             .options(joinedload(Alert.account))
             .order_by(Alert.created_at.desc(), Alert.id.desc()))
    return list(session.scalars(query.limit(limit)))


def count_open(session: Session, user: access.Person,
               account_codes: Iterable[str] | None = None) -> int:
    """How many alerts :func:`open_for` would list without a limit."""
    counted = _open_query(user, None, account_codes).with_only_columns(
        func.count(Alert.id), maintain_column_froms=True)
    return int(session.scalar(counted) or 0)


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
    """The alert in words: account, wave, every rule the response broke with its value,
    the date; the respondent's name and role only for a named wave (an anonymous wave's
    alert names the account, not the person)."""
    response = alert.response
    campaign = session.get(Campaign, response.campaign_id)
    assert campaign is not None
    questionnaire = questionnaire_of(campaign)
    account = alert.account
    found = findings_of(session, alert, questionnaire=questionnaire)
    with force_locale(lang):
        lines = [_("Account: %(name)s (%(code)s)", name=account.name, code=account.code),
                 _("Wave: %(wave)s", wave=campaign.name),
                 _("Answered on: %(date)s", date=_answered_on(
                     response, current_app.config.get("SURVEY_TIMEZONE")).isoformat())]
        lines += [_("%(rule)s: %(value)s (threshold %(threshold)s)",
                    rule=rule_label(f.rule, questionnaire, lang), value=_number(f.value),
                    threshold=_number(f.threshold)) for f in found]
        if campaign.anonymous:
            lines.append(_("The wave is anonymous: the answer is not tied to a person."))
        elif response.contact_id is not None:
            from ..labels import ROLES
            from ..models import Contact

            contact = session.get(Contact, response.contact_id)
            if contact is not None and contact.erased_at is None:
                role = str(ROLES.get(response.role or "unknown", response.role))
                lines.append(_("Answered by: %(name)s (%(role)s)", name=contact.name,
                               role=role))
        subject = _("Alert on %(account)s: %(what)s", account=account.name,
                    what=what_happened(found, questionnaire, lang))
    link = f"{base_url.rstrip('/')}/accounts/{account.code}/tasks" if base_url else None
    return AlertText(subject, lines, account.name, link)


# --------------------------------------------------------------------------- jobs


def _base_url() -> str | None:
    return current_app.config.get("PUBLIC_URL") or None


@jobs.job(retries=3, retry_delay=30, retry_backoff=2)
def alert_job(response_id: int) -> int:
    """Raise the response's one alert and queue its notifications; returns 1 or 0."""
    from ..db import get_session
    from . import webhooks
    from .surveys import today_in

    session = get_session()
    rules = AlertRules.from_config(current_app.config)
    added = raise_alerts(session, response_id, rules,
                         today_in(current_app.config["SURVEY_TIMEZONE"]))
    # the email is safe to queue for the alert while it is not emailed (it claims its
    # alert); the webhooks go out once, when this run added the alert
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
