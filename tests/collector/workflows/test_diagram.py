"""The process diagram drawn from each shipped template's BPMN DI, for every stage it can be in."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from collector.models.workflows import STAGES
from collector.workflows.diagram import DiagramError, DiagramState, draw_diagram
from collector.workflows.loading import SHIPPED_DIR

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SVG = {"s": "http://www.w3.org/2000/svg"}
TEMPLATES = sorted(SHIPPED_DIR.glob("*.bpmn"))
_NODES = ("startEvent", "endEvent", "userTask", "businessRuleTask", "scriptTask", "serviceTask", "manualTask", "task",
          "exclusiveGateway", "parallelGateway", "inclusiveGateway", "intermediateCatchEvent", "sendTask")


def _process(path: Path):
    return etree.parse(str(path)).getroot().find(f"{BPMN}process[@id='{path.stem}']")


def _lanes(process) -> dict[str, list[str]]:
    return {lane.get("name"): [ref.text for ref in lane.iter(f"{BPMN}flowNodeRef")]
            for lane in process.iter(f"{BPMN}lane")}


def _draw(path: Path, state: DiagramState):
    svg = draw_diagram(path.read_bytes(), path.stem, state, f"{path.stem} <diagram>")
    return svg, etree.fromstring(str(svg).encode())


def test_every_template_is_drawn_whole():
    assert len(TEMPLATES) >= 2
    for path in TEMPLATES:
        process = _process(path)
        svg, root = _draw(path, DiagramState())
        drawn = set(root.xpath("//s:g/@data-id", namespaces=SVG))
        nodes = {n.get("id") for n in process if etree.QName(n).localname in _NODES}
        assert nodes and nodes <= drawn, (path.name, nodes - drawn)
        assert set(root.xpath("//s:g[contains(@class, 'lane')]/@data-lane", namespaces=SVG)) == set(STAGES)
        flows = process.findall(f"{BPMN}sequenceFlow")
        assert len(root.xpath("//s:g[@class='flow']/s:polyline", namespaces=SVG)) == len(flows), path.name
        # Everything sits inside the viewBox (a shape off the canvas would be cut off).
        x, y, w, h = map(float, root.get("viewBox").split())
        for rect in root.xpath("//s:rect", namespaces=SVG):
            assert x <= float(rect.get("x")) and float(rect.get("x")) + float(rect.get("width")) <= x + w
            assert y <= float(rect.get("y")) and float(rect.get("y")) + float(rect.get("height")) <= y + h
        assert root.findtext("s:title", namespaces=SVG) == f"{path.stem} <diagram>"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_each_stage_highlights_its_lane_and_ready_tasks(path):
    process = _process(path)
    user_tasks = {t.get("id") for t in process.iter(f"{BPMN}userTask")}
    lanes = _lanes(process)
    for number, stage in enumerate(STAGES):
        ready = frozenset(t for t in lanes[stage] if t in user_tasks)
        done = frozenset(t for s in STAGES[:number] for t in lanes[s] if t in user_tasks)
        _, root = _draw(path, DiagramState(stage, ready, done))
        current = root.xpath("//s:g[contains(concat(' ', @class, ' '), ' current ')]/@data-lane", namespaces=SVG)
        assert current == [stage]
        marked = set(root.xpath("//s:g[contains(concat(' ', @class, ' '), ' ready ')]/@data-id", namespaces=SVG))
        assert marked == set(ready) and ready, (path.stem, stage)
        finished = set(root.xpath("//s:g[contains(concat(' ', @class, ' '), ' done ')]/@data-id", namespaces=SVG))
        assert finished == set(done)
        description = root.findtext("s:desc", namespaces=SVG)
        assert description.startswith(f"Current stage: {stage}. Ready: ")


def test_names_are_text_never_markup(tmp_path):
    source = (SHIPPED_DIR / "ham_deployment.bpmn").read_text()
    hostile = source.replace('name="Deploy: assign the CI to the user"',
                             'name="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"')
    svg, root = _draw_text(hostile)
    assert "<script>" not in svg and root.xpath("//s:script", namespaces=SVG) == []
    captions = "".join(root.xpath("//s:g[@data-id='deploy']//text()", namespaces=SVG))
    assert "<script>alert(1)</script>" in captions


def _draw_text(text: str):
    svg = str(draw_diagram(text, "ham_deployment", DiagramState("Execution", frozenset({"deploy"}))))
    return svg, etree.fromstring(svg.encode())


def test_a_file_without_diagram_or_process_is_refused():
    source = (SHIPPED_DIR / "ham_deployment.bpmn").read_text()
    bare = source[:source.index("<bpmndi:BPMNDiagram")] + "</bpmn:definitions>"
    with pytest.raises(DiagramError, match="has no diagram"):
        draw_diagram(bare, "ham_deployment", DiagramState())
    with pytest.raises(DiagramError, match="no process 'other'"):
        draw_diagram(source, "other", DiagramState())


def test_long_names_wrap_inside_their_box():
    source = (SHIPPED_DIR / "ham_deployment.bpmn").read_text()
    long_name = "Validate that the new user shows in the next agent report for the machine " * 2
    _, root = _draw_text(source.replace('name="Validate: the user shows in the agent\'s report"',
                                        f'name="{long_name.strip()}"'))
    spans = root.xpath("//s:g[@data-id='validate']//s:tspan/text()", namespaces=SVG)
    assert 2 <= len(spans) <= 4 and all(len(line) <= 100 / 6.5 + 1 for line in spans[:-1])
    assert spans[-1].endswith("…")
