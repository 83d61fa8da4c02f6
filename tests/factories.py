"""Factories for realistic reports and enrolled credentials.

Reports draw their packages from one shared, seeded pool so that, as in a real fleet,
most packages repeat across hosts; the same factory feeds the ingest benchmark.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

__all__ = ["AgentCredentials", "ReportFactory", "add_exceptions", "make_agent", "make_token"]

EXCEPTIONS_OPENED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)

_VENDORS = ["Dell Inc.", "LENOVO", "HP", "Microsoft Corporation", "Apple Inc."]
_PUBLISHERS = [
    "Debian Maintainers <debian-devel@lists.debian.org>",
    "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>",
    "Debian Python Team <team+python@tracker.debian.org>",
    "GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>",
]
_STEMS = ["lib", "python3-", "gir1.2-", "fonts-", "node-", "golang-", "r-cran-", "texlive-", "perl-", ""]
_WORDS = ["ssl", "xml2", "curl", "gtk", "qt", "boost", "numpy", "yaml", "json", "zstd", "lz4", "icu", "png", "jpeg",
          "sqlite", "pq", "krb5", "ldap", "sasl", "gnutls", "nss", "dbus", "glib", "pango", "cairo", "harfbuzz"]


class ReportFactory:
    def __init__(self, seed: int = 1, pool_size: int = 6000) -> None:
        self.random = random.Random(seed)
        self.pool = [self._package(i) for i in range(pool_size)]

    def _package(self, index: int) -> dict:
        r = self.random
        name = f"{r.choice(_STEMS)}{r.choice(_WORDS)}{r.randint(0, 99)}-{index}"
        return {
            "name": name,
            "version": f"{r.randint(0, 9)}.{r.randint(0, 40)}.{r.randint(0, 20)}-{r.randint(1, 5)}+deb12u{r.randint(0, 9)}",
            "arch": r.choice(["amd64", "all"]),
            "publisher": r.choice(_PUBLISHERS),
            "source": "dpkg",
        }

    def software(self, count: int, host_seed: int) -> list[dict]:
        # Hosts share most of the pool: each picks `count` packages with a per-host shuffle.
        picker = random.Random(host_seed)
        return sorted(picker.sample(self.pool, count), key=lambda p: p["name"])

    def report(self, agent_id: str, software_count: int = 40, host_seed: int = 0, **overrides) -> dict:
        now = datetime.now(timezone.utc)
        r = random.Random(host_seed)
        report = {
            "schema_version": 1,
            "report_id": str(uuid.uuid4()),
            "agent_id": agent_id,
            "agent_version": "0.1.0",
            "collected_at": now.isoformat(),
            "host": {
                "hostname": f"host-{host_seed:05d}",
                "fqdn": f"host-{host_seed:05d}.corp.example",
                "smbios_uuid": str(uuid.UUID(int=r.getrandbits(128))),
                "serial": f"SN{host_seed:08d}",
                "vendor": r.choice(_VENDORS),
                "model": f"Model {r.randint(100, 999)}",
                "chassis_type": "Notebook",
            },
            "os": {"name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0-26-amd64", "arch": "x86_64",
                   "boot_time": (now - timedelta(days=2)).isoformat()},
            "cpu": {"model": "Intel(R) Core(TM) i7-1265U", "sockets": 1, "cores": 10, "threads": 12},
            "memory": {"total_bytes": 16 * 1024**3},
            "disks": [{"name": "nvme0n1", "model": "Samsung SSD 980", "serial": f"S64{host_seed:07d}",
                       "size_bytes": 512 * 1000**3, "type": "nvme"}],
            "nics": [{"name": "enp0s31f6", "mac": "3c:52:82:%02x:%02x:%02x" % (host_seed >> 16 & 255, host_seed >> 8 & 255, host_seed & 255),
                      "ipv4": ["198.18.%d.%d" % (host_seed >> 8 & 255, host_seed & 255)], "ipv6": [], "speed_mbps": 1000,
                      "virtual": False, "kind": "physical"}],
            "software": self.software(software_count, host_seed),
            "users": {"logged_in": ["alice"], "primary": "alice"},
            "probe_errors": [],
        }
        report.update(overrides)
        return report


@dataclass(frozen=True)
class AgentCredentials:
    agent_id: str
    node_key: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.node_key}"}


@pytest.fixture
def make_agent(database):
    """Enrol an agent through the service layer; returns its id and node key."""
    from collector.access.enrollment import create_enrollment_secret, enroll_agent
    from common.schema import EnrollRequest

    counter = iter(range(1, 1_000_000))

    def make(hostname: str | None = None) -> AgentCredentials:
        n = next(counter)
        with database.write() as session:
            secret = create_enrollment_secret(session, f"factory-{uuid.uuid4().hex[:8]}")
            enrolled = enroll_agent(session, EnrollRequest(enroll_secret=secret.secret, hostname=hostname or f"host-{n}"))
        return AgentCredentials(enrolled.agent_id, enrolled.node_key)

    return make


@pytest.fixture
def make_token(database):
    """Create an API token with a role; returns the Authorization headers."""
    from collector.access.api_tokens import create_api_token

    def make(role: str = "auditor") -> dict:
        with database.write() as session:
            token = create_api_token(session, f"{role}-{uuid.uuid4().hex[:8]}", role)
        return {"Authorization": f"Bearer {token.token}"}

    return make


def add_exceptions(database, count: int, kind: str = "unmanaged", status: str = "open", start: int = 0,
                   assignee_id: int | None = None) -> list[int]:
    """``count`` exceptions written in one insert (the fleet builder opens them one run at a time)."""
    from sqlalchemy import insert, select

    from collector.models import AuditException

    rows = [{"kind": kind, "status": status, "open_key": None if status == "resolved" else f"{kind}:{start + n}",
             "subject_type": "device", "subject_id": start + n, "summary": f"device {start + n} not in the register",
             "evidence": {}, "fingerprint": "", "opened_at": EXCEPTIONS_OPENED_AT + timedelta(seconds=n),
             "updated_at": EXCEPTIONS_OPENED_AT, "assignee_id": assignee_id} for n in range(count)]
    with database.write() as session:
        session.execute(insert(AuditException.__table__), rows)
        return list(session.scalars(select(AuditException.id).where(AuditException.kind == kind,
                                                                    AuditException.subject_id >= start,
                                                                    AuditException.subject_id < start + count)
                                    .order_by(AuditException.id)))
