"""devices: firmware and printer page count from the SNMP poll

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firmware', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('page_count', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('page_count_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('page_count_at')
        batch_op.drop_column('page_count')
        batch_op.drop_column('firmware')
