"""cmdb: cis.attributes, the register columns without a CI field (custom fields of a Snipe-IT or
GLPI export kept by header name) (issue 15, register import presets)

Revision ID: 0027
Revises: 0026
"""

from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite has had ADD/DROP COLUMN since 3.35), not batch mode:
# batch mode reflects cis, whose lower(...) search indexes (0023) SQLAlchemy cannot reflect on SQLite,
# and a batch drop_column would recreate the table without them.


def upgrade() -> None:
    op.add_column('cis', sa.Column('attributes', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('cis', 'attributes')
