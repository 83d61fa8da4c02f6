"""SpiffWorkflow glue: start a template's process, store it as JSON, find its ready tasks.

The only module that touches SpiffWorkflow's runtime API, so an upgrade of the library
(or a change of interpreter) stays here. Stored state is the serializer's JSON document,
which carries the process spec too: a running instance keeps the template it started with.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loading imports this module
    from collector.workflows.loading import Template

__all__ = ["completed", "current_stage", "deserialize", "new_workflow", "ready_tasks", "run_task", "serialize",
           "task_info", "task_infos"]


class _WithoutTaskData(logging.Filter):
    """SpiffWorkflow attaches a task's whole data to its task log records whenever its logger's
    level is below INFO (the default, NOTSET, is), and the JSON log format writes every extra:
    task data holds what people typed, licence keys included. Keep the rest of the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in ("data", "internal_data"):
            record.__dict__.pop(name, None)
        return True


for _name in ("spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn"):
    logging.getLogger(_name).addFilter(_WithoutTaskData())


@lru_cache(maxsize=1)
def _serializer():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def new_workflow(template: Template, seed: dict):
    """A fresh process run up to its first tasks that need a person, ``seed`` in its data."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(template.spec, template.subprocess_specs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(seed)
    workflow.do_engine_steps()
    return workflow


def serialize(workflow) -> dict:
    return json.loads(_serializer().serialize_json(workflow))


def deserialize(state: dict):
    return _serializer().deserialize_json(json.dumps(state))


def ready_tasks(workflow) -> list:
    """The user tasks a person may complete now, in a stable order."""
    from SpiffWorkflow.util.task import TaskState

    return sorted(workflow.get_tasks(state=TaskState.READY, manual=True), key=lambda t: t.task_spec.bpmn_id)


def run_task(workflow, task, data: dict) -> None:
    """Complete ``task`` with ``data`` and run the engine on to the next tasks for people."""
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def completed(workflow) -> bool:
    return workflow.is_completed()


def current_stage(workflow) -> str:
    """The stage of the ready tasks (the earliest, if they differ); Closure once completed."""
    from collector.models.workflows import STAGES

    stages = [t.task_spec.lane for t in ready_tasks(workflow) if t.task_spec.lane in STAGES]
    return min(stages, key=STAGES.index) if stages else "Closure"


def task_info(task_spec) -> dict:
    """What Stocktake needs of a user task's spec: name, stage (lane), role, properties, form fields."""
    form = getattr(task_spec, "form", None)
    return {"name": task_spec.bpmn_name or task_spec.name, "stage": task_spec.lane,
            "role": task_spec.extensions.get("role"), "properties": dict(task_spec.extensions),
            "fields": list(form.fields) if form is not None else []}


def task_infos(spec) -> dict:
    """bpmn id -> task_info of every user task of a process spec (a template's or an instance's own)."""
    return {ts.bpmn_id: task_info(ts) for ts in spec.task_specs.values() if getattr(ts, "manual", False)}


def task_data(workflow) -> dict:
    """The data of the latest ready task (what the process knows so far)."""
    tasks = ready_tasks(workflow)
    if tasks:
        return dict(tasks[0].data)
    return dict(workflow.last_task.data) if workflow.last_task is not None else {}
