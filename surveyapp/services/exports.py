"""Excel exports: analysis tables → workbook bytes (the file and the download share this)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.pipeline.account_detail import merge_small_roles
from analysis.report.analysis_book import question_texts
from analysis.report.labels import Labels
from analysis.report.leadership import ReportData, leadership_workbook
from analysis.report.segment import describe_filters, only_segment, segment_row

from ..models import Account, Campaign, FollowUpTask, User
from . import visible
from .campaigns import latest_campaign
from .figures import WaveFigures, wave_figures
from .instruments import questionnaire_of
from .responses import campaign_frame, text_answer_frame, text_answers
from .scoring import COVERAGE_TABLE
from .wave_inputs import ANONYMOUS_MIN_ROLE_ANSWERS, accounts_frame

META_TEXT = ("response_id", "account_id", "contact_id", "role", "wave", "lang")
# what names a person (or the account's company) in the raw exports: left out when masked
PERSONAL_COLUMNS = ("contact_id", "name", "email", "owner", "account")
SATISFIED_TARGET = 0.8  # default share of satisfied accounts leadership aims for


class NoFigures(Exception):
    """The wave has no successful scoring run yet."""


@dataclass(frozen=True)
class ExportFilters:
    """Which accounts the workbook shows (None: every account)."""

    customer_type: str | None = None
    owner: str | None = None
    industry: str | None = None

    def describe(self) -> str:
        return ", ".join(f"{k} = {v}" for k, v in (
            ("customer_type", self.customer_type), ("owner", self.owner),
            ("industry", self.industry)) if v)

    def named(self) -> dict[str, str | None]:
        return {"customer_type": self.customer_type, "owner": self.owner,
                "industry": self.industry}

    def segment(self) -> tuple[str, str] | None:
        """The one segment (column, value) the filters name, if they name exactly one."""
        return only_segment(self.named())

    def keep(self, accounts: pd.DataFrame) -> pd.Series:
        rows = pd.Series(True, index=accounts.index)
        for column, value in (("customer_type", self.customer_type), ("owner", self.owner),
                              ("industry", self.industry)):
            if value and column in accounts:
                rows &= accounts[column].astype("string").str.casefold() == value.casefold()
        return rows


def _filtered(tables: Mapping[str, pd.DataFrame], filters: ExportFilters
              ) -> dict[str, pd.DataFrame]:
    """Every account-keyed table limited to the accounts the filters keep (portfolio tables
    describe the whole wave and stay as they are)."""
    accounts = tables.get("accounts")
    if accounts is None or accounts.empty or not filters.describe():
        return dict(tables)
    codes = set(accounts.loc[filters.keep(accounts), "account_id"].astype(str))
    return {name: (table[table["account_id"].astype(str).isin(codes)].reset_index(drop=True)
                   if "account_id" in table.columns else table)
            for name, table in tables.items()}


def _texts(campaign: Campaign, lang: str) -> dict[str, str]:
    """Item texts and dimension names of the wave's instruments, in ``lang``."""
    return question_texts(questionnaire_of(campaign), lang)


def _previous(session: Session, campaign: Campaign) -> WaveFigures | None:
    """The customer wave before this one that has figures."""
    earlier = session.scalars(select(Campaign).where(
        Campaign.audience == "customer", Campaign.id < campaign.id)
        .order_by(Campaign.id.desc()).limit(3)).all()
    for wave in earlier:
        figures = wave_figures(session, wave)
        if figures.available:
            return figures
    return None


def _tasks(session: Session, codes: set[str]) -> pd.DataFrame:
    """Open follow-up tasks of the accounts shown."""
    rows = session.execute(
        select(Account.code, Account.name, FollowUpTask.title, User.email, FollowUpTask.due_on)
        .join(Account, Account.id == FollowUpTask.account_id)
        .outerjoin(User, User.id == FollowUpTask.owner_id)
        .where(FollowUpTask.closed_at.is_(None))
        .order_by(FollowUpTask.due_on, FollowUpTask.id)).all()
    return pd.DataFrame([(name or code, title, owner or "", due)
                         for code, name, title, owner, due in rows if code in codes],
                        columns=["account", "title", "owner", "due"])


