"""Checks of arguments and cells shared by the analysis functions, in one wording.

Every public function of ``analysis`` checks what it is given before it computes and names
what is wrong: ``TypeError`` for the wrong kind of object or column (with the argument),
``ValueError`` for a value that cannot be used (with the argument, and for a bad cell its
column, its row and the value). See ``docs/METHODS.md`` section 1.6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def require_frame(frame: object, argument: str) -> None:
    """``TypeError`` naming ``argument`` unless ``frame`` is a pandas DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{argument} must be a pandas DataFrame, not {type(frame).__name__}")


def require_column(frame: pd.DataFrame, column: str, argument: str,
                   frame_name: str = "frame") -> None:
    """``ValueError`` naming ``argument`` unless ``frame`` has ``column``."""
    if column not in frame.columns:
        raise ValueError(f"column '{column}' is not in {frame_name} (argument {argument})")


def require_numeric_columns(frame: pd.DataFrame, columns: Sequence[str], argument: str) -> None:
    """The columns exist and already hold numbers (no text is parsed here).

    For estimators (PLS, relative weights, allocations) that take typed frames, as
    ``analysis.frames`` returns them: a missing column is a ``ValueError``, a text or
    boolean column a ``TypeError``, both naming ``argument``.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{argument}: no such column(s): {missing}")
    for c in columns:
        dtype = frame[c].dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise TypeError(f"{argument}: column '{c}' is not numeric (dtype {dtype})")


def numeric_values(values: pd.Series, argument: str, *, column: str | None = None,
                   labels: Sequence[object] | pd.Index | None = None,
                   label_kind: str = "row") -> np.ndarray:
    """Values as float64, blank → NaN; an unusable cell is an error that names it.

    Text (object or string dtype) is stripped; an empty cell is missing; text that is not
    a number is a ``ValueError`` naming the column, the row (``labels[pos]``, by default
    the index label, called ``label_kind``: "row", "account"…), the cell's value and
    ``argument``. ``±inf`` is a ``ValueError`` too. A boolean or other non-numeric dtype is
    a ``TypeError``.

    Parameters
    ----------
    values : Series
        The cells.
    argument : str
        The argument the caller was given, named in every message.
    column : str, optional
        The column the cells come from (named in messages as ``column 'x'``); without it
        the messages speak of ``argument`` itself.
    labels : sequence, optional
        One label per cell for the messages (e.g. account ids); default ``values.index``.
    label_kind : str
        What a label is ("row", "account", "response").
    """
    where = values.index if labels is None else labels
    subject = f"column '{column}'" if column is not None else argument
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        text = values.astype("string").str.strip()
        text = text.where(text != "")
        converted = pd.to_numeric(text, errors="coerce")
        bad = (text.notna() & converted.isna()).to_numpy(dtype=bool)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{subject} of {label_kind} '{where[pos]}' holds "
                             f"{values.iloc[pos]!r}, which is not a number "
                             f"(argument {argument})")
        values = converted
    elif pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(
            values.dtype):
        raise TypeError(f"{subject} must be numeric, not {values.dtype} (argument {argument})")
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        pos = int(np.flatnonzero(infinite)[0])
        raise ValueError(f"{subject} of {label_kind} '{where[pos]}' is infinite "
                         f"(argument {argument})")
    return x


def numeric_column(frame: pd.DataFrame, column: str, argument: str,
                   labels: Sequence[object] | pd.Index | None = None,
                   frame_name: str = "accounts", label_kind: str = "account") -> np.ndarray:
    """One column of ``frame`` through :func:`numeric_values`; a missing column names
    ``argument`` and ``frame_name``.

    The defaults speak of accounts (the accounts file, its rows named by account id), the
    commonest caller; pass ``frame_name``/``label_kind`` for other frames.
    """
    require_column(frame, column, argument, frame_name)
    return numeric_values(frame[column], argument, column=column, labels=labels,
                          label_kind=label_kind)


def account_ids(frame: pd.DataFrame, account: str, frame_name: str = "accounts") -> pd.Index:
    """The account id column of a one-row-per-account frame, as an Index named ``account``.

    Raises
    ------
    ValueError
        The column is missing, an id is blank (or only spaces), or an id appears twice
        (argument account).
    """
    require_column(frame, account, "account", frame_name)
    ids = frame[account]
    blank = (ids.isna() | (ids.astype("string").str.strip() == "")).to_numpy(dtype=bool)
    if blank.any():
        raise ValueError(f"column '{account}' of {frame_name} is blank at position "
                         f"{int(np.flatnonzero(blank)[0])} (argument account)")
    dup = ids.duplicated(keep="first")
    if dup.any():
        raise ValueError(f"account '{ids[dup].iloc[0]}' appears more than once in column "
                         f"'{account}' of {frame_name} (argument account)")
    return pd.Index(ids, name=account)


def name_list(names: Sequence[str], argument: str, what: str = "column names",
              allow_empty: bool = False) -> list[str]:
    """A sequence of names (columns, dimensions, constructs) as a list, checked.

    Raises
    ------
    TypeError
        ``names`` is a single string (a common slip for a one-element list).
    ValueError
        ``names`` is empty (unless ``allow_empty``) or names something twice; both naming
        ``argument``.
    """
    if isinstance(names, str):
        raise TypeError(f"{argument} must be a sequence of {what}, not a string")
    out = list(names)
    if not out and not allow_empty:
        raise ValueError(f"{argument} must name at least one of the {what}")
    if len(set(out)) != len(out):
        raise ValueError(f"{argument} lists a name twice: {out}")
    return out
