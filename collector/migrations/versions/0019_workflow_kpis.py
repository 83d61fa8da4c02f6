"""workflow KPIs and shared process specs: events carry the task's kpi property and ready time;
process specs are stored once per template hash (issue 11, item 8 and the benchmark)

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workflow_specs',
    sa.Column('template_hash', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('template_hash', name=op.f('pk_workflow_specs'))
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_kpi', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_workflow_events_task_kpi_at', ['task_kpi', 'at'], unique=False)
    # Deliveries recorded before the "kpi" property existed: ham_deployment's execution task.
    op.execute("UPDATE workflow_events SET task_kpi = 'delivered' WHERE task = 'deploy' AND kind = 'task_completed' "
               "AND instance_id IN (SELECT id FROM workflow_instances WHERE template = 'ham_deployment')")


def downgrade() -> None:
    # Before this revision every state carried its own process spec: put it back from
    # workflow_specs, so the older code (and migration 0017's backfill) can read the states.
    bind = op.get_bind()
    instances = sa.table('workflow_instances', sa.column('id', sa.BigInteger), sa.column('template_hash', sa.String),
                         sa.column('state', sa.JSON))
    specs = sa.table('workflow_specs', sa.column('template_hash', sa.String), sa.column('spec', sa.JSON))
    stored = dict(bind.execute(sa.select(specs.c.template_hash, specs.c.spec)).all())
    for row in bind.execute(sa.select(instances.c.id, instances.c.template_hash, instances.c.state)).all():
        if 'spec' not in row.state and row.template_hash in stored:
            bind.execute(instances.update().where(instances.c.id == row.id)
                         .values(state={**row.state, **stored[row.template_hash]}))
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_events_task_kpi_at')
        batch_op.drop_column('ready_at')
        batch_op.drop_column('task_kpi')
    op.drop_table('workflow_specs')