def _comments(session: Session, campaign: Campaign, figures: WaveFigures) -> pd.DataFrame:
    comments = visible.rows_for(figures, text_answers(session, campaign))
    if campaign.anonymous and not comments.empty:
        comments = comments.assign(role=merge_small_roles(
            comments["account_id"].astype("string"), comments["role"].astype("string"),
            ANONYMOUS_MIN_ROLE_ANSWERS), submitted_at=pd.to_datetime(
                comments["submitted_at"]).dt.date).sample(frac=1.0, random_state=0)
    return comments


def report_data(session: Session, figures: WaveFigures, lang: str = "en",
                filters: ExportFilters | None = None,
                satisfied_target: float = SATISFIED_TARGET, own: str | None = None
                ) -> ReportData:
    """What the workbook of the wave's stored run shows (nothing is recomputed). ``own``:
    the email of a manager who sees only their accounts; the Summary then shows their owner
    segment's figures (as the dashboard does), the wave's beside them."""
    if not figures.available or figures.run is None:
        raise NoFigures(f"wave {figures.campaign.id} has no figures yet")
    filters = filters or ExportFilters()
    campaign, run = figures.campaign, figures.run
    tables = _filtered(figures.tables(), filters)
    accounts = tables.get("accounts", pd.DataFrame())
    coverage = tables.pop(COVERAGE_TABLE, pd.DataFrame())
    if not accounts.empty:
        if not coverage.empty:
            accounts = accounts.merge(coverage, on="account_id", how="left")
        tables["accounts"] = accounts
    codes = set(accounts["account_id"].astype(str)) if not accounts.empty else set()
    previous = _previous(session, campaign)
    prior_stages: dict[str, str] = {}
    if previous is not None:
        prior = previous.table("accounts")
        if "stage" in prior:
            prior_stages = {str(a): str(s) for a, s in zip(prior["account_id"], prior["stage"],
                                                          strict=True) if isinstance(s, str)}
    segment = ("owner", own) if own else filters.segment()
    previous_segment = segment_row(previous.table("segments"), *segment) \
        if segment is not None and previous is not None else None
    comments = _comments(session, campaign, figures)
    # an account-keyed run limits every raw row to its (visible, filtered) accounts, even
    # when none is left; a run without accounts has nothing to limit by
    keyed = "accounts" in figures.names()
    if not comments.empty:
        comments = comments[comments["account_id"].astype(str).isin(codes)] if keyed \
            else comments
        comments = comments[["account_id", "role", "submitted_at", "answer_id", "text"]] \
            .rename(columns={"answer_id": "item"})
    responses = responses_frame(session, campaign, masked=False, with_assessment=False)
    if keyed and "account_id" in responses:
        responses = responses[responses["account_id"].isin(codes)]
    return ReportData(
        tables=tables, summary=figures.summary, wave=campaign.name, as_of=run.created_at,
        previous=previous.summary if previous is not None else None,
        response_count=run.response_count,
        previous_response_count=previous.run.response_count
        if previous is not None and previous.run is not None else None,
        previous_stages=prior_stages, satisfied_target=satisfied_target,
        anonymous=bool(campaign.anonymous), responses=responses, comments=comments,
        tasks=_tasks(session, codes), texts=_texts(campaign, lang),
        instruments=[f"{s.instrument_version.instrument_id} v{s.instrument_version.version}"
                     for s in campaign.sections],
        filters=describe_filters(filters.named(), Labels(lang)), segment=segment,
        previous_segment=previous_segment)


