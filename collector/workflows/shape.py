"""The six-stage shape every workflow template must have, checked on the BPMN XML itself.

Checked here rather than after SpiffWorkflow parses the file because lxml keeps each
element's line, so a refusal can say where the defect is. The rules:

- the process has lanes named exactly Initiation, Authorization, Execution, Documentation,
  Validation, Closure (no other lanes), and every flow node sits in one of them;
- start events are in Initiation, end events in Closure, and no sequence flow jumps forward
  over a stage (flowing back, e.g. a rejection returning to the initiator, is allowed), so
  every path from start to end walks the stages in order;
- every user task names its role in a ``role`` extension property (Camunda properties): a
  known role, ``initiator``, or ``=<variable>`` set by a DMN decision of the template whose
  every output is a known role or ``none`` (auto-approval);
- ``check``, ``action`` and ``derive`` properties name a registered evidence check, CMDB action
  or derivation (collector/workflows/derived.py);
- ``sla_hours`` (on a stage lane: every task of the stage; on a user task: that task) is a
  number of hours from 0.01 to 8760 (collector/workflows/sla.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from collector.models.workflows import STAGES

__all__ = ["BPMN_NS", "CAMUNDA_NS", "DMN_NS", "SLA_PROPERTY", "Defect", "check_shape", "decision_outputs",
           "parse_sla_hours", "properties", "stage_sla_hours"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NS = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/")
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_FLOW_NODES = ("startEvent", "endEvent", "userTask", "task", "manualTask", "scriptTask", "serviceTask",
               "businessRuleTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
               "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "subProcess",
               "callActivity", "sendTask", "receiveTask", "boundaryEvent")
# "none": the workflow starts with no CI yet (procurement creates one; SAM ones are about a product).
SUBJECTS = ("ci", "exception", "none")
SLA_PROPERTY = "sla_hours"
SLA_MAX_HOURS = 8760  # a year: anything longer is a typo, not a service level


@dataclass(frozen=True)
class Defect:
    line: int | None
    reason: str
    in_dmn: bool = False  # the line is in the template's DMN file


def properties(element) -> dict[str, str]:
    """The element's own Camunda extension properties (not those of nested elements)."""
    found = element.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value") or "" for p in found}


def parse_sla_hours(text: str) -> float:
    """An ``sla_hours`` value as hours, or ValueError saying what is wrong with it."""
    try:
        hours = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{SLA_PROPERTY} {text!r} is not a number of hours") from None
    if not 0.01 <= hours <= SLA_MAX_HOURS:  # also refuses nan and inf
        raise ValueError(f"{SLA_PROPERTY} {text!r} must be from 0.01 to {SLA_MAX_HOURS} hours")
    return hours


def stage_sla_hours(process) -> dict[str, float]:
    """Stage -> hours from the lanes' ``sla_hours`` properties (call after check_shape passed)."""
    found = {}
    for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
        value = properties(lane).get(SLA_PROPERTY)
        if value is not None:
            found[lane.get("name")] = parse_sla_hours(value)
    return found


def _sla_defects(elements) -> list[Defect]:
    defects = []
    for element in elements:
        value = properties(element).get(SLA_PROPERTY)
        if value is None:
            continue
        try:
            parse_sla_hours(value)
        except ValueError as exc:
            kind = etree.QName(element).localname
            defects.append(Defect(element.sourceline, f"{kind} {element.get('name') or element.get('id')!r}: {exc}"))
    return defects


def decision_outputs(dmn_roots: list) -> dict[str, list[tuple[int | None, str]]]:
    """Output variable name -> [(line, literal value)] of every rule, over the DMN files."""
    outputs: dict[str, list[tuple[int | None, str]]] = {}
    for root in dmn_roots:
        ns = {"d": root.nsmap.get(None) or DMN_NS[0]}
        for table in root.iter("{%s}decisionTable" % ns["d"]):
            names = [o.get("name") for o in table.findall("d:output", ns)]
            for rule in table.findall("d:rule", ns):
                for name, entry in zip(names, rule.findall("d:outputEntry", ns)):
                    text = (entry.findtext("d:text", default="", namespaces=ns) or "").strip().strip("\"'")
                    outputs.setdefault(name, []).append((entry.sourceline, text))
    return outputs


