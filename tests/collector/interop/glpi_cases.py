"""GLPI agent messages for tests: the recorded fixtures, and cases generated from our models.

``full_message()`` builds a valid message that sets every field of every model in
collector/interop/glpi_models.py; ``wrong_type_cases()`` yields, for each of those fields, the
message with that one value of the wrong JSON type and the field path the 422 must name;
``string_paths()`` lists every string field, for the SQL/script payload battery.
"""

from __future__ import annotations

import copy
import json
import types
import typing
from pathlib import Path

import typing_extensions

from pydantic import BaseModel

from collector.interop.glpi_models import DATE, DATE_OR_DATETIME, GlpiMessage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
AGENT_UUID = "3f9a6c1e-5b7d-4e2a-9c10-7a8b9c0d1e2f"
USER_AGENT = "GLPI-Agent_v1.11"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _pattern(metadata) -> str | None:
    for item in metadata:
        pattern = getattr(item, "pattern", None)
        if pattern:
            return pattern
    return None


def _sample_string(pattern: str | None) -> str:
    samples = {DATE: "2024-01-02", DATE_OR_DATETIME: "2024-01-02 03:04:05", r"^[+-][0-9]{4}$": "+0100"}
    if pattern in samples:
        return samples[pattern]
    if pattern and "0-9A-Fa-f:.\\-" in pattern:
        return "02:00:5e:00:53:01"  # MacText
    if pattern and "%/a-zA-Z" in pattern:
        return "198.18.0.1"  # IpText
    return "x"


def _unwrap(annotation):
    """(inner type, metadata) of Annotated/Optional layers."""
    metadata = []
    while True:
        if typing.get_origin(annotation) in (typing.Annotated, typing_extensions.NotRequired, typing.NotRequired):
            if typing.get_origin(annotation) is not typing.Annotated:
                annotation = typing.get_args(annotation)[0]
                continue
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
            continue
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
            rest = [arg for arg in args if arg is not type(None)]
            annotation = rest[-1]  # list | str: the plain member
            continue
        return annotation, metadata


def _sample(annotation, metadata=()):
    inner, extra = _unwrap(annotation)
    metadata = [*metadata, *extra]
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return sample_model(inner)
    if typing_extensions.is_typeddict(inner):  # glpi_models.GlpiSoftware: packages as plain dicts
        return {key: _sample(value) for key, value in typing.get_type_hints(inner, include_extras=True).items()}
    origin = typing.get_origin(inner)
    if origin is typing.Literal:
        return typing.get_args(inner)[0]
    if origin is list:
        return [_sample(typing.get_args(inner)[0])]
    if inner is bool:
        return True
    if inner is int:
        return 1
    return _sample_string(_pattern(metadata))


def sample_model(model: type[BaseModel]) -> dict:
    return {field.alias or name: _sample(field.annotation, field.metadata) for name, field in model.model_fields.items()}


def full_message() -> dict:
    message = sample_model(GlpiMessage)
    message["action"], message["itemtype"], message["partial"] = "inventory", "Computer", False
    return message


def _wrong(value):
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int):
        return "12"
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return "not a list"
    return "not an object"


def nodes(value, path=()):
    """Every (path, value) of a JSON document, containers included, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, (*path, index))


def wrong_type_cases():
    """(field path, message with that field's value of the wrong type), one per field of the models."""
    base = full_message()
    for path, value in nodes(base):
        if not path or path[0] in ("action",):
            continue  # action picks the handler; checked separately
        message = copy.deepcopy(base)
        target = message
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _wrong(value)
        yield ".".join(str(part) for part in path), message


def string_paths(message: dict):
    return [path for path, value in nodes(message) if isinstance(value, str)]


def set_path(message: dict, path: tuple, value) -> None:
    target = message
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
