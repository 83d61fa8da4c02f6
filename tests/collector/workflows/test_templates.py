"""Loading templates: the shipped ones load; each kind of defect is refused with file, line and reason."""

from __future__ import annotations

import re

import pytest

from collector.workflows.loading import SHIPPED_DIR, load_templates

HAM = (SHIPPED_DIR / "ham_deployment.bpmn").read_text()
DMN = (SHIPPED_DIR / "ham_deployment.dmn").read_text()


def _line(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


SAM = ["sam_acquisition", "sam_deployment", "sam_reclaim", "sam_audit_prep", "sam_renewal", "license_remediation"]


def test_shipped_templates_load_with_their_stages_and_roles():
    loaded = load_templates([SHIPPED_DIR])
    assert loaded.errors == []
    assert {"exception_resolution", "ham_deployment", "ham_procurement", "ham_maintenance", "ham_reassignment",
            "ham_retirement", *SAM} <= set(loaded.templates)
    assert sorted(loaded.templates) == sorted(p.stem for p in SHIPPED_DIR.glob("*.bpmn"))
    ham = loaded.get("ham_deployment")
    assert ham.subject == "ci" and len(ham.sha256) == 64
    assert {task: (info["stage"], info["role"]) for task, info in ham.tasks.items()} == {
        "request": ("Initiation", "operator"), "resubmit": ("Initiation", "initiator"),
        "approve_cost": ("Authorization", "=approver"), "deploy": ("Execution", "operator"),
        "document": ("Documentation", "operator"), "validate": ("Validation", "operator"),
        "close": ("Closure", "operator")}


def test_sam_templates_are_about_a_product_with_an_optional_ci():
    loaded = load_templates([SHIPPED_DIR])
    assert {name: loaded.get(name).subject for name in SAM} == {
        "sam_acquisition": "none", "sam_deployment": "ci", "sam_reclaim": "none", "sam_audit_prep": "none",
        "sam_renewal": "none", "license_remediation": "none"}
    for name in SAM:  # the product is typed at initiation and checked against agents' reports there
        assert loaded.get(name).tasks["request"]["properties"]["derive"] in (
            "software_product", "reclaim_candidates", "over_deployment"), name


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED_DIR.glob("*.bpmn")))
def test_shipped_templates_carry_a_diagram_for_bpmn_modellers(name):
    """Modellers (bpmn.io, Camunda Modeler) draw only what has diagram coordinates (BPMN DI)."""
    from lxml import etree

    root = etree.parse(str(SHIPPED_DIR / f"{name}.bpmn")).getroot()
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
    process = root.find("bpmn:process", ns)
    elements = {e.get("id") for e in process if e.get("id") and etree.QName(e).localname != "extensionElements"}
    elements |= {lane.get("id") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", ns)} - {None}
    elements -= {process.find("bpmn:laneSet", ns).get("id")}
    drawn = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNShape", ns)}
    drawn |= {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    assert elements - drawn == set()


def _broken(tmp_path, name: str, text: str, dmn: str | None = DMN):
    """``name``.bpmn in an admin directory (process id renamed to match), beside a good copy."""
    text = text.replace('"ham_deployment"', f'"{name}"')
    (tmp_path / f"{name}.bpmn").write_text(text)
    if dmn is not None:
        (tmp_path / f"{name}.dmn").write_text(dmn)
    (tmp_path / "good_copy.bpmn").write_text(HAM.replace('"ham_deployment"', '"good_copy"'))
    (tmp_path / "good_copy.dmn").write_text(DMN)
    loaded = load_templates([tmp_path])
    assert "good_copy" in loaded.templates and name not in loaded.templates  # the others still load
    return [(e.file.rsplit("/", 1)[-1], e.line, e.reason) for e in loaded.errors]


DEFECTS = {
    "not_xml": (HAM.replace("</bpmn:process>", "</bpmn:proces>"), "</bpmn:proces>",
                r"not well-formed XML: .*"),
    "wrong_lane": (HAM.replace('name="Documentation"', 'name="Paperwork"'), 'name="Paperwork"',
                   r"lane 'Paperwork' is not one of the six stages .*",
                   ("<bpmn:process ", r"the process needs exactly one lane named 'Documentation' \(found 0\)")),
    "unknown_role": (HAM.replace('<camunda:property name="role" value="operator"/></camunda:properties>\n'
                                 '        <camunda:formData>\n          <camunda:formField id="handover"',
                                 '<camunda:property name="role" value="janitor"/></camunda:properties>\n'
                                 '        <camunda:formData>\n          <camunda:formField id="handover"'),
                     '<bpmn:userTask id="document"', r"user task 'document' names unknown role 'janitor' .*"),
    "skips_a_stage": (HAM.replace('<bpmn:sequenceFlow id="f_deploy" sourceRef="deploy" targetRef="document"/>',
                                  '<bpmn:sequenceFlow id="f_deploy" sourceRef="deploy" targetRef="validate"/>'),
                      'id="f_deploy"', r"sequence flow 'f_deploy' jumps from Execution to Validation, "
                                       r"skipping Documentation"),
    "task_outside_stages": (HAM.replace("<bpmn:flowNodeRef>document</bpmn:flowNodeRef>", ""),
                            '<bpmn:userTask id="document"', r"userTask 'document' sits in no stage lane"),
    "no_role": (HAM.replace('<camunda:property name="role" value="operator"/>\n          <camunda:property '
                            'name="check"', '<camunda:property name="check"'),
                '<bpmn:userTask id="validate"', r"user task 'validate' names no role .*"),
    "unknown_check": (HAM.replace('value="user_reported"', 'value="crystal_ball"'), '<bpmn:userTask id="validate"',
                      r"user task 'validate' names unknown check 'crystal_ball'"),
    "unknown_derivation": (HAM.replace('<camunda:property name="check" value="user_reported"/>',
                                       '<camunda:property name="check" value="user_reported"/>'
                                       '<camunda:property name="derive" value="guesswork"/>'),
                           '<bpmn:userTask id="validate"', r"user task 'validate' names unknown derivation 'guesswork'"),
    "unknown_subject": (HAM.replace('name="subject" value="ci"', 'name="subject" value="product"'),
                        "<bpmn:process ", r"process property 'subject' must be one of ci, exception, none"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_a_bad_template_is_refused_with_file_line_and_reason(tmp_path, defect):
    text, needle, reason, *more = DEFECTS[defect]
    errors = _broken(tmp_path, defect, text)
    expected = [(needle, reason), *more]
    assert len(errors) == len(expected), errors
    for (file, line, message), (needle, reason) in zip(errors, expected):
        assert file == f"{defect}.bpmn"
        assert line == _line(text.replace('"ham_deployment"', f'"{defect}"'), needle), (line, message)
        assert re.fullmatch(reason, message), message


def test_a_decision_naming_an_unknown_approver_group_is_refused_until_configured(tmp_path):
    dmn = DMN.replace('<text>"admin"</text></outputEntry>\n      </rule>\n      <rule id="r_mid">',
                      '<text>"finance"</text></outputEntry>\n      </rule>\n      <rule id="r_mid">')
    errors = _broken(tmp_path, "grouped", HAM, dmn)
    assert errors == [("grouped.dmn", _line(dmn, '<outputEntry id="r_server_out"'),
                       "decision output 'approver' names unknown role 'finance'")]
    with_group = load_templates([tmp_path], {"finance": frozenset({"fiona"})})
    assert "grouped" in with_group.templates and with_group.errors == []


def test_a_spiffworkflow_refusal_names_the_element_line(tmp_path):
    text = HAM.replace('camunda:decisionRef="approval_route"', 'camunda:decisionRef="no_such_decision"')
    errors = _broken(tmp_path, "no_decision", text)
    assert len(errors) == 1
    file, line, message = errors[0]
    assert file == "no_decision.bpmn" and message.startswith("SpiffWorkflow: ") and "no_such_decision" in message
    assert line == _line(text, '<bpmn:businessRuleTask id="route"'), errors


def test_a_name_loaded_twice_is_refused_the_second_time(tmp_path):
    (tmp_path / "ham_deployment.bpmn").write_text(HAM)
    loaded = load_templates([SHIPPED_DIR, tmp_path])
    assert "ham_deployment" in loaded.templates and loaded.get("ham_deployment").path.startswith(str(SHIPPED_DIR))
    assert [e.reason for e in loaded.errors] == [f"template 'ham_deployment' is already loaded from "
                                                 f"{SHIPPED_DIR / 'ham_deployment.bpmn'}"]