def check_shape(process, dmn_roots: list, roles: frozenset[str], checks: frozenset[str],
                actions: frozenset[str]) -> list[Defect]:
    """Every defect of one ``bpmn:process`` element (empty: the template may load)."""
    defects: list[Defect] = []
    stage_of = _lanes(process, defects)
    if defects:
        return defects
    subject = properties(process).get("subject")
    if subject not in SUBJECTS:
        defects.append(Defect(process.sourceline, f"process property 'subject' must be one of {', '.join(SUBJECTS)}"))
    nodes = [n for n in process if isinstance(n.tag, str) and etree.QName(n).localname in _FLOW_NODES]
    for node in nodes:
        kind = etree.QName(node).localname
        stage = stage_of.get(node.get("id"))
        if stage is None:
            defects.append(Defect(node.sourceline, f"{kind} {node.get('id')!r} sits in no stage lane"))
        elif kind == "startEvent" and stage != "Initiation":
            defects.append(Defect(node.sourceline,
                                  f"start event {node.get('id')!r} must be in Initiation, not {stage}"))
        elif kind == "endEvent" and stage != "Closure":
            defects.append(Defect(node.sourceline, f"end event {node.get('id')!r} must be in Closure, not {stage}"))
        if kind == "userTask":
            defects += _task_defects(node, dmn_roots, roles, checks, actions)
    defects += _flow_defects(process, stage_of)
    defects += _sla_defects(process.findall("bpmn:laneSet/bpmn:lane", NS) + process.findall("bpmn:userTask", NS))
    return defects


def _lanes(process, defects: list[Defect]) -> dict[str, str]:
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    names = [lane.get("name") for lane in lanes]
    for lane in lanes:
        if lane.get("name") not in STAGES:
            defects.append(Defect(lane.sourceline, f"lane {lane.get('name')!r} is not one of the six stages "
                                                   f"({', '.join(STAGES)})"))
    for stage in STAGES:
        if names.count(stage) != 1:
            defects.append(Defect(process.sourceline, f"the process needs exactly one lane named {stage!r} "
                                                      f"(found {names.count(stage)})"))
    return {ref.text.strip(): lane.get("name") for lane in lanes
            for ref in lane.findall("bpmn:flowNodeRef", NS) if ref.text}


def _task_defects(node, dmn_roots: list, roles: frozenset[str], checks: frozenset[str],
                  actions: frozenset[str]) -> list[Defect]:
    props, name = properties(node), node.get("id")
    role = props.get("role")
    defects = []
    if not role:
        defects.append(Defect(node.sourceline, f"user task {name!r} names no role (extension property 'role')"))
    elif role.startswith("="):
        variable = role[1:]
        outputs = decision_outputs(dmn_roots)
        if variable not in outputs:
            defects.append(Defect(node.sourceline, f"user task {name!r} takes its role from {variable!r}, "
                                                   "which no decision of the template outputs"))
        else:
            for line, value in outputs[variable]:
                if value not in roles and value != "none":
                    defects.append(Defect(line, f"decision output {variable!r} names unknown role {value!r}", True))
    elif role not in roles:
        defects.append(Defect(node.sourceline, f"user task {name!r} names unknown role {role!r} "
                                               f"(known: {', '.join(sorted(roles))})"))
    if "check" in props and props["check"] not in checks:
        defects.append(Defect(node.sourceline, f"user task {name!r} names unknown check {props['check']!r}"))
    if "action" in props and props["action"] not in actions:
        defects.append(Defect(node.sourceline, f"user task {name!r} names unknown action {props['action']!r}"))
    if "derive" in props and props["derive"] not in _derivations():
        defects.append(Defect(node.sourceline, f"user task {name!r} names unknown derivation {props['derive']!r}"))
    return defects


def _derivations() -> frozenset[str]:
    from collector.workflows.derived import DERIVATIONS  # imports the models; loading stays light

    return frozenset(DERIVATIONS)


def _flow_defects(process, stage_of: dict[str, str]) -> list[Defect]:
    defects = []
    for flow in process.findall("bpmn:sequenceFlow", NS):
        source, target = stage_of.get(flow.get("sourceRef")), stage_of.get(flow.get("targetRef"))
        if source is None or target is None:
            continue  # reported with the node
        start, end = STAGES.index(source), STAGES.index(target)
        if end > start + 1:
            skipped = ", ".join(STAGES[start + 1:end])
            defects.append(Defect(flow.sourceline, f"sequence flow {flow.get('id')!r} jumps from {source} to "
                                                   f"{target}, skipping {skipped}"))
    return defects
