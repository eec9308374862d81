"""`surveyapp analyze` on hostile files: each ends with exit status 2 and a message a
person can act on, never a traceback; big inputs are refused in bounded time and memory.

Each case is one the outside probe found giving a traceback, a misleading message or
minutes of CPU; the hypothesis test at the end throws arbitrary bytes at every reader.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.cli import main
from tests.conftest import DATA, REPO

# the sections the hand-made responses file answers
INSTRUMENTS = [a for name in ("servqual", "loyalty", "servqual_gap1", "relationship", "grid25")
               for a in ("--instrument", str(REPO / "instruments" / f"{name}.toml"))]
RESPONSES = DATA / "analyze_small_responses.csv"


def analyze(*args: str):
    return CliRunner().invoke(main, ["analyze", *args])


def assert_refused(result, *words: str) -> str:
    """Exit 2, a message on stderr naming the problem, and no traceback anywhere."""
    text = result.output + (result.stderr or "")
    assert result.exit_code == 2, (result.exit_code, text[-2000:], result.exception)
    assert "Traceback" not in text and "Error" in text
    assert "None" not in text, text  # "cannot write None" once
    for word in words:
        assert word in text, text[-2000:]
    return text


def responses(tmp_path: Path, name: str, data: bytes) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    return [*INSTRUMENTS, "--responses", str(path)]


def test_cr_only_line_endings_are_read_like_any_other(tmp_path):
    # old Mac Excel ("CSV (Macintosh)") ends lines with CR alone: a valid file, so it gives
    # the very figures of the same file with LF endings
    unix = RESPONSES.read_bytes().replace(b"\r\n", b"\n")
    figures = []
    for name, text in (("unix.csv", unix), ("mac.csv", unix.replace(b"\n", b"\r"))):
        path = tmp_path / name
        path.write_bytes(text)
        result = analyze(*INSTRUMENTS, "--responses", str(path), "--json", "-")
        assert result.exit_code == 0, result.output
        figures.append(json.loads(result.stdout))
    assert figures[0]["n_responses"] == 13 and figures[0] == figures[1]


def test_a_header_cell_beyond_the_csv_field_limit(tmp_path):
    header = b"response_id,account_id," + b"x" * 140_000 + b"\nr1,A1,1\n"
    text = assert_refused(analyze(*responses(tmp_path, "wide.csv", header)), "wide.csv")
    assert "line break" not in text  # the once misleading reason


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path, content):
    assert_refused(analyze(*responses(tmp_path, "book.xlsx", content)), "book.xlsx",
                   "not an Excel workbook")


def test_a_zip_without_content_types_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert_refused(analyze(*responses(tmp_path, "book.xlsx", buffer.getvalue())),
                   "not an Excel workbook")


def test_a_workbook_that_unpacks_to_a_gigabyte_is_refused_unopened(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b" " * (1 << 20)
            for _ in range(1024):  # 1 GiB of spaces: about 1 MB compressed
                member.write(block)
    assert len(buffer.getvalue()) < 3 * 2**20
    started = time.perf_counter()
    assert_refused(analyze(*responses(tmp_path, "bomb.xlsx", buffer.getvalue())),
                   "unpacks to")
    assert time.perf_counter() - started < 5  # refused from the directory, never inflated


def test_a_header_of_40000_columns_is_refused_quickly(tmp_path):
    # a quadratic duplicate-header check once took 59 s on this
    header = ",".join(f"c{k}" for k in range(40_000)).encode() + b"\n"
    started = time.perf_counter()
    assert_refused(analyze(*responses(tmp_path, "wide.csv", header + b"1\n")), "columns")
    assert time.perf_counter() - started < 5


def test_repeated_headers_among_many_are_found_in_linear_time(tmp_path):
    names = [f"c{k}" for k in range(4_900)] + ["c7", "c7"]
    started = time.perf_counter()
    text = assert_refused(analyze(*responses(
        tmp_path, "dup.csv", (",".join(names) + "\n" + ",".join("1" * len(names)) + "\n"
                              ).encode())), "more than once")
    assert "c7" in text and time.perf_counter() - started < 10


def test_a_toml_file_nested_2000_levels_deep(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    assert_refused(analyze("--instrument", str(path), "--responses", str(RESPONSES)),
                   "deep.toml")


def test_json_to_a_full_disk_names_the_file_and_writes_nothing(tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    xlsx = tmp_path / "out.xlsx"
    text = assert_refused(analyze(*INSTRUMENTS, "--responses", str(RESPONSES),
                                  "--xlsx", str(xlsx), "--json", "/dev/full"), "/dev/full")
    assert "nothing was written" in text and not xlsx.exists()


def test_json_to_a_missing_directory(tmp_path):
    assert_refused(analyze(*INSTRUMENTS, "--responses", str(RESPONSES),
                           "--json", str(tmp_path / "no" / "such" / "out.json")), "no/such")


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.text(alphabet=st.sampled_from(list(',;\t"\r\n x1é中\x00')), max_size=200).map(
        lambda t: t.encode("utf-8")),
    st.lists(st.sampled_from(["response_id", "account_id", "sq01.e", "sq01.p", "nps", "",
                              "7", "x", "-1", "1e400", "\"", "sq01.e"]), max_size=12).map(
        lambda cells: (",".join(cells) + "\n" + ",".join(reversed(cells))).encode())),
    suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".toml"]))
def test_any_file_gets_figures_or_a_message_never_a_traceback(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("any")
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    if suffix == ".toml":
        args = ["--instrument", str(path), "--responses", str(RESPONSES)]
    else:
        args = [*INSTRUMENTS, "--responses", str(path),
                "--accounts", str(path)]
    result = analyze(*args)
    text = result.output + (result.stderr or "")
    assert result.exit_code in (0, 2), (result.exit_code, text[-1500:], result.exception)
    assert "Traceback" not in text
    if result.exit_code == 2:
        assert "Error" in text and str(path.name) in text or "Error:" in text
