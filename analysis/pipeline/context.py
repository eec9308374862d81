"""What the steps of an analysis run share: the inputs, and what each step leaves behind.

Every step is ``def run(ctx: RunContext) -> None``: it reads the inputs and what earlier
steps left, and adds to ``summary`` (JSON-ready keys), ``tables`` (frames), ``per_account``
(frames indexed by account, joined into the account table), ``figures`` (per-respondent
figures for the segment and role tables) and ``warnings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..frames import reverse_keyed
from ..instrument import Instrument, Questionnaire
from .common import AnalysisOptions
from .grouping import GroupSums
from .respondents import RespondentFigures
from .roles import BuyingGroups


@dataclass
class RunContext:
    questionnaire: Questionnaire
    responses: pd.DataFrame  # validated answers (a ``role`` column when accounts are named)
    answers: pd.DataFrame  # the same with reverse-worded items recoded
    accounts: pd.DataFrame | None
    options: AnalysisOptions
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    per_account: list[pd.DataFrame] = field(default_factory=list)
    figures: RespondentFigures = field(default_factory=RespondentFigures)
    warnings: list[str] = field(default_factory=list)
    # left by the model steps for later ones
    servqual: Instrument | None = None
    servqual_scores: pd.DataFrame | None = None  # per respondent, with the metadata columns
    satisfaction_by_account: pd.DataFrame | None = None
    loyalty_by_account: pd.DataFrame | None = None
    # left by the buying-role step for the account and segment steps
    customers: pd.DataFrame | None = None  # the customers' rows: account_id, role
    groups: BuyingGroups | None = None
    group_sums: GroupSums | None = None

    @classmethod
    def start(cls, questionnaire: Questionnaire, responses: pd.DataFrame,
              accounts: pd.DataFrame | None, options: AnalysisOptions) -> RunContext:
        if accounts is not None:
            _check_accounts(accounts)
        if not responses.index.is_unique:  # figures are regrouped by row label
            responses = responses.reset_index(drop=True)
        if "account_id" in responses.columns and "role" not in responses.columns:
            # role is optional: without it every respondent weighs as an unknown role
            responses = responses.assign(role=pd.Series(pd.NA, index=responses.index,
                                                        dtype="string"))
        summary: dict[str, Any] = {"n_responses": int(len(responses)),
                                   "instruments": [i.id for i in questionnaire.instruments]}
        return cls(questionnaire, responses, reverse_keyed(responses, questionnaire),
                   accounts, options, summary)

    @property
    def has_accounts(self) -> bool:
        """The responses name the account each answer is for."""
        return "account_id" in self.responses.columns


Step = Callable[[RunContext], None]


def _check_accounts(accounts: pd.DataFrame) -> None:
    """One row per account: the account table and the segments are keyed by it."""
    if "account_id" not in accounts.columns:
        raise ValueError("accounts has no column 'account_id' (argument accounts)")
    ids = accounts["account_id"].astype("string")
    repeated = ids[ids.duplicated() & ids.notna()]
    if len(repeated):
        raise ValueError(f"accounts has {len(repeated)} repeated account_id(s), e.g. "
                         f"'{repeated.iloc[0]}': one row per account (argument accounts)")
