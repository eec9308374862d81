"""`surveyapp analyze`: files in (instruments, responses, accounts), results out. No database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis import (
    InputFileError,
    InstrumentError,
    Questionnaire,
    load_instrument,
)
from analysis.frames import read_accounts, read_responses
from analysis.pipeline import AnalysisOptions, AnalysisResult, analyze
from analysis.report import analysis_workbook
from analysis.rollup import role_weights
from analysis.stages import StagesError, load_stage_model

from ..config import instruments_dir


class InputError(Exception):
    """Input that cannot be analysed; the message names the file, row and column."""


@dataclass
class Outcome:
    result: AnalysisResult

    def json_text(self) -> str:
        return json.dumps(self.result.summary, ensure_ascii=False, indent=2, allow_nan=False)

    def workbook(self) -> bytes:
        return analysis_workbook(self.result.tables)

    def text_summary(self) -> str:
        s = self.result.summary
        lines = [f"{s['n_responses']} responses; instruments: {', '.join(s['instruments'])}"]
        sq = s.get("servqual")
        if sq:
            lines.append(f"SERVQUAL (n = {sq['n']}): unweighted {_f(sq['unweighted'])}, "
                         f"weighted {_f(sq['weighted'])}, SERVPERF {_f(sq['servperf'])}")
            for dim, d in sq["dimensions"].items():
                lines.append(f"  {dim:<16} E {_f(d['e'])}  P {_f(d['p'])}  gap {_f(d['gap'])}"
                             f"  n {d['n']}  p(Holm) {_p(d['p_holm'])}")
        model = s.get("model")
        if model and model.get("note"):
            lines.append(f"Satisfaction model (n = {model['n']}): {model['note']}")
        elif model:
            r2 = ", ".join(f"{k} {_f(v)}" for k, v in model["r2"].items())
            lines.append(f"Satisfaction model (n = {model['n']}): R² {r2}; GoF "
                         f"{_f(model.get('gof'))}")
        if "nps" in s:
            n = s["nps"]
            lines.append(f"NPS {_f(n['nps'], 1)} ± {_f(n['moe'], 1)} (n = {n['n']})")
        if "stages" in s:
            lines.append("Stages: " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
        if "accounts" in s:
            lines.append(f"{len(s['accounts'])} accounts")
        lines += [f"Warning: {w}" for w in s.get("warnings", [])]
        return "\n".join(lines)


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def parse_role_weights(pairs: Sequence[str]) -> dict[str, float] | None:
    """``["economic=0.4", …]`` → the default weights with these replaced."""
    if not pairs:
        return None
    overrides: dict[str, float] = {}
    for pair in pairs:
        role, sep, value = pair.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or not role.strip() or weight < 0:
            raise InputError(f"--role-weight {pair!r}: expected ROLE=WEIGHT with a "
                             "non-negative number, e.g. economic=0.4")
        overrides[role.strip()] = weight
    try:
        return role_weights(overrides)
    except ValueError as exc:
        raise InputError(f"--role-weight: {exc}") from exc


def run_files(instrument_paths: Sequence[str], responses_path: str,
              accounts_path: str | None = None, stages_path: str | None = None, *,
              by: Sequence[str] = (), scaled: bool = True, n_boot: int = 0,
              seed: int = 2026, role_weights: dict[str, float] | None = None) -> Outcome:
    """Load and validate every input, then run the analysis. Raises :class:`InputError`."""
    try:
        questionnaire = Questionnaire(tuple(load_instrument(p) for p in instrument_paths))
        stage_file = Path(stages_path) if stages_path else instruments_dir() / "stages.toml"
        stage_model = load_stage_model(stage_file) if stage_file.exists() or stages_path \
            else None
        responses = read_responses(responses_path, questionnaire)
        accounts = None
        if accounts_path:
            indicators = tuple(stage_model.indicators) if stage_model else ()
            limits = {i.id: (i.min, i.max) for i in stage_model.indicators.values()} \
                if stage_model else None
            accounts = read_accounts(accounts_path, indicators, limits=limits)
        options = AnalysisOptions(stage_model=stage_model, scaled=scaled, n_boot=n_boot,
                                  seed=seed, by=tuple(by), role_weights=role_weights)
        return Outcome(analyze(questionnaire, responses, accounts, options))
    except (InstrumentError, InputFileError, StagesError) as exc:
        raise InputError(str(exc)) from exc
    except ValueError as exc:  # e.g. an impossible grouping or an out-of-range indicator
        raise InputError(str(exc)) from exc
