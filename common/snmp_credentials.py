"""SNMP credential entries as people write them (``[[credential]]`` in TOML, JSON objects).

The collector checks them when a scan profile is saved and the agent again when a task
arrives, with the same rules, so a credential that the agent would refuse is refused
where the admin can still fix it. Field names are those of the agent's credential file
and of ``agent.discovery.snmp.SnmpCredential``. Messages name fields, never values:
the values are secrets. Standard library only.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AUTH_PROTOCOLS", "FIELDS", "MAX_CREDENTIALS", "PRIV_PROTOCOLS", "SECRET_FIELDS", "check_credentials",
           "credential_summary"]

FIELDS = ("name", "version", "community", "user", "auth_protocol", "auth_key", "priv_protocol", "priv_key")
SECRET_FIELDS = frozenset({"community", "auth_key", "priv_key"})
AUTH_PROTOCOLS = ("SHA", "SHA256", "SHA512", "MD5")
PRIV_PROTOCOLS = ("AES", "AES256", "DES")
MAX_CREDENTIALS = 16
# RFC 3414 section 11.2: USM passphrases are at least 8 characters (net-snmp refuses shorter).
MIN_KEY_LENGTH = 8
_MAX_LENGTH = 255


def check_credentials(entries: Any) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """Clean entries (each with a ``name``) and every problem as (field path, message)."""
    if not isinstance(entries, list):
        return [], [("credentials", "must be a list of credential entries")]
    if len(entries) > MAX_CREDENTIALS:
        return [], [("credentials", f"at most {MAX_CREDENTIALS} credentials")]
    cleaned, problems = [], []
    for number, entry in enumerate(entries, 1):
        where = f"credentials[{number - 1}]"
        found = _check_entry(entry, where, f"credential-{number}")
        problems += found[1]
        if found[0] is not None:
            cleaned.append(found[0])
    names = [entry["name"] for entry in cleaned]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(("credentials", f"two credentials are named {name!r}"))
    return cleaned, problems


def _check_entry(entry: Any, where: str, default_name: str) -> tuple[dict[str, str] | None, list[tuple[str, str]]]:
    if not isinstance(entry, dict):
        return None, [(where, "must be a table of version, community or user/auth/priv settings")]
    problems = [(f"{where}.{key}", "unknown setting") for key in sorted(entry.keys() - set(FIELDS), key=str)]
    values = {}
    for key in FIELDS:
        value = entry.get(key)
        if value is None or key not in entry:
            continue
        if not isinstance(value, str) or len(value) > _MAX_LENGTH or not value.isprintable():
            problems.append((f"{where}.{key}", f"must be text of at most {_MAX_LENGTH} printable characters"))
            continue
        if value:
            values[key] = value
    values.setdefault("name", default_name)
    problems += _check_version(values, where)
    return (values if not problems else None), problems


def _check_version(values: dict[str, str], where: str) -> list[tuple[str, str]]:
    version = values.get("version")
    if version == "2c":
        problems = [] if values.get("community") else [(f"{where}.community", "SNMPv2c needs a community")]
        return problems + [(f"{where}.{key}", "is for SNMPv3 only") for key in
                           ("user", "auth_protocol", "auth_key", "priv_protocol", "priv_key") if key in values]
    if version != "3":
        return [(f"{where}.version", 'must be "2c" or "3"')]
    problems = [] if values.get("user") else [(f"{where}.user", "SNMPv3 needs a user")]
    if "community" in values:
        problems.append((f"{where}.community", "is for SNMPv2c only"))
    if values.get("auth_protocol", "SHA") not in AUTH_PROTOCOLS:
        problems.append((f"{where}.auth_protocol", f"must be one of {', '.join(AUTH_PROTOCOLS)}"))
    if values.get("priv_protocol", "AES") not in PRIV_PROTOCOLS:
        problems.append((f"{where}.priv_protocol", f"must be one of {', '.join(PRIV_PROTOCOLS)}"))
    for key in ("auth_key", "priv_key"):
        if key in values and len(values[key]) < MIN_KEY_LENGTH:
            problems.append((f"{where}.{key}", f"must be at least {MIN_KEY_LENGTH} characters (RFC 3414)"))
    if "priv_key" in values and "auth_key" not in values:
        problems.append((f"{where}.priv_key", "privacy needs authentication too: give auth_key"))
    return problems


def credential_summary(entry: dict[str, str]) -> dict[str, str | None]:
    """What may be shown about a credential: its name, version and SNMPv3 user."""
    return {"name": entry.get("name"), "version": entry.get("version"), "user": entry.get("user")}
