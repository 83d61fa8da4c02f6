"""foreign agents' wire hash (issue 15): agents.last_wire_hash, so an unchanged OCS, FusionInventory
or GLPI inventory is recognised from its raw bytes without parsing

Revision ID: 0029
Revises: 0028
"""

from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_wire_hash', sa.String(length=129), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('last_wire_hash')
