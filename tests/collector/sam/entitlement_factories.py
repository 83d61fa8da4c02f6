"""Catalogue products and entitlements for the entitlement tests (API, CLI and web tests use them too)."""

from __future__ import annotations

from collector.access.audit_log import Actor


# (publisher, product, edition, metrics): as the normalisation catalogue names them.
CATALOGUE = (
    ("Microsoft", "Office", "Professional Plus", ["device", "named_user"]),
    ("Microsoft", "Office", "Standard", ["device"]),
    ("Microsoft", "SQL Server", "Enterprise", ["processor_core"]),
    ("Oracle", "Java SE", "", ["named_user", "processor_core"]),
    ("JetBrains", "IntelliJ IDEA", "Ultimate", ["named_user"]),
    ("Adobe", "Acrobat", "Pro", ["named_user", "device"]),
    ("Zoom", "Zoom Workplace", "", []),
    ("The Document Foundation", "LibreOffice", "", []),
)


def admin_editor(name: str = "alice"):
    from collector.sam.entitlements import Editor

    return Editor(Actor(1, name, "test"), "admin")


def add_products(database) -> dict[tuple[str, str, str], int]:
    """The catalogue above; returns (publisher, product, edition) -> id."""
    from collector.models.sam import SamProduct

    with database.write() as session:
        rows = [SamProduct(publisher=p, name=n, edition=e, metrics=m, category="free" if not m else "commercial")
                for p, n, e, m in CATALOGUE]
        session.add_all(rows)
        session.flush()
        return {(r.publisher, r.name, r.edition): r.id for r in rows}
