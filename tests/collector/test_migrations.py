"""The Alembic migrations build exactly the schema the models declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from collector.migrate import current_revision, head_revision
from collector.models import Base


def test_database_is_at_head(database):
    assert current_revision(database.engine) == head_revision()


# SQLite cannot reflect expression indexes (the search's lower(column) ones, collector/models/
# search.py), so there they are skipped with a warning; PostgreSQL compares them in full.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index",
                            "ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
