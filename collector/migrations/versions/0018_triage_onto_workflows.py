"""triage onto workflows: each unresolved exception gets its exception_resolution workflow, with its
assignee, comments and acknowledgement carried over as workflow events (original times and authors)

Revision ID: 0018
Revises: 0017

Exception triage used to live on the exception itself (assignee_id, acknowledged_*, the
exception_comments table). It now works through the exception's resolution workflow
(collector/workflows/triage_workflow.py). For every unresolved exception without a running
workflow this opens one, as Stocktake at the time the exception was opened, and replays in
time order: the assignment (time and author from the audit log's last ``exception_assigned``
entry), each comment (``comment`` events, author and time kept), and the acknowledgement as
the completion of the triage task by whoever acknowledged it. Open-task rows follow (their SLA
clock starts now: an upgrade must not flood everyone with breaches of old exceptions), and one
``workflow_triage_migrated`` audit entry per workflow records what was carried. The old rows
and columns stay as they were (the queue still reads the columns). Downgrade removes the
workflows this made (they are marked in workflow_trigger_marks as ``triage_migration``).
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

MARK = 'triage_migration'
TEMPLATE = 'exception_resolution'
_T = sa.DateTime(timezone=True)
exceptions = sa.table('audit_exceptions', sa.column('id'), sa.column('kind'), sa.column('open_key'),
                      sa.column('ci_id'), sa.column('opened_at', _T), sa.column('updated_at', _T),
                      sa.column('assignee_id'), sa.column('acknowledged_at', _T), sa.column('acknowledged_by_id'))
instances = sa.table('workflow_instances', *(sa.column(c) for c in (
    'id', 'template', 'template_hash', 'ci_id', 'exception_id', 'status', 'stage', 'initiator_id', 'created_at',
    'updated_at', 'version')), sa.column('state', sa.JSON))
events = sa.table('workflow_events', *(sa.column(c) for c in (
    'instance_id', 'at', 'actor_id', 'actor', 'actor_role', 'kind', 'stage', 'task', 'note')),
    sa.column('detail', sa.JSON))
tasks = sa.table('workflow_tasks', *(sa.column(c) for c in (
    'instance_id', 'task', 'name', 'stage', 'role', 'approval', 'ready_at', 'due_at', 'completed_at',
    'completed_by_id', 'completed_by', 'owner_id')))
marks = sa.table('workflow_trigger_marks', *(sa.column(c) for c in ('instance_id', 'trigger', 'subject', 'fired_at')))
comments = sa.table('exception_comments', sa.column('id'), sa.column('exception_id'), sa.column('author_id'),
                    sa.column('author'), sa.column('body'), sa.column('created_at', _T))
users = sa.table('users', sa.column('id'), sa.column('username'), sa.column('role'))
audit = sa.table('audit_log', sa.column('id'), sa.column('at', _T), sa.column('actor'), sa.column('actor_id'),
                 sa.column('action'), sa.column('target'), sa.column('detail', sa.JSON), sa.column('client'),
                 sa.column('prev_hash'), sa.column('row_hash'))


def upgrade() -> None:
    connection = op.get_bind()
    pending = connection.execute(sa.select(exceptions).where(
        exceptions.c.open_key.is_not(None),
        ~sa.exists().where(instances.c.exception_id == exceptions.c.id, instances.c.status == 'running'))
        .order_by(exceptions.c.id)).all()
    if not pending:
        return
    from collector.workflows.loading import SHIPPED_DIR, load_templates

    template = load_templates([SHIPPED_DIR]).get(TEMPLATE)
    people = {row.id: row for row in connection.execute(sa.select(users))}
    for exception in pending:
        _carry_over(connection, template, people, exception)


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _history(connection, people, exception) -> list[tuple]:
    """(time, kind, actor id, actor name, detail or note) of what triage recorded, oldest first."""
    carried = []
    if exception.assignee_id is not None:
        entry = connection.execute(sa.select(audit.c.at, audit.c.actor_id, audit.c.actor).where(
            audit.c.action == 'exception_assigned', audit.c.target == f'exception {exception.id}')
            .order_by(audit.c.id.desc()).limit(1)).first()
        at, actor_id, actor = entry if entry else (exception.updated_at, None, None)
        person = people.get(exception.assignee_id)
        carried.append((_aware(at), 'assigned', actor_id, actor,
                        {'assignee': person.username if person else None, 'assignee_id': exception.assignee_id}))
    for row in connection.execute(sa.select(comments).where(comments.c.exception_id == exception.id)
                                  .order_by(comments.c.created_at, comments.c.id)):
        carried.append((_aware(row.created_at), 'comment', row.author_id, row.author, row.body))
    if exception.acknowledged_at is not None:
        person = people.get(exception.acknowledged_by_id)
        carried.append((_aware(exception.acknowledged_at), 'acknowledged', exception.acknowledged_by_id,
                        person.username if person else None, None))
    return sorted(carried, key=lambda item: item[0])


def _carry_over(connection, template, people, exception) -> None:
    from collector.workflows import engine

    opened = _aware(exception.opened_at)
    seed = {'exception_id': exception.id, 'exception_kind': exception.kind}
    ci = connection.execute(sa.text('SELECT id, ci_class, asset_tag FROM cis WHERE id = :id'),
                            {'id': exception.ci_id}).first() if exception.ci_id is not None else None
    if ci is not None:
        seed.update(ci_id=ci.id, ci_class=ci.ci_class, asset_tag=ci.asset_tag)
    workflow = engine.new_workflow(template, seed)
    stage = engine.current_stage(workflow)
    instance_id = connection.execute(instances.insert().values(
        template=TEMPLATE, template_hash=template.sha256, ci_id=seed.get('ci_id'), exception_id=exception.id,
        status='running', stage=stage, initiator_id=None, created_at=opened, updated_at=opened,
        state=engine.serialize(workflow), version=1).returning(instances.c.id)).scalar_one()
    log = _Events(connection, instance_id)
    log.add(opened, 'started', None, 'stocktake', 'system', stage, detail={'subject': seed, 'migrated': True})
    log.add(opened, 'stage_entered', None, 'stocktake', 'system', stage)
    version, moved_at, owner, triaged = 1, opened, None, None
    for at, kind, actor_id, actor, payload in _history(connection, people, exception):
        role = _role(people, actor_id)
        if kind == 'assigned':
            owner = payload['assignee_id']
            log.add(at, 'assigned', actor_id, actor, role, stage, detail=payload)
        elif kind == 'comment':
            log.add(at, 'comment', actor_id, actor, role, stage, note=payload)
        elif 'triage' in [t.task_spec.bpmn_id for t in engine.ready_tasks(workflow)]:
            plan = 'acknowledged in the exception queue (carried over by migration 0018)'
            task = next(t for t in engine.ready_tasks(workflow) if t.task_spec.bpmn_id == 'triage')
            engine.run_task(workflow, task, {'plan': plan})
            log.add(at, 'task_completed', actor_id, actor, role, stage, task='triage',
                    detail={'fields': {'plan': plan}, 'evidence': None})
            stage, version, moved_at, triaged = engine.current_stage(workflow), version + 1, at, (at, actor_id, actor)
            log.add(at, 'stage_entered', actor_id, actor, role, stage)
    connection.execute(instances.update().where(instances.c.id == instance_id).values(
        state=engine.serialize(workflow), stage=stage, version=version, updated_at=moved_at))
    _task_rows(connection, template, workflow, instance_id, opened, moved_at, triaged, owner)
    connection.execute(marks.insert().values(instance_id=instance_id, trigger=MARK,
                                             subject=f'exception:{exception.id}', fired_at=_now()))
    _audit(connection, instance_id, exception.id, log.counts)


def _role(people, actor_id) -> str | None:
    person = people.get(actor_id)
    return person.role if person else None


class _Events:
    def __init__(self, connection, instance_id):
        self.connection, self.instance_id, self.counts = connection, instance_id, {}

    def add(self, at, kind, actor_id, actor, role, stage, task=None, detail=None, note=None):
        self.connection.execute(events.insert().values(
            instance_id=self.instance_id, at=at, actor_id=actor_id, actor=actor, actor_role=role, kind=kind,
            stage=stage, task=task, detail=detail or {}, note=note))
        self.counts[kind] = self.counts.get(kind, 0) + 1


def _task_rows(connection, template, workflow, instance_id, opened, moved_at, triaged, owner) -> None:
    from collector.workflows.tasks import due_at, open_task_specs

    if triaged is not None:
        at, actor_id, actor = triaged
        info = template.tasks['triage']
        connection.execute(tasks.insert().values(
            instance_id=instance_id, task='triage', name=info['name'], stage=info['stage'], role='operator',
            approval=False, ready_at=opened, due_at=due_at(info['properties'], info['stage'], template.stage_sla,
                                                           opened),
            completed_at=at, completed_by_id=actor_id, completed_by=actor, owner_id=owner))
    for task, spec in open_task_specs(workflow).items():
        connection.execute(tasks.insert().values(
            instance_id=instance_id, task=task, name=spec['name'], stage=spec['stage'], role=spec['role'],
            approval=spec['approval'], ready_at=moved_at,
            due_at=due_at(spec['properties'], spec['stage'], template.stage_sla, _now()), owner_id=owner))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _audit(connection, instance_id, exception_id, counts) -> None:
    """One entry at the end of the hash chain, as collector.access.audit_log.append_entry writes it."""
    import json

    from collector.access.audit_log import GENESIS, _content, entry_hash

    last = connection.execute(sa.select(audit.c.id, audit.c.row_hash).order_by(audit.c.id.desc()).limit(1)).first()
    entry_id, prev = (last.id + 1, last.row_hash) if last else (1, GENESIS)
    at = _now()
    detail = json.loads(json.dumps({'exception_id': exception_id, 'carried': counts}, sort_keys=True))
    target = f'workflow {instance_id}'
    content = _content(entry_id, at, 'stocktake', None, 'workflow_triage_migrated', target, detail, 'migration')
    connection.execute(audit.insert().values(id=entry_id, at=at, actor='stocktake', actor_id=None,
                                             action='workflow_triage_migrated', target=target, detail=detail,
                                             client='migration', prev_hash=prev, row_hash=entry_hash(prev, content)))


def downgrade() -> None:
    made = sa.select(marks.c.instance_id).where(marks.c.trigger == MARK)
    connection = op.get_bind()
    for table in (events, tasks):
        connection.execute(table.delete().where(table.c.instance_id.in_(made)))
    ids = [row[0] for row in connection.execute(made)]
    connection.execute(marks.delete().where(marks.c.trigger == MARK))
    if ids:
        connection.execute(instances.delete().where(instances.c.id.in_(ids)))
