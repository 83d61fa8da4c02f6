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


def upgrade() -> None:
    with op.batch_alter_table('cis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cis', schema=None) as batch_op:
        batch_op.drop_column('attributes')
