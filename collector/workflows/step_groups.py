"""One workflow step run once per group of instances that stand in the same place, its result
copied to the others: what makes a bulk acknowledge of 10,000 exceptions take seconds.

Restoring, running and saving a SpiffWorkflow instance costs ~1 ms of CPU; 10,000 of them were
most of a bulk acknowledge. Instances of one template version at the same tasks, in the same
states, with the same values for every data name the process could read, take the same path
through the engine. "Could read" is decided without trusting the template: a data name counts as
read when it appears as a word anywhere in the stored process spec (conditions, scripts, DMN
tables, role expressions, form fields); only names that appear nowhere (the subject's
``exception_id``, ``ci_id``, ``asset_tag``… in exception_resolution) may differ within a group.
Such a name can only hold the value its instance was seeded with, so the copy puts each
instance's own value back, keeps its own task ids, ready stamps and every field the step did not
change, and gives the tasks the step created fresh ids. Anything else (a state carrying its own
spec, subprocesses, events, a name with two values in one instance) is not grouped: the caller
runs that instance through the engine itself. The one way around the word test is a script
that spells a data name at run time (``locals()["exception" + "_id"]``); the shipped templates
have no scripts, and a template author adding one should name its data plainly.
"""

from __future__ import annotations

import re

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import WorkflowSpec
from collector.workflows import engine

