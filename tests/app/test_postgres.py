"""The same app on a real PostgreSQL server: migrations, a survey, the scorecard, the export
and the whole analysis. `make test` starts a local server and sets TEST_DATABASE_URL."""

from __future__ import annotations

import io
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveyapp.db import get_session, upgrade
from surveyapp.models import Base, Response
from surveyapp.services import invitations, surveys
from surveyapp.services.campaigns import latest_campaign
from surveyapp.services.figures import wave_figures
from surveyapp.services.responses import campaign_frame
from tests.conftest import requires_postgres

pytestmark = requires_postgres


def test_migrations_build_the_models_schema_on_postgresql(pg_app):
    with pg_app.app_context():
        upgrade()
        with pg_app.extensions["db_engine"].connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []


def test_demo_survey_scorecard_export_and_analysis_on_postgresql(pg_app):
    runner = pg_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    token = re.findall(r"^Survey link: \S+/s/(\S+)$", result.output, re.M)[0]
    email, password = re.search(r"^Login \(admin\): (\S+) / (\S+)$", result.output, re.M).groups()
    client = pg_app.test_client()
    assert client.get(f"/s/{token}").status_code == 200
    with pg_app.app_context():  # submitted as the survey's last page does, through the service
        session = get_session()
        invitation = invitations.find(session, token)
        columns = latest_campaign(session).answer_columns
        answers = {c: (20 if c.startswith("imp.") else 4) for c in columns}
        surveys.submit(session, invitation, answers, "zh")
        with pytest.raises(invitations.AlreadyAnswered):  # stores nothing the second time
            surveys.submit(session, invitation, answers, "zh")
    with pg_app.app_context():
        session = get_session()
        wave = latest_campaign(session)
        frame = campaign_frame(session, wave)
        stored = session.scalar(select(func.count()).select_from(Response).where(
            Response.campaign_id == wave.id))
        assert len(frame) == stored and frame["submitted_at"].notna().all()
        assert str(frame["submitted_at"].dtype).startswith("datetime64")
        figures = wave_figures(session, wave)
        summary = figures.summary
        # the submitted answer reached the stored run through the background job
        assert figures.run.response_count == stored
    assert set(summary["stages"]) >= {"early", "partnership", "uncoupling"}
    client.post("/login", data={"email": email, "password": password})
    assert client.get("/accounts").status_code == 200
    assert client.get("/accounts/A001").status_code == 200
    book = load_workbook(io.BytesIO(client.get("/export.xlsx?lang=en").data))
    assert book["Accounts"].max_row >= 4 + 30
