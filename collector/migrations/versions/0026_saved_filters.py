"""lists: saved filters (a person's named filter and sort for a list), and the exception queue's
sort indexes (kind, id) and (status, id) (issue 14, lists)

Revision ID: 0026
Revises: 0025
"""

from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('saved_filters',
    sa.Column('id', _ID, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('list_name', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
    sa.UniqueConstraint('user_id', 'list_name', 'name', name=op.f('uq_saved_filters_user_id'))
    )
    with op.batch_alter_table('audit_exceptions', schema=None) as batch_op:
        batch_op.create_index('ix_audit_exceptions_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_audit_exceptions_status_id', ['status', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_exceptions_status_id')
        batch_op.drop_index('ix_audit_exceptions_kind_id')
    op.drop_table('saved_filters')
