"""Settings from the environment: text settings as given, ROLE_WEIGHTS as a JSON object."""

import pytest

from surveyapp.config import settings_from_environment


def test_environment_settings():
    settings = settings_from_environment({
        "DATABASE_URL": "postgresql://db/x", "SECRET_KEY": "k", "UNRELATED": "1",
        "ROLE_WEIGHTS": '{"economic": 0.4, "technical": 1}'})
    assert settings == {"DATABASE_URL": "postgresql://db/x", "SECRET_KEY": "k",
                        "ROLE_WEIGHTS": {"economic": 0.4, "technical": 1.0}}


@pytest.mark.parametrize("raw, message", [
    ("{economic: 1}", "not valid JSON"),
    ('{"economic": -1}', "non-negative"),
    ('[0.3]', "JSON object"),
])
def test_bad_role_weights_are_a_clear_error(raw, message):
    with pytest.raises(ValueError, match=message):
        settings_from_environment({"ROLE_WEIGHTS": raw})


def test_the_app_reads_the_environment(monkeypatch, tmp_path):
    from surveyapp import create_app

    monkeypatch.setenv("ROLE_WEIGHTS", '{"economic": 0.5}')
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["ROLE_WEIGHTS"] == {"economic": 0.5}
    assert app.config["DATABASE_URL"].endswith("env.sqlite")
    app.extensions["db_engine"].dispose()


def test_partial_role_weights_keep_the_other_defaults():
    # hand-computed: economic 0.4 replaces 0.30, every other role keeps its default
    from analysis.rollup import DEFAULT_ROLE_WEIGHTS, role_weights

    weights = role_weights({"Economic buyer": 0.4, "unknown": 0})
    assert weights == {**DEFAULT_ROLE_WEIGHTS, "economic": 0.4, "unknown": 0.0}
    assert role_weights({"经济买家": 0.5})["economic"] == 0.5
    with pytest.raises(ValueError, match="'boss': not a buying role"):
        role_weights({"boss": 1})


def test_a_mistyped_role_weight_stops_the_app(tmp_path):
    from surveyapp import create_app

    with pytest.raises(ValueError, match="not a buying role"):
        create_app({"SECRET_KEY": "x", "ROLE_WEIGHTS": {"economc": 0.4},
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"},
                   instance_path=str(tmp_path))


def test_the_secret_key_is_made_once_and_kept(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from surveyapp.config import load_secret_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_secret_key(str(tmp_path)), range(32)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_numbers_and_webhooks_come_from_the_environment_too():
    settings = settings_from_environment({
        "ALERT_GAP_THRESHOLD": "-1.5", "TASK_DUE_DAYS": "3",
        "ALERT_WEBHOOKS": '[{"kind": "generic", "url": "https://hooks.example/x", '
                          '"secret": "s"}]'})
    assert settings["ALERT_GAP_THRESHOLD"] == -1.5 and settings["TASK_DUE_DAYS"] == 3
    assert settings["ALERT_WEBHOOKS"][0]["kind"] == "generic"
    with pytest.raises(ValueError, match="TASK_DUE_DAYS must be a number"):
        settings_from_environment({"TASK_DUE_DAYS": "soon"})
    with pytest.raises(ValueError, match="ALERT_WEBHOOKS must be a JSON list"):
        settings_from_environment({"ALERT_WEBHOOKS": '{"kind": "generic"}'})


def test_a_malformed_webhook_target_stops_the_app(tmp_path):
    from surveyapp import create_app

    with pytest.raises(ValueError, match=r"ALERT_WEBHOOKS\[0\]"):
        create_app({"SECRET_KEY": "x", "ALERT_WEBHOOKS": [{"kind": "fax", "url": "x"}],
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"},
                   instance_path=str(tmp_path))
