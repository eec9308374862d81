"""A synthetic portfolio of any size (``surveyapp demo --accounts N --responses M``).

The small demo (:mod:`.demo`) builds a few dozen believable accounts object by object; this
builds tens of thousands of accounts and a million answers in a few minutes, with bulk
inserts in chunks, so the pages, the recompute and the exports can be measured at the size
a large supplier reaches. The same wave (SERVQUAL, satisfaction, loyalty), the managers'
assessment of every account, and a few open links to print.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from analysis.synthetic import simulate_responses

from ..models import Account, Contact, Invitation, Response
from . import invitations
from .demo import (
    ASSESSMENT_INSTRUMENTS,
    CUSTOMER_TYPES,
    DEMO_CAMPAIGN,
    DEMO_INSTRUMENTS,
    INDUSTRIES,
    LINKS_TO_PRINT,
    OWNERS,
    ROLE_ORDER,
    STAGE_MIX,
    STAGE_PROFILE,
    _assessment,
)
from .instruments import new_campaign, questionnaire_of
from .responses import pack_rows

CHUNK = 50_000
ROLE_SHARE = [0.2, 0.25, 0.25, 0.1, 0.1, 0.1]


def _insert(session: Session, table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start:start + CHUNK])


def seed_scale(session: Session, n_accounts: int, n_responses: int, seed: int = 7,
               progress: Callable[[str], None] = lambda _m: None) -> list[str]:
    """Create the portfolio (committed in chunks); returns tokens of a few open links.

    One contact per response plus a few who have not answered yet; accounts differ in
    size (a few large, many small, as real portfolios do).
    """
    if n_accounts < 1 or n_responses < n_accounts:
        raise ValueError("need at least one account and one response per account "
                         "(arguments accounts, responses)")
    clock = time.perf_counter()
    if session.get_bind().dialect.name == "sqlite":  # room for the indexes being built
        session.execute(text("PRAGMA cache_size = -262144"))  # 256 MB, this connection
    salt = os.urandom(4).hex()
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(CUSTOMER_TYPES), size=n_accounts, p=[0.4, 0.4, 0.2])
    stage = np.empty(n_accounts, dtype=object)
    for k, ctype in enumerate(CUSTOMER_TYPES):
        stages, weights = STAGE_MIX[ctype]
        chosen = kinds == k
        stage[chosen] = rng.choice(stages, size=int(chosen.sum()), p=weights)
    level = np.array([STAGE_PROFILE[s][0] for s in stage]) + rng.normal(0, 0.35, n_accounts)
    share_lo = np.array([STAGE_PROFILE[s][2][0] for s in stage])
    share_hi = np.array([STAGE_PROFILE[s][2][1] for s in stage])
    market = np.round(rng.lognormal(15.8, 0.8, n_accounts), -3)
    revenue = np.round(market * rng.uniform(share_lo, share_hi), -3)
    codes = [f"A{k + 1:05d}" for k in range(n_accounts)]
    accounts = [{
        "code": codes[k], "name": f"{INDUSTRIES[k % len(INDUSTRIES)][0]}客户 {k + 1:05d}",
        "industry": INDUSTRIES[k % len(INDUSTRIES)][0],
        "customer_type": CUSTOMER_TYPES[int(kinds[k])], "owner": OWNERS[k % len(OWNERS)],
        "revenue": float(revenue[k]), "margin": float(round(rng.uniform(0.08, 0.35), 3)),
        "cost_to_serve": float(round(40e3 + revenue[k] * rng.uniform(0.03, 0.15), -3)),
        "wallet": float(market[k]),
        "revenue_prev": float(round(revenue[k] / rng.normal(1.04, 0.1), -3)),
        "referral_value": 0.0, "period": "2026"} for k in range(n_accounts)]
    _insert(session, Account.__table__, accounts)
    campaign = new_campaign(session, DEMO_CAMPAIGN, DEMO_INSTRUMENTS, wave="2026")
    assessment = new_campaign(session, "2026 客户经理评估 / 2026 account manager assessment",
                              ASSESSMENT_INSTRUMENTS, wave="2026", audience="manager")
    session.commit()
    account_id = dict(session.execute(select(Account.code, Account.id)).all())
    ids = np.array([account_id[c] for c in codes])
    progress(f"{n_accounts:,} accounts ({time.perf_counter() - clock:.0f} s)")

    sizes = rng.pareto(1.5, n_accounts) + 1
    # every account answers at least once; the rest spread by account size
    owner = np.concatenate([np.arange(n_accounts), rng.choice(
        n_accounts, size=n_responses - n_accounts, p=sizes / sizes.sum())])
    roles = rng.choice(np.array(ROLE_ORDER), size=n_responses, p=ROLE_SHARE)
    questionnaire = questionnaire_of(campaign)
    columns = campaign.answer_columns
    levels = pd.Series(level, index=codes)
    start_time = datetime.now(UTC) - timedelta(days=21)
    contact_base = (session.scalar(select(Contact.id).order_by(Contact.id.desc()).limit(1))
                    or 0) + 1
    for start in range(0, n_responses, CHUNK):
        stop = min(start + CHUNK, n_responses)
        chunk = np.arange(start, stop)
        # codes and link hashes in insertion order: their unique indexes grow at the end
        # instead of taking a random page each (which made the load slow down as it grew)
        contacts = [{"id": contact_base + int(i), "code": f"S{i + 1:08d}",
                     "account_id": int(ids[owner[i]]), "name": f"联系人 {i + 1}",
                     "email": f"s{i + 1}@customer{owner[i] + 1}.example.com",
                     "role": str(roles[i]), "lang": "zh", "active": True} for i in chunk]
        _insert(session, Contact.__table__, contacts)
        stamps = [start_time + timedelta(seconds=float(s))
                  for s in rng.uniform(0, 21 * 86400, stop - start)]
        # answered already: their links are never shown, so the stored hash only has to
        # be unique and match no token (a token hash is hex or has the "$" separator)
        tokens = [f"answered-{salt}-{i:09d}" for i in chunk]
        _insert(session, Invitation.__table__, [
            {"id": contact_base + int(i), "campaign_id": campaign.id,
             "contact_id": contact_base + int(i), "token_hash": t, "created_at": start_time,
             "responded_at": when, "sent_at": start_time}
            for i, t, when in zip(chunk, tokens, stamps, strict=True)])
        people = pd.DataFrame({"response_id": chunk.astype(str),
                               "account_id": np.asarray(codes, dtype=object)[owner[chunk]],
                               "role": roles[chunk]})
        answers = simulate_responses(questionnaire, people, levels, seed=seed + start)
        packed = pack_rows(answers[columns].to_numpy())
        _insert(session, Response.__table__, [
            {"campaign_id": campaign.id, "invitation_id": contact_base + int(i),
             "account_id": int(ids[owner[i]]), "contact_id": contact_base + int(i),
             "role": str(roles[i]), "lang": "zh", "submitted_at": when, "values": blob}
            for i, when, blob in zip(chunk, stamps, packed, strict=True)])
        session.commit()
        progress(f"{stop:,} / {n_responses:,} responses "
                 f"({time.perf_counter() - clock:.0f} s)")

    # the managers' assessment of every account
    when = datetime.now(UTC) - timedelta(days=3)
    a_columns = assessment.answer_columns
    rows = [{"campaign_id": assessment.id, "account_id": int(ids[k]), "submitted_at": when,
             "values": pack_rows(np.array([[_assessment(str(stage[k]), rng).get(c, np.nan)
                                            for c in a_columns]]))[0]}
            for k in range(n_accounts)]
    _insert(session, Response.__table__, rows)
    session.commit()
    # a few contacts who have not answered yet, with links to print
    open_contacts = [Contact(code=f"{codes[k]}-OPEN", account_id=int(ids[k]),
                             name=f"待答 {k + 1}", role="economic", lang="zh",
                             email=f"open{k + 1}@customer{k + 1}.example.com")
                     for k in range(min(LINKS_TO_PRINT, n_accounts))]
    session.add_all(open_contacts)
    session.flush()
    pending = [invitations.invite(session, campaign, c)[1] for c in open_contacts]
    session.commit()
    progress(f"assessment and open links ({time.perf_counter() - clock:.0f} s)")
    return pending


def echo_progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
