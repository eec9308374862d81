"""A demo portfolio: realistic accounts, contacts, a survey wave and most of its answers.

Generated with a fixed seed. Account service levels depend on the customer type and a
per-account draw, so scorecards differ in believable ways rather than by uniform noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analysis import Questionnaire
from analysis.synthetic import simulate_responses

from ..models import Account, Campaign, Contact, Invitation, Response
from . import invitations, users
from .instruments import new_campaign, questionnaire_of
from .responses import pack

DEMO_EMAIL = "demo@example.com"
DEMO_CAMPAIGN = "2026 年度客户满意度调查 / 2026 customer survey"
DEMO_INSTRUMENTS = ["servqual", "satisfaction", "loyalty"]
ASSESSMENT_INSTRUMENTS = ["relationship", "grid25", "servqual_gap1"]
# managers tend to underrate what customers expect of reliability and responsiveness
UNDERRATED = ("reliability", "responsiveness")
N_ACCOUNTS = 36
LINKS_TO_PRINT = 3

INDUSTRIES = [
    ("钢铁", "steel"), ("化工", "chemicals"), ("汽车零部件", "auto parts"), ("电力", "power"),
    ("水处理", "water treatment"), ("机械制造", "machinery"), ("半导体", "semiconductors"),
    ("食品饮料", "food & beverage"),
]
PLACES = ["华东", "江苏", "浙江", "山东", "天津", "广东", "四川", "湖北", "河南", "辽宁", "福建",
          "安徽"]
WORDS = ["恒远", "金泰", "宏达", "新锐", "中科", "永盛", "华力", "博创", "海纳", "瑞丰", "东方",
         "鼎盛", "天工", "联创", "晨光", "凯华", "万通", "正邦"]
SUFFIX = {"steel": "钢铁有限公司", "chemicals": "化工股份有限公司",
          "auto parts": "汽车部件有限公司", "power": "电力设备有限公司",
          "water treatment": "水务集团有限公司",
          "machinery": "机械制造有限公司", "semiconductors": "半导体科技有限公司",
          "food & beverage": "食品有限公司"}
FOREIGN = {"water treatment": "Nordic Water Technologies (Suzhou) Co., Ltd.",
           "machinery": "Alpine Motion Systems (Tianjin) Co., Ltd.",
           "semiconductors": "Pacific Wafer Solutions (Wuxi) Ltd.",
           "food & beverage": "Rhein Brewing Nanjing Co., Ltd."}
OWNERS = ["王磊", "李娜", "张伟", "陈静", "Tom Becker"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "华", "丽", "刚", "平", "辉"]
EN_NAMES = ["Anna Schmidt", "David Miller", "Laura Rossi", "Peter Novak", "Sofia Lind",
            "James Carter", "Eva Keller", "Marco Bianchi"]
ROLE_ORDER = ["economic", "technical", "user", "financial", "coach", "influencer"]
CUSTOMER_TYPES = ["price_sensitive", "value_added", "partnership"]


# one login per role; the demo's five owners are split between the two managers, so
# each manager sees only their accounts (and a manager's page can be tried against the
# other's account)
DEMO_LOGINS = (
    ("admin", DEMO_EMAIL, "Demo administrator", ()),
    ("manager", "wang.lei@example.com", "王磊", ("王磊", "李娜", "张伟")),
    ("manager", "chen.jing@example.com", "陈静", ("陈静", "Tom Becker")),
    ("leadership", "leadership@example.com", "Demo leadership", ()),
)


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


@dataclass
class DemoLogin:
    links: list[str]
    created: bool
    logins: list[Login] = field(default_factory=list)  # one per role, administrator first


# Each demo account is drawn for a relationship stage, and its figures follow from it, so
# the portfolio spreads over every stage in believable ways (Millman & Wilson; the deck's
# share of business rising 30–50 % → 50–100 % → 100 %).
STAGE_MIX = {
    "price_sensitive": (["pre_kam", "early", "mid", "uncoupling"], [0.12, 0.5, 0.26, 0.12]),
    "value_added": (["early", "mid", "partnership", "uncoupling"], [0.25, 0.45, 0.22, 0.08]),
    "partnership": (["mid", "partnership", "synergistic"], [0.2, 0.45, 0.35]),
}
STAGE_PROFILE = {
    #              level  ±     share of wallet  contacts  grid step / level (1–5)
    "pre_kam":     (-0.2, 0.3, (0.0, 0.0),       (3, 4), (1, 1)),
    "early":       (-0.3, 0.4, (0.08, 0.28),     (3, 5), (1, 2)),
    "mid":         (0.1, 0.35, (0.32, 0.48),     (3, 5), (2, 3)),
    "partnership": (0.9, 0.2, (0.55, 0.85),      (5, 6), (3, 4)),
    "synergistic": (1.5, 0.15, (0.93, 1.0),      (5, 6), (4, 5)),
    "uncoupling":  (-1.0, 0.3, (0.1, 0.3),       (3, 4), (1, 2)),
}



def _numbers(row: pd.Series | pd.DataFrame) -> dict[str, float]:
    """One simulated response (a row) as answer column → value (NaN = not answered)."""
    if not isinstance(row, pd.Series):
        raise TypeError("one response is one row")
    return {str(column): float(value) for column, value in row.items()}

def _assessment(stage: str, rng: np.random.Generator) -> dict[str, float]:
    """The account manager's assessment (relationship.toml answers) fitting the stage."""
    pick = {
        "pre_kam": dict(supplier_status=1, trust=2, info_sharing=1, joint_planning=1,
                        exec_sponsor=0, contact_levels=1, contact_functions=1),
        "early": dict(supplier_status=1, trust=int(rng.integers(2, 4)), info_sharing=2,
                      joint_planning=int(rng.integers(1, 3)), exec_sponsor=0,
                      contact_levels=1, contact_functions=2),
        "mid": dict(supplier_status=2, trust=3, info_sharing=3,
                    joint_planning=int(rng.integers(2, 4)), exec_sponsor=int(rng.integers(0, 2)),
                    contact_levels=2, contact_functions=3),
        "partnership": dict(supplier_status=int(rng.integers(2, 4)), trust=4, info_sharing=4,
                            joint_planning=4, exec_sponsor=1, contact_levels=3,
                            contact_functions=4),
        "synergistic": dict(supplier_status=3, trust=5, info_sharing=5, joint_planning=5,
                            exec_sponsor=1, contact_levels=3, contact_functions=5),
        "uncoupling": dict(supplier_status=1, trust=int(rng.integers(1, 3)), info_sharing=1,
                           joint_planning=1, exec_sponsor=0, contact_levels=1,
                           contact_functions=2),
    }[stage]
    return {k: float(v) for k, v in pick.items()}


