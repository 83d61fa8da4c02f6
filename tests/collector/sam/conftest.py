"""The seeded fleet: a known answer for every licence position (issue 12, Tests).

SQL Server Enterprise, per core (factor 1, minimum 4 per processor and 4 per VM), 24 cores at 1,000:
  srv-host1: physical, 16 cores, 2 sockets, installed                          16
  vm-a (runs_on srv-host1): installed, host licensed for all its cores           0
  vm-b (runs_on srv-host2, which has no SQL Server): 2 vCPUs, minimum 4 per VM   4
  vm-c: unmanaged (no CI), QEMU hardware, 6 vCPUs                                6
  srv-host3: physical, 4 cores, 2 sockets: minimum 4 × 2                         8
  → consumed 34, balance −10, shortfall 10,000.00
Microsoft Office (suite of Word, Excel, PowerPoint), per named user, 2 at 200:
  lt-1 (alice: Word, Excel, PowerPoint: the suite once), lt-2 (CI's user alice; Word: 0, alice counted),
  lt-3 (bob: Office itself), lt-4 (no user: Excel, the device is its own user) → 3, balance −1, 200.00
Visio, per device, 2019–2021 with downgrade rights, 2 at 300: lt-1 has 2016, lt-3 2019 → 2, balance 0
Acrobat, per named user, a subscription of 5 at 150 that expired 2026-10-31: lt-3 (bob) → entitled 0,
  consumed 1, balance −1, shortfall 150.00 (list cost of the expired subscription)
AutoCAD, no entitlement (unlicensed install) on lt-4 → device, entitled 0, consumed 1, balance −1, no price
Java SE, per installation, 5 at 25, titles differ per OS (dpkg on lx-1, Windows on lt-2) → 2, surplus 3, 75.00
Tableau, per named user, subscription of 3 at 700 ending in 45 days, no installs → balance 3, surplus 2,100.00
Zoom: free (not licensable), installed on lt-1: no position.
Usage: lt-1 ran Word 5 days ago and Visio 200 days ago; lt-3 reports usage (Acrobat yesterday, by
package) but never ran Office or Visio; the other machines report no usage.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.collector.sam.factories import NOW, SamBuilder, days


def _iso(days_ago: int) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def fleet(database) -> dict:
    ids: dict = {}
    with database.write() as session:
        b = SamBuilder(session)
        p = ids["products"] = {
            "sql": b.product("Microsoft", "SQL Server", edition="Enterprise", metrics=["processor_core"]),
            "office": b.product("Microsoft", "Office", metrics=["named_user", "device"]),
            "word": b.product("Microsoft", "Word"), "excel": b.product("Microsoft", "Excel"),
            "powerpoint": b.product("Microsoft", "PowerPoint"),
            "visio": b.product("Microsoft", "Visio", metrics=["device"]),
            "acrobat": b.product("Adobe", "Acrobat", edition="Pro", metrics=["named_user"]),
            "autocad": b.product("Autodesk", "AutoCAD"),
            "java": b.product("Oracle", "Java SE", metrics=["installation"]),
            "tableau": b.product("Tableau", "Tableau Desktop", metrics=["named_user"]),
            "zoom": b.product("Zoom", "Zoom", licensable=False),
        }
        b.suite(p["office"], p["word"], p["excel"], p["powerpoint"])
        t = {
            "sql": b.title("Microsoft SQL Server 2019 (64-bit)", "15.0.2000.5", "Microsoft Corporation", "msi", p["sql"]),
            "office": b.title("Microsoft Office Professional Plus 2019", "16.0.10827", "Microsoft Corporation", "msi",
                              p["office"]),
            "word": b.title("Microsoft Word 2019", "16.0.10827", "Microsoft Corporation", "msi", p["word"]),
            "excel": b.title("Microsoft Excel 2019", "16.0.10827", "Microsoft Corporation", "msi", p["excel"]),
            "powerpoint": b.title("Microsoft PowerPoint 2019", "16.0.10827", "Microsoft Corporation", "msi",
                                  p["powerpoint"]),
            "visio2016": b.title("Microsoft Visio Professional 2016", "2016", "Microsoft Corporation", "msi", p["visio"]),
            "visio2019": b.title("Microsoft Visio Professional 2019", "2019", "Microsoft Corporation", "msi", p["visio"]),
            "acrobat": b.title("Adobe Acrobat DC", "2024.1", "Adobe Inc.", "msi", p["acrobat"]),
            "autocad": b.title("AutoCAD 2024", "2024.1", "Autodesk", "msi", p["autocad"]),
            "java_deb": b.title("oracle-java17-jdk", "17.0.2", "Oracle <java@oracle.com>", "dpkg", p["java"]),
            "java_win": b.title("Java(TM) SE Development Kit 17.0.2 (64-bit)", "17.0.2", "Oracle Corporation", "msi",
                                p["java"]),
            "zoom": b.title("Zoom", "5.17", "Zoom Video Communications", "msi", p["zoom"]),
            "libc": b.title("libc6", "2.36-9", "Debian", "dpkg", None),
        }
        ids["titles"] = t
        server = {"ci_class": "server"}
        m = ids["machines"] = {
            "srv-host1": b.machine("srv-host1", ci=server, cores=16, sockets=2, threads=32),
            "srv-host2": b.machine("srv-host2", ci=server, cores=16, sockets=2, threads=32),
            "vm-a": b.machine("vm-a", ci={"ci_class": "virtual_machine"}, cores=8, sockets=1, threads=8,
                              vendor="VMware, Inc.", model="VMware Virtual Platform"),
            "vm-b": b.machine("vm-b", ci=server, cores=2, sockets=1, threads=2, vendor="Dell", model="Unknown"),
            "vm-c": b.machine("vm-c", cores=6, sockets=1, threads=6, vendor="QEMU", model="Standard PC (Q35 + ICH9)"),
            "srv-host3": b.machine("srv-host3", ci=server, cores=4, sockets=2, threads=8),
            "lt-1": b.machine("lt-1", ci={"assigned_user": "alice"}, usage=[
                {"path": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
                 "last_seen_running": _iso(5)},
                {"path": "C:\\Program Files\\Microsoft Office\\root\\Office16\\VISIO.EXE",
                 "last_seen_running": _iso(200)}]),
            "lt-2": b.machine("lt-2", ci={"assigned_user": "alice"}, primary_user="someone-else"),
            "lt-3": b.machine("lt-3", ci={}, primary_user="bob", usage=[
                {"path": "/usr/bin/bash", "last_seen_running": _iso(0)},
                {"path": "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe", "package": "Adobe Acrobat DC",
                 "last_seen_running": _iso(1)}]),
            "lt-4": b.machine("lt-4", ci={}),
            "lx-1": b.machine("lx-1", vendor="Lenovo", model="ThinkPad T14", primary_user="carol"),
        }
        b.runs_on(m["vm-a"], m["srv-host1"])
        b.runs_on(m["vm-b"], m["srv-host2"])
        for host in ("srv-host1", "vm-a", "vm-b", "vm-c", "srv-host3"):
            b.install(m[host], t["sql"])
        for host, titles in {"lt-1": ("word", "excel", "powerpoint", "visio2016", "zoom", "libc"),
                             "lt-2": ("word", "java_win"), "lt-3": ("office", "visio2019", "acrobat"),
                             "lt-4": ("excel", "autocad"), "lx-1": ("java_deb", "libc")}.items():
            for title in titles:
                b.install(m[host], t[title])
        e = ids["entitlements"] = {
            "sql": b.entitlement(p["sql"], "processor_core", 24, core_factor=1, min_cores_per_processor=4,
                                 min_cores_per_vm=4, unit_cost=1000),
            "office": b.entitlement(p["office"], "named_user", 2, unit_cost=200),
            "visio": b.entitlement(p["visio"], "device", 2, version_from="2019", version_to="2021",
                                   downgrade_rights=True, unit_cost=300),
            "acrobat": b.entitlement(p["acrobat"], "named_user", 5, term="subscription", start_date=date(2025, 11, 1),
                                     end_date=date(2026, 10, 31), unit_cost=150),
            "java": b.entitlement(p["java"], "installation", 5, unit_cost=25),
            "tableau": b.entitlement(p["tableau"], "named_user", 3, term="subscription", start_date=days(-320),
                                     end_date=days(45), unit_cost=700),
        }
    return ids
