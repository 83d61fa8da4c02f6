"""SpiffWorkflow glue: start a template's process, store it as JSON, find its ready tasks.

The only module that touches SpiffWorkflow's runtime API, so an upgrade of the library
(or a change of interpreter) stays here. Stored state is the serializer's JSON document
*without* the process spec: the spec (9 of a state's 13 KB, measured in docs/benchmarks.md)
is the same for every instance of one template version, so it is stored once per template
hash (collector/workflows/specs.py) and a running instance still acts on the spec it
started with. A state from before that split still carries its own spec and restores alone.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:  # loading imports this module
    from collector.workflows.loading import Template

__all__ = ["SPEC_KEYS", "ProcessSpec", "completed", "current_stage", "deserialize", "first_state", "first_state_plain",
           "fresh_state", "mark_ready", "new_task_ids", "new_workflow", "ready_since", "ready_tasks", "restore_spec",
           "run_task", "serialize", "spec_document", "task_info", "task_infos"]

# SpiffWorkflow logs every task state change at INFO with the task's data (form input): Stocktake
# records its own events, and form data does not belong in the logs.
logging.getLogger("spiff").setLevel(logging.WARNING)

# The keys of a serialised workflow that hold its process spec (stored per template hash).
SPEC_KEYS = ("spec", "subprocess_specs")
_READY_AT = "stocktake_ready_at"


@dataclass(frozen=True)
class ProcessSpec:
    """A restored process spec and its subprocess specs: shared, read-only, by every instance of one hash."""

    spec: object
    subprocess_specs: dict


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


def _document(workflow) -> dict:
    return json.loads(_serializer().serialize_json(workflow))


def serialize(workflow, with_spec: bool = False) -> dict:
    """The instance's own state: task tree and data, without the process spec unless asked."""
    document = _document(workflow)
    if not with_spec:
        for key in SPEC_KEYS:
            document.pop(key, None)
    return document


def spec_document(template: Template) -> dict:
    """The serialised process spec of a template, stored once per template hash."""
    serializer = _serializer()
    from SpiffWorkflow.bpmn import BpmnWorkflow

    document = _document(BpmnWorkflow(template.spec, template.subprocess_specs))
    return {key: document[key] for key in SPEC_KEYS} | {serializer.VERSION_KEY: document[serializer.VERSION_KEY]}


def restore_spec(document: dict) -> ProcessSpec:
    """The spec objects of a stored spec document (restore once per hash, then share)."""
    serializer = _serializer()
    restored = json.loads(json.dumps(document))
    serializer.migrate(restored)
    return ProcessSpec(serializer.registry.restore(restored["spec"]),
                       {k: serializer.registry.restore(v) for k, v in restored.get("subprocess_specs", {}).items()})


def deserialize(state: dict, spec: ProcessSpec | None = None):
    """The workflow of a stored state; ``spec`` is needed unless the state carries its own (old rows)."""
    serializer = _serializer()
    document = orjson.loads(orjson.dumps(state))  # a deep copy: restoring changes the document
    serializer.migrate(document)
    if "spec" not in document:
        if spec is None:
            raise ValueError("this workflow state needs its stored process spec")
        # The registry returns objects it does not recognise unchanged: the shared spec is used as is.
        document["spec"], document["subprocess_specs"] = spec.spec, dict(spec.subprocess_specs)
    return serializer.from_dict(document)


@dataclass(frozen=True)
class _FirstState:
    state: dict  # the state of a fresh instance with no seed; never changed, copied per instance
    stage: str
    plain: bool  # the state reads back from its JSON column equal (no tuples, no non-text keys)


_FIRST_STATES: dict[tuple[str, str], _FirstState | None] = {}


def _first_state(template: Template) -> _FirstState | None:
    key = (template.name, template.sha256)
    if key not in _FIRST_STATES:
        _FIRST_STATES[key] = _build_first_state(template)
    return _FIRST_STATES[key]


def _build_first_state(template: Template) -> _FirstState | None:
    """A template's fresh state, built once. None when the steps before the first person's task
    could read the seed (a gateway, script or decision): then each instance runs them itself."""
    from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
    from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
    from SpiffWorkflow.util.task import TaskState

    workflow = new_workflow(template, {})
    if any(not isinstance(t.task_spec, (BpmnStartTask, StartEvent))
           for t in workflow.get_tasks(state=TaskState.COMPLETED)):
        return None
    mark_ready(workflow, None)
    state = serialize(workflow)
    if state.get("subprocesses") or state.get("bpmn_events"):
        return None  # keyed by task ids or carrying events: not a plain copy
    return _FirstState(state, current_stage(workflow), orjson.loads(orjson.dumps(state)) == state)


def first_state(template: Template, seed: dict, now) -> tuple[dict, str]:
    """(state, stage) of a new instance: the template's fresh state copied, with new task ids and
    ``seed`` as the root task's data: a fraction of running the engine and serialising
    (measured in docs/benchmarks.md)."""
    first = _first_state(template)
    if first is None:
        workflow = new_workflow(template, seed)
        mark_ready(workflow, now)
        return serialize(workflow), current_stage(workflow)
    return _copied(first.state, json.loads(json.dumps(seed, default=str)), now), first.stage


def first_state_plain(template: Template) -> bool:
    """Whether :func:`first_state` copies a fresh state that reads back from the database equal
    (with a seed of text, numbers and None): a bulk step may then keep it instead of reading it."""
    first = _first_state(template)
    return first is not None and first.plain


def fresh_state(template: Template) -> dict | None:
    """The fresh state :func:`first_state` copies for ``template`` (None if it runs the engine per
    instance). Shared: read it, never change it."""
    first = _first_state(template)
    return first.state if first is not None else None


def _copied(state: dict, seed: dict, now) -> dict:
    """A copy of a fresh state with new task ids. Only what differs is new: the task dicts, the
    root's data and the ready stamps; the rest (deltas, specs' names) is shared and never changed."""
    ids = dict(zip(state["tasks"], new_task_ids(len(state["tasks"]))))
    tasks = {}
    for old, task in state["tasks"].items():
        copy = dict(task, id=ids[old], parent=ids.get(task["parent"]), children=[ids[c] for c in task["children"]])
        if _READY_AT in task["internal_data"]:
            copy["internal_data"] = dict(task["internal_data"], **{_READY_AT: now.isoformat() if now else None})
        tasks[ids[old]] = copy
    tasks[ids[state["root"]]]["data"] = seed
    return dict(state, tasks=tasks, root=ids[state["root"]], last_task=ids.get(state["last_task"]))


def new_task_ids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text, as SpiffWorkflow names tasks: one read of the
    system's random source for all of them (uuid.uuid4() per task was a tenth of a bulk step)."""
    ids, random = [], os.urandom(16 * count)
    for start in range(0, 16 * count, 16):
        raw = bytearray(random[start:start + 16])
        raw[6], raw[8] = (raw[6] & 0x0F) | 0x40, (raw[8] & 0x3F) | 0x80  # RFC 4122 version 4, variant 10
        text = raw.hex()
        ids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return ids


def mark_ready(workflow, now) -> None:
    """Stamp the person's tasks that have just become ready with the time (for approval-time KPIs)."""
    for task in ready_tasks(workflow):
        if _READY_AT not in task.internal_data:
            task.internal_data[_READY_AT] = now.isoformat() if now is not None else None


def ready_since(task):
    """When ``task`` became ready (a datetime), if the engine stamped it."""
    from datetime import datetime

    stamp = task.internal_data.get(_READY_AT)
    return datetime.fromisoformat(stamp) if stamp else None


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
