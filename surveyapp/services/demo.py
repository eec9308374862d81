"""A demo portfolio: realistic accounts, contacts, a survey wave and most of its answers.

Generated with a fixed seed. Account service levels depend on the customer type and a
per-account draw, so scorecards differ in believable ways rather than by uniform noise.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Questionnaire
from analysis.synthetic import simulate_responses

from ..models import Account, Campaign, Contact, Invitation, Response, User
from . import invitations, users
from .instruments import new_campaign, questionnaire_of
from .responses import pack

DEMO_EMAIL = "demo@example.com"
DEMO_INSTRUMENTS = ["servqual"]
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
TYPE_LEVEL = {"price_sensitive": -0.35, "value_added": 0.1, "partnership": 0.45}


@dataclass
class DemoLogin:
    email: str
    password: str
    links: list[str]
    created: bool


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
        revenue = float(np.round(rng.lognormal(15.2, 0.9), -3))  # CNY per year
        margin = float(np.round(np.clip(rng.normal(
            {"price_sensitive": 0.16, "value_added": 0.27, "partnership": 0.31}[ctype], 0.06),
            0.03, 0.5), 3))
        share = float(np.clip(rng.normal(
            {"price_sensitive": 0.3, "value_added": 0.5, "partnership": 0.8}[ctype], 0.15),
            0.05, 1.0))
        rows.append({
            "code": f"A{k + 1:03d}", "name": name, "industry": zh_industry,
            "customer_type": ctype, "owner": str(rng.choice(OWNERS)),
            "revenue": revenue, "margin": margin,
            "cost_to_serve": float(np.round(revenue * rng.uniform(0.04, 0.2), -3)),
            "wallet": float(np.round(revenue / share, -3)),
            "revenue_prev": float(np.round(revenue / rng.normal(1.05, 0.15), -3)),
            "referral_value": float(np.round(rng.exponential(0.05) * revenue, -3)),
            "period": "2026",
            "on_time_delivery": float(np.round(np.clip(rng.normal(0.93, 0.04), 0.7, 1), 3)),
            "ppm": float(np.round(rng.lognormal(4, 0.8))),
            "complaints": int(rng.poisson(2)),
        })
    return rows


def _contacts(rng: np.random.Generator, account: Account, k: int) -> list[Contact]:
    count = int(rng.integers(3, 7))
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
    """Create the demo portfolio (not committed); returns the campaign and pending tokens."""
    rng = np.random.default_rng(seed)
    accounts = [Account(**row) for row in _accounts(rng)]
    session.add_all(accounts)
    contacts = [c for k, a in enumerate(accounts) for c in _contacts(rng, a, k)]
    session.add_all(contacts)
    campaign = new_campaign(session, "2026 年度客户满意度调查 / 2026 customer survey",
                            DEMO_INSTRUMENTS, wave="2026")
    session.flush()
    invited = [invitations.invite(session, campaign, c) for c in contacts]
    session.flush()

    level = {a.code: TYPE_LEVEL[a.customer_type or ""] + rng.normal(0, 0.6) for a in accounts}
    answer_rate = np.array([0.55 if level[c.account.code] < -0.5 else 0.85 for c in contacts])
    answered = rng.random(len(contacts)) < answer_rate
    answered[-LINKS_TO_PRINT:] = False  # keep a few open links for the printed lines
    people = pd.DataFrame({
        "response_id": [str(c.id) for c in contacts],
        "account_id": [c.account.code for c in contacts],
        "role": [c.role for c in contacts]})
    questionnaire: Questionnaire = questionnaire_of(campaign)
    answers = simulate_responses(questionnaire, people, level, seed=seed)
    columns = campaign.answer_columns
    start = datetime.now(UTC) - timedelta(days=21)
    pending: list[str] = []
    for k, ((invitation, token), contact) in enumerate(zip(invited, contacts, strict=True)):
        if not answered[k]:
            pending.append(token)
            continue
        when = start + timedelta(minutes=float(rng.uniform(0, 21 * 24 * 60)))
        values = answers.loc[k, columns].to_dict()
        session.add(Response(campaign_id=campaign.id, invitation_id=invitation.id,
                             account_id=contact.account_id, contact_id=contact.id,
                             role=contact.role, lang=contact.lang, submitted_at=when,
                             values=pack(values, columns)))
        invitation.responded_at = when
    return campaign, pending


def ensure_demo(session: Session, base_url: str) -> DemoLogin:
    """Seed the demo when the database has no accounts; always return a login and open links.

    On an existing database the demo manager gets a fresh password and a few unanswered
    invitations get fresh links (only hashes of tokens are stored, so old links cannot be
    shown again).
    """
    created = session.scalar(select(Account.id).limit(1)) is None
    if created:
        _campaign, tokens = seed_demo(session)
        tokens = tokens[:LINKS_TO_PRINT]
    else:
        pending = session.scalars(
            select(Invitation).where(Invitation.responded_at.is_(None))
            .order_by(Invitation.campaign_id.desc(), Invitation.id.desc())
            .limit(LINKS_TO_PRINT)).all()
        tokens = [invitations.reissue(inv) for inv in pending]
    password = secrets.token_urlsafe(9)
    user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = User(email=DEMO_EMAIL, name="Demo manager")
        session.add(user)
    users.set_password(user, password)
    session.commit()
    base = base_url.rstrip("/")
    return DemoLogin(DEMO_EMAIL, password, [f"{base}/s/{t}" for t in tokens], created)
