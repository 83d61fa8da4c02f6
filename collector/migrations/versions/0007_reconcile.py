"""reconciliation: matches, per-CI state, audit exceptions, runs; devices.serial index

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('ci_matches',
    sa.Column('id', _ID, nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('ci_id', _ID, nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_ci_matches_ci_id_cis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ci_matches')),
    sa.UniqueConstraint('subject_type', 'subject_id', name=op.f('uq_ci_matches_subject_type'))
    )
    with op.batch_alter_table('ci_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ci_matches_ci_id'), ['ci_id'], unique=False)

    op.create_table('ci_state',
    sa.Column('ci_id', _ID, nullable=False),
    sa.Column('observed', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_ci_state_ci_id_cis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ci_id', name=op.f('pk_ci_state'))
    )
    with op.batch_alter_table('ci_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ci_state_last_seen_at'), ['last_seen_at'], unique=False)

    op.create_table('audit_exceptions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=255), nullable=True),
    sa.Column('ci_id', _ID, nullable=True),
    sa.Column('subject_type', sa.String(length=16), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('opened_run_id', sa.BigInteger(), nullable=True),
    sa.Column('resolved_run_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_audit_exceptions_ci_id_cis'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_exceptions')),
    sa.UniqueConstraint('open_key', name=op.f('uq_audit_exceptions_open_key'))
    )
    with op.batch_alter_table('audit_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_exceptions_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index('ix_audit_exceptions_kind_status', ['kind', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_exceptions_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index('ix_audit_exceptions_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('reconcile_runs',
    sa.Column('id', _ID, nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('subjects', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs'))
    )
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_runs_started_at'), ['started_at'], unique=False)

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index('ix_devices_serial', ['serial'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_serial')
    op.drop_table('reconcile_runs')
    op.drop_table('audit_exceptions')
    op.drop_table('ci_state')
    op.drop_table('ci_matches')
