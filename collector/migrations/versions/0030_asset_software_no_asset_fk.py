"""asset_software.asset_id without its foreign key to assets (issue 15, first-time ingest speed)

PostgreSQL checks a foreign key with one trigger call per inserted row: a new machine's 1,500
package links cost 1,500 look-ups of the same asset row, about half of that insert's time
(~5 ms of the database's CPU per first report on the benchmark machine). The links are only
ever written by ingest for the asset it has just locked or created, and Stocktake never
deletes an asset (assets are retired, not removed), so the constraint protected nothing the
code can do; ``software_id`` has had no foreign key from the start for the same reason.

Revision ID: 0030
Revises: 0029
"""

from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

# SQLite recreates the table (batch mode); resolve_fks=False keeps its reflection from loading
# assets, whose lower(...) search indexes (0023) SQLAlchemy cannot reflect on SQLite.
_REFLECT = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table('asset_software', schema=None, reflect_kwargs=_REFLECT) as batch_op:
        batch_op.drop_constraint('fk_asset_software_asset_id_assets', type_='foreignkey')


def downgrade() -> None:
    # Links whose asset a person deleted by hand would fail the constraint: drop them first.
    op.execute("DELETE FROM asset_software WHERE NOT EXISTS (SELECT 1 FROM assets WHERE assets.id = asset_software.asset_id)")
    with op.batch_alter_table('asset_software', schema=None, reflect_kwargs=_REFLECT) as batch_op:
        batch_op.create_foreign_key('fk_asset_software_asset_id_assets', 'assets', ['asset_id'], ['id'],
                                    ondelete='CASCADE')
