"""`surveyapp analyze`: files in (instruments, responses, accounts), results out. No database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis import (
    InputFileError,
    InstrumentError,
    Questionnaire,
    load_instrument,
)
from analysis.frames import load_responses, read_accounts
from analysis.headers import ColumnMapError, load_column_map, map_template, parse_map_pairs
from analysis.pipeline import AnalysisOptions, AnalysisResult, analyze
from analysis.reliability import MISSING_POLICIES
from analysis.report.analysis_book import file_workbook
from analysis.rollup import role_weights
from analysis.stages import StagesError, load_stage_model

from ..config import instruments_dir

NOTHING_WRITTEN = "nothing was written"
SCHEMES = ("path", "centroid", "factorial")
MODEL_MISSING = ("listwise", "mean")


class InputError(Exception):
    """Input that cannot be analysed; the message names the file, row and column."""


@dataclass(frozen=True)
class ReadingOptions:
    """How the responses file is read (see :func:`analysis.frames.load_responses`)."""

    na_values: tuple[str, ...] = ()
    map_file: str | None = None
    map_pairs: tuple[str, ...] = ()
    sheet: str | None = None
    header_row: int | None = None

    def column_map(self) -> dict[str, str]:
        """The map file's entries, then the ``--map`` pairs over them."""
        try:
            found = load_column_map(self.map_file) if self.map_file else {}
            found.update(parse_map_pairs(self.map_pairs))
        except ColumnMapError as exc:
            raise InputError(str(exc)) from exc
        return found


@dataclass
class Outcome:
    result: AnalysisResult
    questionnaire: Questionnaire | None = None
    notices: list[str] = field(default_factory=list)

    def json_text(self) -> str:
        return json.dumps(self.result.summary, ensure_ascii=False, indent=2, allow_nan=False)

    def workbook(self, lang: str = "en") -> bytes:
        """The leadership workbook the data allow, then the statistics sheets."""
        return file_workbook(self.result, self.questionnaire, lang)

    def text_summary(self) -> str:
        from .analysis_summary import summary_lines

        return "\n".join(summary_lines(self.result.summary, self.questionnaire,
                                       self.notices))


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


def load_questionnaire(instrument_paths: Sequence[str]) -> Questionnaire:
    try:
        return Questionnaire(tuple(load_instrument(p) for p in instrument_paths))
    except InstrumentError as exc:
        raise InputError(str(exc)) from exc


def column_map_template(instrument_paths: Sequence[str]) -> str:
    """The TOML column map to fill in for these instruments (``--map-template``)."""
    return map_template(load_questionnaire(instrument_paths))


def run_files(instrument_paths: Sequence[str], responses_path: str,
              accounts_path: str | None = None, stages_path: str | None = None, *,
              by: Sequence[str] = (), scaled: bool = True, n_boot: int = 0,
              seed: int = 2026, role_weights: dict[str, float] | None = None,
              reading: ReadingOptions | None = None, missing: str = "listwise",
              model_missing: str = "listwise", scheme: str = "path") -> Outcome:
    """Load and validate every input, then run the analysis. Raises :class:`InputError`.

    The reader's warnings (answers left out of a figure) come first in the summary's
    ``warnings``; its notices (how the file was read) are in :attr:`Outcome.notices`.
    """
    reading = reading or ReadingOptions()
    _check_choice("--missing", missing, MISSING_POLICIES)
    _check_choice("--model-missing", model_missing, MODEL_MISSING)
    _check_choice("--scheme", scheme, SCHEMES)
    questionnaire = load_questionnaire(instrument_paths)
    column_map = reading.column_map()
    try:
        stage_file = Path(stages_path) if stages_path else instruments_dir() / "stages.toml"
        stage_model = load_stage_model(stage_file) if stage_file.exists() or stages_path \
            else None
        read = load_responses(responses_path, questionnaire, na_values=reading.na_values,
                              column_map=column_map, sheet=reading.sheet,
                              header_row=reading.header_row)
        accounts = None
        if accounts_path:
            indicators = tuple(stage_model.indicators) if stage_model else ()
            limits = {i.id: (i.min, i.max) for i in stage_model.indicators.values()} \
                if stage_model else None
            accounts = read_accounts(accounts_path, indicators, limits=limits)
        options = AnalysisOptions(stage_model=stage_model, scaled=scaled, n_boot=n_boot,
                                  seed=seed, by=tuple(by), role_weights=role_weights,
                                  missing=missing, model_missing=model_missing,
                                  scheme=scheme, free_text=True)
        result = analyze(questionnaire, read.frame, accounts, options)
    except InputFileError as exc:
        raise InputError(exc.describe(NOTHING_WRITTEN)) from exc
    except (InstrumentError, StagesError) as exc:
        raise InputError(str(exc)) from exc
    except ValueError as exc:  # e.g. an impossible grouping or an out-of-range indicator
        raise InputError(str(exc)) from exc
    result.summary["warnings"] = [*read.warnings, *result.summary.get("warnings", [])]
    result.summary["notices"] = list(read.notices)
    return Outcome(result, questionnaire, list(read.notices))


def _check_choice(option: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(f"{option} {value!r}: one of {', '.join(allowed)}")


