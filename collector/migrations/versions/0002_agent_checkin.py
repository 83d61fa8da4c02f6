"""agent check-in state: last check-in, spool depth, agent-reported last success

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents') as batch_op:
        batch_op.add_column(sa.Column('last_checkin_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('spool_depth', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents') as batch_op:
        batch_op.drop_column('last_success_at')
        batch_op.drop_column('spool_depth')
        batch_op.drop_column('last_checkin_at')