def portfolio_workbook(session: Session, figures: WaveFigures, lang: str = "en",
                       filters: ExportFilters | None = None,
                       satisfied_target: float = SATISFIED_TARGET, out: IO[bytes] | None = None,
                       progress: Callable[[str], None] | None = None,
                       own: str | None = None) -> bytes | None:
    """The leadership workbook of the wave's stored run, in ``lang`` (to ``out``, or its
    bytes); ``own``: see :func:`report_data`."""
    data = report_data(session, figures, lang, filters, satisfied_target, own)
    return leadership_workbook(data, lang, out=out, progress=progress)


def sheet_count(session: Session, figures: WaveFigures) -> int:
    """About how many sheets the workbook has (for a progress bar)."""
    accounts = figures.table("accounts")
    key = int((accounts["abc"] == "A").sum()) if "abc" in accounts else 0
    return 8 + key + len(figures.names())


def export_filename(campaign: Campaign) -> str:
    return f"servqual-portfolio-campaign{campaign.id}-{datetime.now(UTC):%Y%m%d}.xlsx"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV has no way to
    mark a cell as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def responses_frame(session: Session, campaign: Campaign, masked: bool = False,
                    with_assessment: bool = True) -> pd.DataFrame:
    """The wave's responses (with the latest managers' assessment) in the wide file format;
    an anonymous wave keeps nothing that ties an answer to a person; ``masked`` drops the
    contact codes too."""
    frames = []
    waves = [campaign] + ([latest_campaign(session, audience="manager")] if with_assessment
                          else [])
    for wave in waves:
        if wave is None:
            continue
        frame = campaign_frame(session, wave)
        if wave.anonymous:  # nothing that ties an answer to a person
            frame["contact_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
            frame["role"] = merge_small_roles(frame["account_id"].astype("string"),
                                              frame["role"].astype("string"),
                                              ANONYMOUS_MIN_ROLE_ANSWERS).to_numpy()
            frame["submitted_at"] = frame["submitted_at"].dt.floor("D")
        texts = text_answer_frame(session, wave)
        if not texts.empty:
            frame = frame.join(texts, on="response_id")
        frames.append(frame)
    table = pd.concat([f.astype({c: "string" for c in META_TEXT}) for f in frames],
                      ignore_index=True).copy()  # one block per dtype, not one per column
    if "submitted_at" in table:
        table["submitted_at"] = table["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    if masked:
        table = table.drop(columns=[c for c in PERSONAL_COLUMNS if c in table.columns])
    return table


def responses_csv(session: Session, campaign: Campaign, masked: bool = False) -> bytes:
    """The wave's responses in the wide file format that ``surveyapp analyze`` reads (UTF-8
    with BOM, so Excel opens it correctly); text a spreadsheet would run is neutralised."""
    table = responses_frame(session, campaign, masked)
    text_columns = [c for c in table.columns if table[c].dtype in ("string", object)]
    table[text_columns] = table[text_columns].astype(object).map(_neutralise)
    return table.to_csv(index=False, float_format="%.10g").encode("utf-8-sig")


def responses_sav(session: Session, campaign: Campaign, path: str, lang: str = "en",
                  masked: bool = False) -> None:
    """The wave's responses as an SPSS file, with variable labels (the items' texts) and
    value labels (the scales' end points, the roles)."""
    from analysis.report.spss import write_sav
    write_sav(responses_frame(session, campaign, masked), questionnaire_of(campaign), path,
              lang)


def accounts_csv(session: Session, masked: bool = False) -> bytes:
    """Every account in the accounts file format (``masked``: without the company and
    owner names)."""
    table = accounts_frame(session)
    if masked:
        table = table.drop(columns=[c for c in PERSONAL_COLUMNS if c in table.columns])
    table = table.astype(object).map(_neutralise)
    return table.to_csv(index=False, float_format="%.10g").encode("utf-8-sig")


def instrument_sources(campaign: Campaign) -> dict[str, str]:
    """The exact instrument files a wave asked, by file name."""
    return {f"{s.instrument_version.instrument_id}.toml": s.instrument_version.source
            for s in campaign.sections}
