"""Loading workflow templates from the server's template directories.

A template is ``<name>.bpmn`` (one executable process whose id is ``<name>``) plus an
optional ``<name>.dmn`` holding its decision tables. They come only from the shipped
directory and the admin directories in ``workflow_template_dirs``, never from uploads:
BPMN script tasks and gateway conditions run Python. A file that fails to parse or breaks
the six-stage shape (collector/workflows/shape.py) is refused with its file, line and
reason; the other templates still load.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from collector.workflows.engine import task_infos
from collector.workflows.roles import known_roles, parse_groups
from collector.workflows.shape import NS, check_shape, properties, stage_sla_hours

__all__ = ["SHIPPED_DIR", "Template", "TemplateError", "TemplateSet", "load_templates", "templates_for"]

log = logging.getLogger(__name__)
SHIPPED_DIR = Path(__file__).resolve().parent / "templates"
# Entities are never expanded and nothing is fetched: a template is data, not a request.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


@dataclass(frozen=True)
class TemplateError:
    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or '?'}: {self.reason}"


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    subject: str  # "ci", "exception" or "none" (shape.SUBJECTS)
    path: str
    sha256: str
    spec: object = field(repr=False)
    subprocess_specs: dict = field(repr=False)
    # bpmn id -> {"name", "stage", "role", "properties", "fields"} for every user task.
    tasks: dict = field(repr=False)
    # Stage -> hours a task of that stage may wait before its SLA is breached (lane ``sla_hours``).
    stage_sla: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TemplateSet:
    templates: dict[str, Template]
    errors: list[TemplateError]
    groups: dict[str, frozenset[str]]

    def get(self, name: str) -> Template | None:
        return self.templates.get(name)


def load_templates(directories: list[Path], groups: dict[str, frozenset[str]] | None = None) -> TemplateSet:
    """Every ``*.bpmn`` of the directories, in order; a name seen twice is refused the second time."""
    from collector.workflows.evidence import CHECKS
    from collector.workflows.actions import ACTIONS

    groups = groups or {}
    roles = known_roles(groups) | {"initiator"}
    templates: dict[str, Template] = {}
    errors: list[TemplateError] = []
    for directory in directories:
        if not Path(directory).is_dir():
            errors.append(TemplateError(str(directory), None, "template directory not found"))
            continue
        for path in sorted(Path(directory).glob("*.bpmn")):
            if path.stem in templates:
                errors.append(TemplateError(str(path), None, f"template {path.stem!r} is already loaded from "
                                                              f"{templates[path.stem].path}"))
                continue
            template, problems = _load_one(path, roles, frozenset(CHECKS), frozenset(ACTIONS))
            errors += problems
            if template is not None:
                templates[template.name] = template
    for error in errors:
        log.warning("workflow template refused: %s", error)
    return TemplateSet(templates, errors, groups)


def _parse(path: Path):
    try:
        return etree.parse(str(path), _XML).getroot(), None
    except etree.XMLSyntaxError as exc:
        return None, TemplateError(str(path), exc.lineno, f"not well-formed XML: {exc.msg}")
    except OSError as exc:
        return None, TemplateError(str(path), None, f"cannot read: {exc}")


def _load_one(path: Path, roles, checks, actions) -> tuple[Template | None, list[TemplateError]]:
    root, error = _parse(path)
    if error:
        return None, [error]
    dmn_path = path.with_suffix(".dmn")
    dmn_root = None
    if dmn_path.exists():
        dmn_root, error = _parse(dmn_path)
        if error:
            return None, [error]
    processes = [p for p in root.findall("bpmn:process", NS) if p.get("isExecutable") == "true"]
    if len(processes) != 1 or processes[0].get("id") != path.stem:
        return None, [TemplateError(str(path), root.sourceline, f"needs exactly one executable process with id "
                                                                 f"{path.stem!r} (the file's name)")]
    process = processes[0]
    defects = check_shape(process, [dmn_root] if dmn_root is not None else [], roles, checks, actions)
    if defects:
        return None, [TemplateError(str(dmn_path if d.in_dmn else path), d.line, d.reason) for d in defects]
    try:
        spec, subprocesses = _spiff_spec(path, root, dmn_path, dmn_root)
    except Exception as exc:  # SpiffWorkflow raises its own and lxml's errors; all mean "refused"
        file, line = _where(exc, ((path, root), (dmn_path, dmn_root)))
        return None, [TemplateError(str(file), line, f"SpiffWorkflow: {_message(exc)}")]
    digest = hashlib.sha256(path.read_bytes() + (dmn_path.read_bytes() if dmn_root is not None else b""))
    return Template(path.stem, process.get("name") or path.stem, properties(process)["subject"], str(path),
                    digest.hexdigest(), spec, subprocesses, task_infos(spec), stage_sla_hours(process)), []


def _spiff_spec(path: Path, root, dmn_path: Path, dmn_root):
    from SpiffWorkflow.camunda.parser import CamundaParser

    parser = CamundaParser()
    parser.add_bpmn_xml(root, filename=str(path))
    if dmn_root is not None:
        parser.add_dmn_xml(dmn_root, filename=str(dmn_path))
    return parser.get_spec(path.stem), parser.get_subprocess_specs(path.stem)


def _message(exc: Exception) -> str:
    return str(getattr(exc, "error", None) or exc).strip() or type(exc).__name__


def _where(exc: Exception, documents) -> tuple[Path, int | None]:
    """The file and line of the element SpiffWorkflow names (by id), else the BPMN file."""
    element_id = getattr(exc, "id", None)
    for path, document in documents:
        if element_id and document is not None:
            found = document.xpath("//*[@id=$id]", id=element_id)
            if found:
                return path, found[0].sourceline
    return documents[0][0], None


@lru_cache(maxsize=8)
def _cached(directories: tuple[str, ...], groups_text: str) -> TemplateSet:
    return load_templates([SHIPPED_DIR, *map(Path, directories)], parse_groups(groups_text))


def templates_for(config) -> TemplateSet:
    """The templates of this configuration, loaded once per process (restart to reload)."""
    directories = tuple(d.strip() for d in config.workflow_template_dirs.split(",") if d.strip())
    return _cached(directories, config.workflow_approver_groups)
