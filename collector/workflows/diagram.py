"""The process diagram of a workflow as SVG, drawn on the server from the BPMN file's DI.

BPMN 2.0 files carry their own layout (``bpmndi``: a bounds rectangle per lane, task, event
and gateway, waypoints per sequence flow), the layout a modeller such as bpmn.io shows. We
draw that layout as plain SVG markup, styled by class from the site stylesheet: the pages run
no script and the CSP allows no inline style, so nothing here needs either. The current
stage's lane and the ready tasks are marked (by class and in the text equivalent), and tasks
already done are marked too. A pure function of the XML and the state: no database, no app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from textwrap import wrap

from lxml import etree
from markupsafe import Markup, escape

__all__ = ["DiagramError", "DiagramState", "draw_diagram"]

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": _BPMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
       "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
_XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_TASKS = frozenset(("task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
                    "receiveTask", "callActivity", "subProcess"))
_EVENTS = frozenset(("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"))
_GATEWAY_MARKS = {"exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○", "eventBasedGateway": "◇"}
_PAD = 12


class DiagramError(ValueError):
    """The file has no diagram (DI) to draw for the process."""


@dataclass(frozen=True)
class DiagramState:
    """Where an instance is: its stage, the BPMN ids of ready tasks and of tasks done."""

    stage: str | None = None
    ready: frozenset[str] = field(default_factory=frozenset)
    done: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float


def draw_diagram(bpmn: bytes | str, process_id: str, state: DiagramState, title: str = "") -> Markup:
    """SVG markup of the process ``process_id`` of the BPMN document ``bpmn`` (bytes or text)."""
    root = etree.fromstring(bpmn.encode() if isinstance(bpmn, str) else bpmn, _XML)
    process = next((p for p in root.iterfind("bpmn:process", _NS) if p.get("id") == process_id), None)
    if process is None:
        raise DiagramError(f"no process {process_id!r} in the file")
    elements = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    elements.update({p.get("id"): p for p in root.iterfind("bpmn:collaboration/bpmn:participant", _NS)
                     if p.get("processRef") == process_id})
    shapes = {s.get("bpmnElement"): _bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", _NS)
              if s.get("bpmnElement") in elements}
    edges = {e.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in e.iterfind("di:waypoint", _NS)]
             for e in root.iterfind(".//bpmndi:BPMNEdge", _NS) if e.get("bpmnElement") in elements}
    if not shapes:
        raise DiagramError(f"process {process_id!r} has no diagram (BPMN DI) in the file")
    names = {key: (el.get("name") or "").strip() for key, el in elements.items()}
    kinds = {key: etree.QName(el).localname for key, el in elements.items()}
    parts = [_lane(key, box, names[key], kinds[key], state) for key, box in shapes.items()
             if kinds[key] in ("participant", "lane")]
    parts += [_flow(points, names[key]) for key, points in edges.items() if len(points) >= 2]
    parts += [_node(key, box, names[key], kinds[key], state) for key, box in shapes.items()
              if kinds[key] not in ("participant", "lane")]
    return _svg(shapes, edges, parts, _description(shapes, names, kinds, state), title)


def _bounds(shape) -> _Box:
    b = shape.find("dc:Bounds", _NS)
    return _Box(float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _lane(key: str, box: _Box, name: str, kind: str, state: DiagramState) -> str:
    css = "pool" if kind == "participant" else "lane" + (" current" if name == state.stage else "")
    # The name runs up the lane's left edge, as modellers draw it.
    cx, cy = box.x + 15, box.y + box.h / 2
    label = "" if kind == "participant" else (
        f'<text class="lane-label" x="{_num(cx)}" y="{_num(cy)}" transform="rotate(-90 {_num(cx)} {_num(cy)})" '
        f'text-anchor="middle" dominant-baseline="middle">{escape(name)}</text>')
    return (f'<g class="{css}" data-lane="{escape(name)}"><rect x="{_num(box.x)}" y="{_num(box.y)}" '
            f'width="{_num(box.w)}" height="{_num(box.h)}"/>{label}</g>')


def _flow(points: list[tuple[float, float]], name: str) -> str:
    line = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
    label = ""
    if name:
        (x1, y1), (x2, y2) = points[0], points[1]
        x, y = _num((x1 + x2) / 2 + 4), _num(min(y1, y2) - 5)
        label = f'<text class="flow-label" x="{x}" y="{y}">{escape(name)}</text>'
    return f'<g class="flow"><polyline points="{line}" marker-end="url(#wf-arrow)"/>{label}</g>'


def _node(key: str, box: _Box, name: str, kind: str, state: DiagramState) -> str:
    status = "ready" if key in state.ready else "done" if key in state.done else ""
    css = " ".join(c for c in ("node", _family(kind), kind, status) if c)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    if kind in _EVENTS:
        shape = f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(min(box.w, box.h) / 2)}"/>'
        return f'<g class="{css}" data-id="{escape(key)}">{shape}{_caption(name, cx, box.y + box.h + 14, 120)}</g>'
    if kind in _GATEWAY_MARKS:
        points = f"{_num(cx)},{_num(box.y)} {_num(box.x + box.w)},{_num(cy)} {_num(cx)},{_num(box.y + box.h)} " \
                 f"{_num(box.x)},{_num(cy)}"
        mark = f'<text class="mark" x="{_num(cx)}" y="{_num(cy)}" text-anchor="middle" ' \
               f'dominant-baseline="central">{_GATEWAY_MARKS[kind]}</text>'
        return (f'<g class="{css}" data-id="{escape(key)}"><polygon points="{points}"/>{mark}'
                f'{_caption(name, cx, box.y - 8 - 14 * max(0, len(_lines(name, 120)) - 1), 120)}</g>')
    rect = (f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" '
            f'rx="10" ry="10"/>')
    lines = _lines(name, box.w)
    caption = _caption(name, cx, cy - 7 * (len(lines) - 1) + 4, box.w)
    return f'<g class="{css}" data-id="{escape(key)}">{rect}{caption}</g>'


def _family(kind: str) -> str:
    if kind in _TASKS:
        return "task"
    if kind in _EVENTS:
        return "event"
    return "gateway" if kind in _GATEWAY_MARKS else "other"


def _lines(name: str, width: float) -> list[str]:
    """Words wrapped to the box at ~6.5 SVG units per character (12 px sans), at most 4 lines."""
    lines = wrap(name, max(6, int(width / 6.5))) if name else []
    return lines[:3] + ([lines[3] + ("…" if len(lines) > 4 else "")] if len(lines) > 3 else [])


def _caption(name: str, x: float, y: float, width: float) -> str:
    if not name:
        return ""
    spans = "".join(f'<tspan x="{_num(x)}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                    for i, line in enumerate(_lines(name, width)))
    return f'<text class="caption" x="{_num(x)}" y="{_num(y)}" text-anchor="middle">{spans}</text>'


def _description(shapes: dict, names: dict, kinds: dict, state: DiagramState) -> str:
    ready = [names[k] or k for k in shapes if k in state.ready]
    text = f"Current stage: {state.stage or 'none'}."
    text += f" Ready: {'; '.join(ready)}." if ready else " No task is ready."
    done = [names[k] or k for k in shapes if k in state.done and kinds[k] in _TASKS]
    return text + (f" Done: {'; '.join(done)}." if done else "")


def _svg(shapes: dict, edges: dict, parts: list[str], description: str, title: str) -> Markup:
    xs = [b.x for b in shapes.values()] + [x for pts in edges.values() for x, _ in pts]
    ys = [b.y for b in shapes.values()] + [y for pts in edges.values() for _, y in pts]
    right = max([b.x + b.w for b in shapes.values()] + xs)
    bottom = max([b.y + b.h for b in shapes.values()] + ys) + 30  # event captions hang below
    left, top = min(xs) - _PAD, min(ys) - _PAD - 30  # gateway captions sit above
    width, height = right - left + _PAD, bottom - top + _PAD
    arrow = ('<defs><marker id="wf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>')
    return Markup(
        f'<svg class="bpmn" role="img" aria-labelledby="wf-diagram-title wf-diagram-desc" '
        f'viewBox="{_num(left)} {_num(top)} {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="wf-diagram-title">{escape(title or "Process diagram")}</title>'
        f'<desc id="wf-diagram-desc">{escape(description)}</desc>{arrow}{"".join(parts)}</svg>')
