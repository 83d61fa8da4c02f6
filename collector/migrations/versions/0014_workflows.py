"""workflows: instances of six-stage BPMN processes and their append-only events

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('workflow_instances',
    sa.Column('id', _ID, nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('template_hash', sa.String(length=64), nullable=False),
    sa.Column('ci_id', _ID, nullable=True),
    sa.Column('exception_id', _ID, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('initiator_id', sa.Integer(), nullable=True),
    sa.Column('need_by', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['cis.id'], name=op.f('fk_workflow_instances_ci_id_cis'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exception_id'], ['audit_exceptions.id'],
                            name=op.f('fk_workflow_instances_exception_id_audit_exceptions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiator_id'], ['users.id'], name=op.f('fk_workflow_instances_initiator_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_instances'))
    )
    with op.batch_alter_table('workflow_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_instances_template'), ['template'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_instances_ci_id'), ['ci_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_instances_exception_id'), ['exception_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_instances_initiator_id'), ['initiator_id'], unique=False)
        batch_op.create_index('ix_workflow_instances_status_stage', ['status', 'stage'], unique=False)
    op.create_table('workflow_events',
    sa.Column('id', _ID, nullable=False),
    sa.Column('instance_id', _ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('actor_role', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('task', sa.String(length=128), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['workflow_instances.id'],
                            name=op.f('fk_workflow_events_instance_id_workflow_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_workflow_events_actor_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_events'))
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_events_instance_at', ['instance_id', 'at'], unique=False)
        batch_op.create_index('ix_workflow_events_kind_at', ['kind', 'at'], unique=False)


def downgrade() -> None:
    op.drop_table('workflow_events')
    op.drop_table('workflow_instances')
