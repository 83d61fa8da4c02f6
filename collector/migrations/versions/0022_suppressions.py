"""exception scope: suppression rules and the exceptions a run did not raise (quieted_exceptions)

Issue 13 item 12. Nothing is backfilled: the next full run fills quieted_exceptions and resolves
the open "unmanaged" exceptions the unmanaged policy no longer raises, with a note naming it.

Revision ID: 0022
Revises: 0021
"""

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('suppression_rules',
    sa.Column('id', _ID, nullable=False),
    sa.Column('mac_prefix', sa.String(length=17), nullable=True),
    sa.Column('ip_range', sa.String(length=64), nullable=True),
    sa.Column('device_type', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppression_rules'))
    )
    with op.batch_alter_table('suppression_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppression_rules_expires_at'), ['expires_at'], unique=False)

    op.create_table('quieted_exceptions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('open_key', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ci_id', sa.BigInteger(), nullable=True),
    sa.Column('subject_type', sa.String(length=16), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rule_id', _ID, nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['suppression_rules.id'],
                            name=op.f('fk_quieted_exceptions_rule_id_suppression_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quieted_exceptions')),
    sa.UniqueConstraint('open_key', name=op.f('uq_quieted_exceptions_open_key'))
    )
    with op.batch_alter_table('quieted_exceptions', schema=None) as batch_op:
        batch_op.create_index('ix_quieted_exceptions_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quieted_exceptions_rule_id'), ['rule_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quieted_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quieted_exceptions_rule_id'))
        batch_op.drop_index('ix_quieted_exceptions_subject')
    op.drop_table('quieted_exceptions')
    with op.batch_alter_table('suppression_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppression_rules_expires_at'))
    op.drop_table('suppression_rules')
