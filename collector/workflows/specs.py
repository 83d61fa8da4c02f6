"""Process specs stored once per template version, shared by the states of its instances.

SpiffWorkflow's serialiser puts the whole process spec into every workflow's state (9 of a
fresh state's 13 KB for the shipped templates). Stocktake stores it once per template hash in
``workflow_specs`` and keeps each instance's state to its task tree and data. The row is
written the first time an instance of that hash starts and never changed, so a running
instance still acts on the spec it started with even after its template file is edited. The
restored spec objects are cached per hash in the process: restoring one takes ~0.5 ms.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from collector.models import WorkflowInstance, WorkflowSpec, utcnow
from collector.workflows import engine
from collector.workflows.loading import Template

__all__ = ["ensure_spec", "load_workflow", "store_state"]

_RESTORED: dict[str, engine.ProcessSpec] = {}


def ensure_spec(session: Session, template: Template, now: datetime | None = None) -> None:
    """Store the template's spec under its hash unless it is there already (in the caller's transaction).

    Two nodes may start the first instance of a new hash at once: the insert does nothing on a
    conflict, so neither transaction fails and both find the same row."""
    exists = session.scalar(select(WorkflowSpec.template_hash).where(WorkflowSpec.template_hash == template.sha256))
    if exists is not None:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(WorkflowSpec).values(template_hash=template.sha256, template=template.name,
                                                spec=engine.spec_document(template), created_at=now or utcnow())
                    .on_conflict_do_nothing(index_elements=["template_hash"]))


def _spec(session: Session, template_hash: str) -> engine.ProcessSpec:
    restored = _RESTORED.get(template_hash)
    if restored is None:
        document = session.scalar(select(WorkflowSpec.spec).where(WorkflowSpec.template_hash == template_hash))
        if document is None:
            raise LookupError(f"no stored process spec for template hash {template_hash}")
        restored = _RESTORED[template_hash] = engine.restore_spec(document)
    return restored


def load_workflow(instance: WorkflowInstance, session: Session | None = None):
    """The instance's workflow, restored with the spec it started with."""
    if "spec" in instance.state:  # stored before migration 0019: the state carries its own spec
        return engine.deserialize(instance.state)
    session = session or object_session(instance)
    return engine.deserialize(instance.state, _spec(session, instance.template_hash))


def store_state(instance: WorkflowInstance, workflow) -> None:
    """The state after a transition; one that carried its own spec keeps carrying it (its hash
    may name a template version whose spec was never stored)."""
    instance.state = engine.serialize(workflow, with_spec="spec" in instance.state)
