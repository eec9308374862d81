"""The migrations build exactly the schema the models describe, and run again harmlessly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from surveyapp.db import upgrade
from surveyapp.models import Base


def test_migrations_match_the_models(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine)
    upgrade(engine)  # a second run finds nothing to do
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()
