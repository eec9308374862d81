"""Hostile TOML files are clear errors naming the file, never a crash."""

import pytest

from analysis import InstrumentError, load_instrument
from analysis.tomlfile import MAX_TOML_BYTES, parse_toml


@pytest.mark.parametrize("text", [
    "a = " + "[" * 2000 + "]" * 2000,
    "a = " + "{b = " * 2000 + "1" + "}" * 2000,
])
def test_nesting_two_thousand_levels_deep_is_an_error_not_a_crash(text):
    with pytest.raises(ValueError, match=r"deep\.toml: arrays or tables nest too deeply"):
        parse_toml(text, "deep.toml", ValueError)


def test_an_oversized_file_is_refused_before_parsing():
    with pytest.raises(ValueError, match="big.toml: the file is larger than 2 MB"):
        parse_toml("# x\n" * (MAX_TOML_BYTES // 4 + 1), "big.toml", ValueError)


def test_a_deeply_nested_instrument_file_names_the_file(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text('id = "x"\nversion = ' + "[" * 2000 + "]" * 2000, encoding="utf-8")
    with pytest.raises(InstrumentError, match="deep.toml: arrays or tables nest too deeply"):
        load_instrument(path)