def _accounts(rng: np.random.Generator) -> list[dict]:
    rows = []
    used: set[str] = set()
    for k in range(N_ACCOUNTS):
        zh_industry, industry = INDUSTRIES[k % len(INDUSTRIES)]
        if k % 9 == 4 and industry in FOREIGN:
            name = FOREIGN[industry]
        else:
            while True:
                name = rng.choice(PLACES) + rng.choice(WORDS) + SUFFIX[industry]
                if name not in used:
                    break
        used.add(name)
        ctype = CUSTOMER_TYPES[int(rng.choice(3, p=[0.4, 0.4, 0.2]))]
        stages, weights = STAGE_MIX[ctype]
        stage = str(rng.choice(stages, p=weights))
        level, spread, (share_lo, share_hi), _contacts, _grid = STAGE_PROFILE[stage]
        market = float(np.round(rng.lognormal(15.8, 0.8), -3))  # the account's spend, CNY
        share = rng.uniform(share_lo, share_hi)
        revenue = float(np.round(market * share, -3))
        trend = {"uncoupling": rng.uniform(0.3, 0.45), "synergistic": rng.normal(1.12, 0.05),
                 "partnership": rng.normal(1.08, 0.06)}.get(stage, rng.normal(1.03, 0.12))
        margin = float(np.round(np.clip(rng.normal(
            {"price_sensitive": 0.16, "value_added": 0.27, "partnership": 0.31}[ctype], 0.06),
            0.03, 0.5), 3))
        rows.append({
            "code": f"A{k + 1:03d}", "name": name, "industry": zh_industry,
            "customer_type": ctype, "owner": str(rng.choice(OWNERS)),
            "revenue": revenue, "margin": margin,
            # serving an account costs a base (visits, samples) plus a share of its volume
            "cost_to_serve": float(np.round(rng.uniform(40e3, 120e3) + revenue *
                                            rng.uniform(0.03, 0.15), -3)),
            "wallet": market,
            "revenue_prev": float(np.round(revenue / trend, -3)) if revenue else 0.0,
            "referral_value": float(np.round(rng.exponential(0.05) * revenue, -3)),
            "period": "2026",
            "on_time_delivery": float(np.round(np.clip(rng.normal(0.93, 0.04), 0.7, 1), 3)),
            "ppm": float(np.round(rng.lognormal(4, 0.8))),
            "complaints": int(rng.poisson(4 if stage == "uncoupling" else 2)),
            "_stage": stage, "_level": level + rng.normal(0, spread),
        })
    return rows


