"""Stored titles and installs for the normalisation tests: real titles on a few devices."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from collector.models import Agent, Asset, AssetSoftware, Software

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
LIBREOFFICE = [f"libreoffice-{part}" for part in ("core", "writer", "calc", "impress", "draw", "base", "math", "common",
                                                  "style-colibre", "help-en-us", "l10n-de", "gtk3", "java-common",
                                                  "report-builder-bin", "script-provider-python", "sdbc-hsqldb",
                                                  "base-core", "base-drivers", "nlpsolver", "wiki-publisher",
                                                  "librelogo", "ogltrans", "pdfimport", "avmedia-backend-gstreamer",
                                                  "help-common", "style-elementary", "l10n-fr", "sdbc-postgresql",
                                                  "dmaths", "core-nogui")]
DEBIAN_LO = "Debian LibreOffice Maintainers <debian-openoffice@lists.debian.org>"


def add_title(session, name, version=None, publisher=None, source="registry") -> int:
    key = hashlib.blake2b(repr((name, version, publisher, None, source)).encode(), digest_size=16).hexdigest()
    row = Software(key=key, name=name, version=version, publisher=publisher, source=source, first_seen_at=NOW)
    session.add(row)
    session.flush()
    return row.id


def add_device(session, n: int, software_ids: list[int]) -> int:
    session.add(Agent(id=f"agent-{n}", node_key_hash=f"{n:064d}", hostname=f"h{n}", reports_dropped=0))
    asset = Asset(agent_id=f"agent-{n}", hostname=f"h{n}", first_seen_at=NOW, last_seen_at=NOW)
    session.add(asset)
    session.flush()
    session.add_all([AssetSoftware(asset_id=asset.id, software_id=i, first_seen_at=NOW, observation_id=0)
                     for i in software_ids])
    session.flush()
    return asset.id


def build_titles(session) -> dict[str, int]:
    """A Debian desktop with 30 libreoffice-* packages, two Windows PCs, an unknown tool on three devices."""
    ids = {name: add_title(session, name, "4:7.4.7-1+deb12u3", DEBIAN_LO, "dpkg") for name in LIBREOFFICE}
    ids["office"] = add_title(session, "Microsoft Office Professional Plus 2019 - en-us", "16.0.10827.20138",
                              "Microsoft Corporation")
    ids["java"] = add_title(session, "Java 8 Update 381 (64-bit)", "8.0.3810.9", "Oracle Corporation", "msi")
    ids["acme"] = add_title(session, "Acme Widget Studio", "3.1", "Acme Ltd")
    ids["acme2"] = add_title(session, "Acme Widget Studio", "3.2", "Acme Ltd")
    ids["rare"] = add_title(session, "Rare Tool", "1.0", "Rare Inc")
    add_device(session, 1, [ids[name] for name in LIBREOFFICE] + [ids["acme"]])
    add_device(session, 2, [ids["office"], ids["java"], ids["acme"], ids["rare"]])
    add_device(session, 3, [ids["office"], ids["acme2"]])
    return ids
