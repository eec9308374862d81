import pytest

from analysis import load_instrument
from tests.conftest import REPO


@pytest.fixture(scope="session")
def servqual():
    return load_instrument(REPO / "instruments" / "servqual.toml")