def _contacts(rng: np.random.Generator, account: Account, k: int, count: int) -> list[Contact]:
    roles = ROLE_ORDER[:3] + list(rng.choice(ROLE_ORDER[3:], size=count - 3, replace=False))
    foreign = not any("\u4e00" <= ch <= "\u9fff" for ch in account.name)
    contacts = []
    for j, role in enumerate(roles):
        lang = "en" if (foreign and j % 2 == 0) or rng.random() < 0.08 else "zh"
        if lang == "en":
            name = str(rng.choice(EN_NAMES))
        else:
            name = str(rng.choice(list(SURNAMES))) + "".join(rng.choice(GIVEN, size=2))
        contacts.append(Contact(
            code=f"{account.code}-C{j + 1}", account=account, name=name, role=role, lang=lang,
            email=f"contact{k + 1}.{j + 1}@customer{k + 1}.example.com"))
    return contacts


def seed_demo(session: Session, seed: int = 7) -> tuple[Campaign, list[str]]:
    """Create the demo portfolio (not committed); returns the survey and pending tokens.

    A customer survey wave (SERVQUAL, satisfaction, loyalty) answered by most contacts, and
    the account managers' assessment (relationship and twenty-five grid) of every account.
    """
    rng = np.random.default_rng(seed)
    rows = _accounts(rng)
    accounts = [Account(**{k: v for k, v in row.items() if not k.startswith("_")})
                for row in rows]
    stage = {row["code"]: row["_stage"] for row in rows}
    level = {row["code"]: row["_level"] for row in rows}
    session.add_all(accounts)
    contacts = [c for k, a in enumerate(accounts) for c in _contacts(
        rng, a, k, int(rng.integers(STAGE_PROFILE[stage[a.code]][3][0],
                                    STAGE_PROFILE[stage[a.code]][3][1] + 1)))]
    session.add_all(contacts)
    campaign = new_campaign(session, DEMO_CAMPAIGN,
                            DEMO_INSTRUMENTS, wave="2026")
    assessment = new_campaign(session, "2026 客户经理评估 / 2026 account manager assessment",
                              ASSESSMENT_INSTRUMENTS, wave="2026", audience="manager")
    session.flush()
    invited = [invitations.invite(session, campaign, c) for c in contacts]
    session.flush()

    rate = {"partnership": 1.0, "synergistic": 1.0, "uncoupling": 0.5}
    answered = rng.random(len(contacts)) < np.array(
        [rate.get(stage[c.account.code], 0.8) for c in contacts])
    answered[-LINKS_TO_PRINT:] = False  # keep a few open links for the printed lines
    people = pd.DataFrame({
        "response_id": [str(c.id) for c in contacts],
        "account_id": [c.account.code for c in contacts],
        "role": [c.role for c in contacts]})
    answers = simulate_responses(questionnaire_of(campaign), people, level, seed=seed)
    columns = campaign.answer_columns
    start = datetime.now(UTC) - timedelta(days=21)
    pending: list[str] = []
    for k, ((invitation, token), contact) in enumerate(zip(invited, contacts, strict=True)):
        if not answered[k]:
            pending.append(token)
            continue
        when = start + timedelta(minutes=float(rng.uniform(0, 21 * 24 * 60)))
        session.add(Response(campaign_id=campaign.id, invitation_id=invitation.id,
                             account_id=contact.account_id, contact_id=contact.id,
                             role=contact.role, lang=contact.lang, submitted_at=when,
                             values=pack(_numbers(answers.loc[k, columns]), columns)))
        invitation.responded_at = when
    _add_assessments(session, assessment, accounts, contacts, stage, rng)
    return campaign, pending


def _add_assessments(session: Session, campaign: Campaign, accounts: list[Account],
                     contacts: list[Contact], stage: dict[str, str],
                     rng: np.random.Generator) -> None:
    """Each manager rates the account (relationship.toml) and its contacts (grid25.toml)."""
    columns = campaign.answer_columns
    when = datetime.now(UTC) - timedelta(days=3)
    for account in accounts:
        session.add(Response(campaign_id=campaign.id, account_id=account.id, submitted_at=when,
                             values=pack(_assessment(stage[account.code], rng), columns)))
    _add_gap1(session, campaign, sorted({a.owner for a in accounts if a.owner}), rng, when)
    for contact in contacts:
        lo, hi = STAGE_PROFILE[stage[contact.account.code]][4]
        cell = {"grid_step": float(rng.integers(lo, hi + 1)),
                "grid_level": float(rng.integers(lo, hi + 1))}
        session.add(Response(campaign_id=campaign.id, account_id=contact.account_id,
                             contact_id=contact.id, submitted_at=when,
                             values=pack(cell, columns)))


