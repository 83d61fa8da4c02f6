"""reconciliation runs keep their measured duration (issue 13, item 11)

Revision ID: 0021
Revises: 0020
"""

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_ms', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.drop_column('duration_ms')