__all__ = ["CopyShapes", "NotCopyable", "Shape", "mentioned_names", "shape_of", "transplant"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MENTIONED: dict[str, frozenset[str]] = {}  # template hash -> the words of its stored spec (never changed)
_READY_AT = "stocktake_ready_at"  # engine._READY_AT: when a person's task became ready
_IDS = ("id", "parent", "children")
_SEEN_APART = frozenset((*_IDS, "last_state_change", "internal_data", "data", "delta"))  # a task's fields keyed apart


class NotCopyable(Exception):
    """The step's result cannot be copied to this instance: run the engine on it."""


def mentioned_names(session: Session, template_hash: str) -> frozenset[str] | None:
    """Every word of the process spec stored for ``template_hash`` (None if none is stored)."""
    if template_hash not in _MENTIONED:
        document = session.scalar(select(WorkflowSpec.spec).where(WorkflowSpec.template_hash == template_hash))
        if document is None:
            return None
        _MENTIONED[template_hash] = frozenset(_WORD.findall(orjson.dumps(document).decode()))
    return _MENTIONED[template_hash]


class Shape:
    """An instance's state seen as the engine sees it: ``key`` is equal for instances the step
    treats alike; ``order`` lists task ids tree-wise; ``values`` holds the unread names' values."""

    __slots__ = ("key", "order", "state", "values")

    def __init__(self, key: bytes, order: list[str], state: dict, values: dict) -> None:
        self.key, self.order, self.state, self.values = key, order, state, values


def shape_of(state: dict, mentioned: frozenset[str]) -> Shape | None:
    """None when the state cannot be grouped (it runs alone)."""
    if "spec" in state or state.get("subprocesses") or state.get("bpmn_events"):
        return None
    order = _tree_order(state)
    if order is None:
        return None
    index = {task_id: n for n, task_id in enumerate(order)}
    values: dict = {}
    try:
        tasks = [_task_key(state["tasks"][task_id], index, mentioned, values) for task_id in order]
        rest = {k: v for k, v in state.items() if k not in ("tasks", "root", "last_task", "data")}
        rest["data"] = _masked(state.get("data") or {}, mentioned, values)
    except NotCopyable:
        return None
    key = orjson.dumps([tasks, index.get(state.get("last_task")), rest], option=orjson.OPT_SORT_KEYS)
    return Shape(key, order, state, values)


class CopyShapes:
    """:func:`shape_of` for states copied from one fresh state (engine.first_state: new task ids,
    new ready stamps, the seed as the root task's data, everything else the fresh state's own
    objects). Walking every task of 10,000 such states was the largest part of grouping them; a
    copy's key is the fresh state's with the root's data swapped for the seed's. A state is
    taken for a copy only when checked to be one (same fields, the same objects, ids mapped
    alike); anything else, or a fresh state whose other tasks hold an unread name, goes through
    :func:`shape_of`, whose result this equals (tests/collector/workflows/test_bulk_triage_same_rows.py)."""

    def __init__(self, fresh: dict | None, mentioned: frozenset[str]) -> None:
        self.fresh, self.mentioned, self.parts = fresh, mentioned, None
        if fresh is None or "spec" in fresh or fresh.get("subprocesses") or fresh.get("bpmn_events"):
            return
        self.order = _tree_order(fresh)
        if self.order is None:
            return
        index = {task_id: n for n, task_id in enumerate(self.order)}
        values: dict = {}
        try:
            tasks = [_task_key(fresh["tasks"][task_id], index, mentioned, values) for task_id in self.order]
            rest = {k: v for k, v in fresh.items() if k not in ("tasks", "root", "last_task", "data")}
            rest["data"] = _masked(fresh.get("data") or {}, mentioned, values)
        except NotCopyable:
            return
        if values:  # the fresh state holds an unread name itself: the seed's could clash with it
            return
        self.parts = (tasks, index.get(fresh.get("last_task")), rest)

    def shape(self, state: dict) -> Shape | None:
        if self.parts is None or not self._is_copy(state):
            return shape_of(state, self.mentioned)
        tasks, last, rest = self.parts
        values: dict = {}
        root = tasks[0]
        try:
            data = _masked(state["tasks"][state["root"]]["data"], self.mentioned, values)
        except NotCopyable:
            return None
        key = orjson.dumps([[[*root[:4], data, root[5]], *tasks[1:]], last, rest], option=orjson.OPT_SORT_KEYS)
        order = _tree_order(state)
        return Shape(key, order, state, values) if order is not None else shape_of(state, self.mentioned)

    def _is_copy(self, state: dict) -> bool:
        fresh = self.fresh
        if state.keys() != fresh.keys() or len(state["tasks"]) != len(fresh["tasks"]):
            return False
        if any(state[k] is not v for k, v in fresh.items() if k not in ("tasks", "root", "last_task")):
            return False
        ids = dict(zip(fresh["tasks"], state["tasks"]))
        if state["root"] != ids[fresh["root"]] or state["last_task"] != ids.get(fresh["last_task"]):
            return False
        for old, new in ids.items():
            theirs, own = fresh["tasks"][old], state["tasks"][new]
            if own.keys() != theirs.keys() or own["id"] != new or own["parent"] != ids.get(theirs["parent"]):
                return False
            if own["children"] != [ids[c] for c in theirs["children"]]:
                return False
            if not _same_internal(own["internal_data"], theirs["internal_data"]):
                return False
            if any(own[k] is not v for k, v in theirs.items()
                   if k not in _IDS and k != "internal_data" and not (k == "data" and old == fresh["root"])):
                return False
        return True


def _same_internal(own: dict, theirs: dict) -> bool:
    """Equal but for the ready stamp's time (the key sees only that there is one)."""
    return own is theirs or (own.keys() == theirs.keys()
                             and all(own[k] == v for k, v in theirs.items() if k != _READY_AT))


def _tree_order(state: dict) -> list[str] | None:
    tasks, order, stack = state["tasks"], [], [state["root"]]
    while stack:
        task_id = stack.pop()
        if task_id not in tasks:
            return None
        order.append(task_id)
        stack.extend(reversed(tasks[task_id]["children"]))
    return order if len(order) == len(tasks) else None


def _task_key(task: dict, index: dict, mentioned: frozenset[str], values: dict) -> list:
    other = {k: v for k, v in task.items() if k not in _SEEN_APART}
    internal = {k: (v if k != _READY_AT else True) for k, v in task["internal_data"].items()}  # stamped, not when
    delta = task.get("delta") or {}
    masked_delta = {**delta, "updates": _masked(delta.get("updates") or {}, mentioned, values)} if delta else {}
    return [index.get(task["parent"]), [index[c] for c in task["children"]], other, internal,
            _masked(task["data"], mentioned, values), masked_delta]


def _masked(data: dict, mentioned: frozenset[str], values: dict) -> dict:
    """The data with every unread name's value left out (collected in ``values``, one per name)."""
    masked = {}
    for name, value in data.items():
        if name in mentioned:
            masked[name] = value
            continue
        if name in values and values[name] != value:
            raise NotCopyable(f"{name} has two values")
        values[name], masked[name] = value, None
    return masked


def transplant(before: Shape, after: dict, member: Shape) -> dict:
    """``member``'s state after the step that took ``before`` (same key) to ``after``."""
    ids = dict(zip(before.order, member.order, strict=True))
    created = [task_id for task_id in after["tasks"] if task_id not in ids]
    ids.update(zip(created, engine.new_task_ids(len(created))))
    swap = _Swap(before.values, member.values)
    old, own = before.state["tasks"], member.state["tasks"]
    tasks = {}
    for task_id, task in after["tasks"].items():
        if task_id in old:
            copy = _merged(task, old[task_id], own[ids[task_id]], swap)
        else:
            copy = {k: (swap.data(v) if k in ("data", "delta") else v) for k, v in task.items()}
        copy.update(id=ids[task_id], parent=ids.get(task["parent"]), children=[ids[c] for c in task["children"]])
        tasks[ids[task_id]] = copy
    state = _merged(after, before.state, member.state, swap, skip=("tasks", "root", "last_task"))
    state.update(tasks=tasks, root=ids[after["root"]], last_task=ids.get(after.get("last_task")))
    return state


def _merged(after: dict, before: dict, own: dict, swap: _Swap, skip: tuple = _IDS) -> dict:
    """Field by field: what the step left as it was keeps the member's own value; what it changed
    takes the step's value (data: with the member's values of unread names)."""
    merged = {}
    for name, value in after.items():
        if name in skip:
            continue
        if name in before and before[name] == value:
            merged[name] = own[name]
        elif name in ("data", "delta", "internal_data") and isinstance(value, dict) and name in before:
            merged[name] = _merged_dict(name, value, before[name], own[name], swap)
        else:
            merged[name] = swap.data(value) if name in ("data", "delta") else value
    return merged


def _merged_dict(name: str, after: dict, before: dict, own: dict, swap: _Swap) -> dict:
    merged = {}
    for key, value in after.items():
        if key in before and before[key] == value:
            merged[key] = own[key]
        elif name == "data":
            merged[key] = swap.value(key, value)
        elif name == "delta" and key == "updates":
            merged[key] = swap.data(value)
        else:
            merged[key] = value
    return merged


class _Swap:
    """The group's values of unread names replaced by the member's."""

    def __init__(self, theirs: dict, own: dict) -> None:
        self.theirs, self.own = theirs, own

    def value(self, name: str, value):
        if name not in self.theirs:
            return value
        if value != self.theirs[name]:
            raise NotCopyable(f"{name} changed")  # unread names are never written: the engine did
        return self.own.get(name)

    def data(self, value):
        if not isinstance(value, dict):
            return value
        if "updates" in value and isinstance(value["updates"], dict):  # a task's delta
            return {**value, "updates": self.data(value["updates"])}
        return {k: self.value(k, v) for k, v in value.items()}