def _add_gap1(session: Session, campaign: Campaign, owners: list[str],
              rng: np.random.Generator, when: datetime) -> None:
    """Each account owner answers the expectation section as they think customers would."""
    instrument = next(i for i in questionnaire_of(campaign).instruments
                      if i.id == "servqual_gap1")
    people = pd.DataFrame({"response_id": owners, "account_id": ["-"] * len(owners),
                           "role": [None] * len(owners)})
    answers = simulate_responses(Questionnaire((instrument,)), people, {}, seed=31)
    columns = campaign.answer_columns
    for k in range(len(owners)):
        values = _numbers(answers.loc[k, list(instrument.numeric_columns)])
        for dim in UNDERRATED:
            for col in instrument.facet_columns(dim, "e"):
                values[col] = max(1.0, values[col] - float(rng.integers(0, 3)))
        session.add(Response(campaign_id=campaign.id, submitted_at=when, role="manager",
                             values=pack(values, columns)))


@dataclass(frozen=True)
class DemoSeed:
    """A database that holds the demo: ``created`` now (with the new links' tokens, which
    only exist at this moment), or seeded before (links are reissued with the logins)."""

    created: bool
    tokens: tuple[str, ...] = ()


def seed_if_empty(session: Session, size: tuple[int, int] | None = None,
                  progress: Callable[[str], None] = lambda _m: None) -> DemoSeed | None:
    """Seed the demo when the database has no accounts (committed), with its users and
    their accounts but no password yet; None for a database with data of its own, which is
    left untouched. ``size`` = (accounts, responses) builds a synthetic portfolio of that
    size instead of the small demo.

    Nothing a person holds changes here: passwords and links change last, in
    :func:`issue_logins`, once every step that can fail (the figures) has succeeded."""
    created = session.scalar(select(Account.id).limit(1)) is None
    if created and size is not None:
        from .demo_scale import seed_scale

        tokens = seed_scale(session, size[0], size[1], progress=progress)
    elif created:
        _campaign, tokens = seed_demo(session)
        tokens = tokens[:LINKS_TO_PRINT]
    elif session.scalar(select(Campaign.id).where(Campaign.name == DEMO_CAMPAIGN)) is None:
        return None
    else:
        tokens = []
    _demo_users(session)  # owners decide what the figures show each manager
    session.commit()
    return DemoSeed(created, tuple(tokens))


def issue_logins(session: Session, base_url: str, seed: DemoSeed) -> DemoLogin:
    """Fresh passwords for every demo login and, for a demo seeded before, fresh links for a
    few of its unanswered invitations (only hashes of tokens are stored, so old links cannot
    be shown again); all in one commit."""
    tokens = list(seed.tokens)
    if not seed.created:
        demo = session.scalar(select(Campaign).where(Campaign.name == DEMO_CAMPAIGN))
        pending = session.scalars(
            select(Invitation).where(Invitation.campaign_id == demo.id,
                                     Invitation.responded_at.is_(None))
            .order_by(Invitation.id.desc()).limit(LINKS_TO_PRINT)).all() if demo else []
        tokens = [invitations.reissue(inv) for inv in pending]
    logins = []
    for role, email, name, _owners in DEMO_LOGINS:
        _user, password = users.ensure_login(session, email, role, name)
        logins.append(Login(role, email, password))
    session.commit()
    base = base_url.rstrip("/")
    return DemoLogin([f"{base}/s/{t}" for t in tokens], seed.created, logins)


def _demo_users(session: Session) -> None:
    """The demo's users with their roles (not committed; a password only from
    :func:`issue_logins`); the accounts of each manager's demo owners become theirs
    (``owner`` = their email, as an accounts import would give it)."""
    for role, email, name, owners in DEMO_LOGINS:
        user, _added = users.owner_for_email(session, email)
        user.role, user.active, user.name = role, True, name
        if owners:
            session.flush()  # the user's id
            session.execute(update(Account).where(Account.owner.in_([*owners, email]))
                            .values(owner=email, owner_id=user.id))
