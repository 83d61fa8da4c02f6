"""workflow tasks, SLAs, delegations, trigger marks: open tasks as rows, backfilled for running instances

Revision ID: 0017
Revises: 0016

``workflow_tasks`` holds a row per ready user task from then on (collector/workflows/tasks.py);
the rows of instances already running are built here from their stored interpreter state, with
due times from the shipped templates' stage SLAs counted from the upgrade (not from when the
tasks became ready, which would report every old task as breached at once). ``users.email`` is
where SLA breach emails go.
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
    op.create_table('workflow_tasks',
    sa.Column('id', _ID, nullable=False),
    sa.Column('instance_id', _ID, nullable=False),
    sa.Column('task', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('approval', sa.Boolean(), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_by', sa.String(length=64), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_workflow_tasks_owner_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['workflow_instances.id'],
                            name=op.f('fk_workflow_tasks_instance_id_workflow_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_workflow_tasks_completed_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_tasks'))
    )
    with op.batch_alter_table('workflow_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_tasks_open_role', ['completed_at', 'role'], unique=False)
        batch_op.create_index('ix_workflow_tasks_open_due', ['completed_at', 'due_at'], unique=False)
        batch_op.create_index('ix_workflow_tasks_instance_task', ['instance_id', 'task'], unique=False)
        batch_op.create_index(batch_op.f('ix_workflow_tasks_owner_id'), ['owner_id'], unique=False)
    op.create_table('workflow_delegations',
    sa.Column('id', _ID, nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('approver_group', sa.String(length=64), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], name=op.f('fk_workflow_delegations_delegator_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], name=op.f('fk_workflow_delegations_delegate_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_delegations'))
    )
    with op.batch_alter_table('workflow_delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_delegations_delegator_id'), ['delegator_id'], unique=False)
        batch_op.create_index('ix_workflow_delegations_delegate_period', ['delegate_id', 'starts_at', 'ends_at'],
                              unique=False)
    op.create_table('workflow_trigger_marks',
    sa.Column('instance_id', _ID, nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['workflow_instances.id'],
                            name=op.f('fk_workflow_trigger_marks_instance_id_workflow_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_workflow_trigger_marks'))
    )
    with op.batch_alter_table('workflow_trigger_marks', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_trigger_marks_trigger_subject', ['trigger', 'subject'], unique=False)
    _backfill_tasks(op.get_bind())


_instances = sa.table('workflow_instances', sa.column('id'), sa.column('template'), sa.column('status'),
                      sa.column('state', sa.JSON), sa.column('updated_at', sa.DateTime(timezone=True)))
_tasks = sa.table('workflow_tasks', *(sa.column(c) for c in (
    'instance_id', 'task', 'name', 'stage', 'role', 'approval', 'ready_at', 'due_at')))


def _backfill_tasks(connection) -> None:
    """A row per ready user task of every running instance, ready since the instance last moved."""
    from collector.workflows import engine
    from collector.workflows.tasks import due_at, open_task_specs

    stage_sla, now = None, datetime.now(timezone.utc)  # SLA clocks start now: no flood of old breaches
    rows = connection.execute(sa.select(_instances.c.id, _instances.c.template, _instances.c.state,
                                        _instances.c.updated_at).where(_instances.c.status == 'running'))
    for instance_id, template, state, updated_at in rows:
        if stage_sla is None:
            stage_sla = _shipped_stage_sla()
        ready_at = _aware(updated_at)
        for task, spec in open_task_specs(engine.deserialize(state)).items():
            connection.execute(_tasks.insert().values(
                instance_id=instance_id, task=task, name=spec['name'], stage=spec['stage'], role=spec['role'],
                approval=spec['approval'], ready_at=ready_at,
                due_at=due_at(spec['properties'], spec['stage'], stage_sla.get(template, {}), now)))


def _shipped_stage_sla() -> dict:
    from collector.workflows.loading import SHIPPED_DIR, load_templates

    return {name: t.stage_sla for name, t in load_templates([SHIPPED_DIR]).templates.items()}


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def downgrade() -> None:
    op.drop_table('workflow_trigger_marks')
    op.drop_table('workflow_delegations')
    op.drop_table('workflow_tasks')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
