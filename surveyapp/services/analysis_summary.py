"""The terminal summary of `surveyapp analyze`: the figures in a few lines, with names.

Constructs and instruments are named in English when the instrument has it, else in its
first language; ids stay beside names where a user needs them for an option.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis import Questionnaire

LANG = "en"


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _names(questionnaire: Questionnaire | None) -> tuple[dict[str, str], dict[str, str]]:
    """Instrument id → title and construct id → name."""
    if questionnaire is None:
        return {}, {}
    titles = {i.id: i.title.get(LANG) for i in questionnaire.instruments}
    constructs: dict[str, str] = {}
    for inst in questionnaire.instruments:
        for c in inst.constructs:
            constructs.setdefault(c.id, c.name.get(LANG))
    return titles, constructs


def _servqual_lines(sq: Mapping[str, Any], constructs: Mapping[str, str]) -> list[str]:
    lines = [f"SERVQUAL (n = {sq['n']}): unweighted {_f(sq['unweighted'])}, "
             f"weighted {_f(sq['weighted'])}, SERVPERF {_f(sq['servperf'])}"]
    for dim, d in sq["dimensions"].items():
        lines.append(f"  {constructs.get(dim, dim):<22} E {_f(d['e'])}  P {_f(d['p'])}  "
                     f"gap {_f(d['gap'])}  n {d['n']}  p(Holm) {_p(d['p_holm'])}")
    for column, groups in sq.get("by", {}).items():
        lines.append(f"  by {column}:")
        for group in groups:
            lines.append(f"    {str(group.get(column)):<20} unweighted "
                         f"{_f(group.get('unweighted'))}  n {group.get('unweighted.n', '–')}")
    return lines


def _reliability_lines(reliability: Mapping[str, Any],
                       constructs: Mapping[str, str]) -> list[str]:
    if not reliability:
        return []
    lines = ["Reliability (Cronbach's alpha):"]
    for cid, entry in reliability.items():
        if "alpha" not in entry:
            continue
        on = " (on P)" if entry.get("on") == "p" else ""
        lines.append(f"  {constructs.get(cid, cid):<22} alpha {_f(entry['alpha'])}{on}  "
                     f"k {entry['k']}  n {entry['n']}")
    return lines


def summary_lines(s: Mapping[str, Any], questionnaire: Questionnaire | None = None,
                  notices: list[str] | None = None) -> list[str]:
    titles, constructs = _names(questionnaire)
    lines = [f"{s['n_responses']} responses; instruments:"]
    lines += [f"  {i:<16} {titles.get(i, '')}".rstrip() for i in s["instruments"]]
    lines += [f"Note: {n}" for n in notices or []]
    if s.get("servqual"):
        lines += _servqual_lines(s["servqual"], constructs)
    lines += _reliability_lines(s.get("reliability", {}), constructs)
    model = s.get("model")
    if model and model.get("note"):
        lines.append(f"Satisfaction model (n = {model['n']}): {model['note']}")
    elif model:
        r2 = ", ".join(f"{constructs.get(k, k)} {_f(v)}" for k, v in model["r2"].items())
        lines.append(f"Satisfaction model (n = {model['n']}): R² {r2}; GoF "
                     f"{_f(model.get('gof'))}")
    if "nps" in s:
        n = s["nps"]
        lines.append(f"NPS {_f(n['nps'], 1)} ± {_f(n['moe'], 1)} (n = {n['n']})")
    if "loyalty" in s:
        lines.append(f"Loyalty index {_f(s['loyalty']['loyalty_index'], 1)} "
                     f"(n = {s['loyalty']['n']})")
    if "stages" in s:
        lines.append("Stages: " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
    if "accounts" in s:
        lines.append(f"{len(s['accounts'])} accounts")
    lines += [f"Warning: {w}" for w in s.get("warnings", [])]
    return lines
