"""Store bench/sam.py's generated fleet: COPY on PostgreSQL, executemany on SQLite.

The rows are what ingest and reconciliation would have written: the software catalogue (key =
collector/ingest/software.py ``software_key``), assets with their CPU and user facts, one
agent observation per asset whose payload carries the usage list (zlib orjson, read with
wbits=47 like ingest's payloads; the bench stores no software list in it: nothing here
ingests again), CIs matched by serial (``ci_matches`` outcome 'matched', 3% of assets
unmanaged), ESXi host CIs with ``runs_on`` relationships from most VM CIs, and the 7.5M
``asset_software`` links.

On PostgreSQL the links go in as pg_restore would load them: the table's keys and indexes
dropped, TRUNCATE + COPY FREEZE in one transaction (rows written frozen and all-visible, as
after autovacuum, so index-only scans work), then the keys and indexes rebuilt and the
tables analysed.
"""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import datetime, timedelta

import orjson

from bench.sam_fleet import DEPARTMENTS, Fleet, Host
from collector.ingest.software import software_key

__all__ = ["load_fleet", "link_new_titles"]

_TABLES = ("software", "assets", "observations", "cis", "ci_relationships", "ci_matches", "asset_software")
_OS = {"windows": ("Microsoft Windows 11 Enterprise", "x86_64"), "macos": ("macOS", "arm64"),
       "debian": ("Debian GNU/Linux", "x86_64"), "rhel": ("Red Hat Enterprise Linux", "x86_64")}
_SERVER_OS = "Microsoft Windows Server 2019 Datacenter"
_CI_CLASS = {"win_srv": "server", "debian_srv": "server", "rhel_srv": "server"}


def _software_rows(fleet: Fleet, now: datetime):
    for software_id, t in enumerate(fleet.catalogue.titles, 1):
        yield {"id": software_id, "key": software_key(t.identity), "name": t.name, "version": t.version,
               "publisher": t.publisher, "arch": t.arch, "source": t.source, "first_seen_at": now - timedelta(days=400)}


def _asset_rows(fleet: Fleet):
    for host, common, family in zip(fleet.hosts, fleet.common, fleet.family_installs):
        os_name, arch = _OS[host.platform]
        yield {"id": host.id, "hostname": host.hostname, "fqdn": f"{host.hostname}.corp.example.com",
               "vendor": host.vendor, "model": host.model, "serial": host.serial,
               "os_name": _SERVER_OS if host.role == "win_srv" else os_name, "arch": arch,
               "cpu_model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" if host.role.endswith("_srv") else None,
               "cpu_sockets": host.cpu_sockets, "cpu_cores": host.cpu_cores,
               "cpu_threads": host.cpu_cores * (1 if host.vm else 2), "memory_bytes": 16 * 2**30,
               "primary_user": host.primary_user, "software_count": len(common) + len(family),
               "first_seen_at": host.first_seen_at, "last_seen_at": host.last_seen_at}


def _observation_rows(fleet: Fleet):
    for host in fleet.hosts:
        report_id = str(uuid.UUID(int=random.Random(host.id).getrandbits(128), version=4))
        payload = zlib.compress(orjson.dumps({"schema_version": 1, "usage": host.usage}), 6)
        yield {"id": host.id, "source": "agent", "kind": "inventory", "asset_id": host.id, "schema_version": 1,
               "content_hash": f"{host.id:064x}", "report_id": report_id, "collected_at": host.last_seen_at,
               "received_at": host.last_seen_at, "last_report_id": report_id, "last_collected_at": host.last_seen_at,
               "last_received_at": host.last_seen_at, "report_count": 1, "payload": payload}


def _cmdb_rows(fleet: Fleet, now: datetime, seed: int = 14):
    """(cis, ci_relationships, ci_matches): 97% of assets registered and matched, ESXi hosts for the VMs."""
    rng = random.Random(seed)
    cis, relationships, matches = [], [], []
    vm_cis = []
    for host in fleet.hosts:
        if rng.random() < 0.03:
            matches.append(_match(len(matches) + 1, host, None, now))
            continue
        ci_id = len(cis) + 1
        cis.append(_ci(ci_id, host, rng, now))
        matches.append(_match(len(matches) + 1, host, ci_id, now))
        if host.vm:
            vm_cis.append(ci_id)
    esx = [len(cis) + n + 1 for n in range(max(2, len(vm_cis) // 20))]
    for ci_id in esx:
        cis.append({"id": ci_id, "ci_class": "server", "asset_tag": f"AT{ci_id:07d}", "name": f"esx-{ci_id:05d}",
                    "serial": f"ESX{ci_id:07d}", "vendor": "Dell Inc.", "model": "PowerEdge R750", "hostname": f"esx-{ci_id:05d}",
                    "status": "deployed", "assigned_user": None, "department": "IT", "location": "HQ", "source": "import",
                    "created_at": now, "updated_at": now})
    for vm_ci in vm_cis:
        if rng.random() < 0.8:  # the register knows where most VMs run
            relationships.append({"id": len(relationships) + 1, "ci_id": vm_ci, "kind": "runs_on",
                                  "target_ci_id": rng.choice(esx), "source": "import", "created_at": now})
    return cis, relationships, matches


def _ci(ci_id: int, host: Host, rng: random.Random, now: datetime) -> dict:
    user = host.primary_user if rng.random() < 0.95 else None
    return {"id": ci_id, "ci_class": "virtual_machine" if host.vm else _CI_CLASS.get(host.role, "computer"),
            "asset_tag": f"AT{ci_id:07d}", "name": host.hostname, "serial": host.serial, "vendor": host.vendor,
            "model": host.model, "hostname": host.hostname, "status": "deployed", "assigned_user": user,
            "department": rng.choice(DEPARTMENTS), "location": rng.choice(("HQ", "Berlin", "Lyon", "Remote")),
            "source": "import", "created_at": now, "updated_at": now}


def _match(match_id: int, host: Host, ci_id: int | None, now: datetime) -> dict:
    return {"id": match_id, "subject_type": "asset", "subject_id": host.id, "ci_id": ci_id,
            "outcome": "matched" if ci_id else "unmanaged", "rule": "serial" if ci_id else None,
            "explanation": "serial matches" if ci_id else "no CI has this serial, host name or MAC",
            "run_id": None, "updated_at": now}


def load_fleet(db, fleet: Fleet, now: datetime) -> None:
    cis, relationships, matches = _cmdb_rows(fleet, now)
    tables = [("software", _software_rows(fleet, now)), ("assets", _asset_rows(fleet)),
              ("observations", _observation_rows(fleet)), ("cis", iter(cis)),
              ("ci_relationships", iter(relationships)), ("ci_matches", iter(matches))]
    if db.is_sqlite:
        _load_sqlite(db, tables, fleet)
    else:
        _load_postgresql(db, tables, fleet)


# --- PostgreSQL ---------------------------------------------------------------------------------

def _copy_rows(cursor, table: str, rows) -> None:
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write_row([first[c] for c in columns])
        for row in rows:
            copy.write_row([row.get(c) for c in columns])


def _load_postgresql(db, tables, fleet: Fleet) -> None:
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            for table, rows in tables:
                _copy_rows(cursor, table, rows)
            cursor.execute("UPDATE assets SET observation_id = id")
        connection.commit()
        _copy_links(connection, fleet)
        with connection.cursor() as cursor:
            for table in _TABLES[:-1]:  # ids were given: later inserts must not reuse them
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {table}))")
        connection.commit()
        connection.autocommit = True
        connection.execute(f"VACUUM (ANALYZE) {', '.join(_TABLES)}")
        connection.autocommit = False
    finally:
        raw.close()


def _copy_links(connection, fleet: Fleet) -> None:
    """The links with the table's keys and indexes dropped and rebuilt (as pg_restore does)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'asset_software'::regclass")
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE asset_software DROP CONSTRAINT "{name}"')
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                       "AND tablename = 'asset_software'")
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("TRUNCATE asset_software")
        with cursor.copy("COPY asset_software (software_id, asset_id, observation_id, first_seen_at) "
                         "FROM STDIN WITH (FREEZE)") as copy:
            for host, common, family in zip(fleet.hosts, fleet.common, fleet.family_installs):
                # One C-level join per host: "sid\tasset\tobs\tts\n" for 1,500 links.
                tail = f"\t{host.id}\t{host.id}\t{host.first_seen_at.isoformat()}\n"
                copy.write(tail.join(map(str, common)) + tail)
                if family:
                    tail = f"\t{host.id}\t{host.id}\t{_family_installed_at(host).isoformat()}\n"
                    copy.write(tail.join(map(str, family)) + tail)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, definition in indexes:
            if name not in {c[0] for c in constraints}:
                cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE asset_software ADD CONSTRAINT "{name}" {definition}')
    connection.commit()


# --- SQLite ---------------------------------------------------------------------------------------

def _load_sqlite(db, tables, fleet: Fleet) -> None:
    from sqlalchemy import insert, update

    from collector.models import Asset

    with db.write() as session:
        for table, rows in tables:
            batch = list(rows)
            for start in range(0, len(batch), 5000):
                session.execute(insert(_model_table(table)), batch[start:start + 5000])
        session.execute(update(Asset).values(observation_id=Asset.id))
        connection = session.connection()
        # The secondary index rebuilt after the load (a sort) rather than updated 7.5M times at random;
        # the rows go in primary-key order, so the key's own index only appends.
        indexes = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                             "AND tbl_name = 'asset_software' AND sql IS NOT NULL").all()
        for name, _sql in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        for host, common, family in zip(fleet.hosts, fleet.common, fleet.family_installs):
            seen, later = _sqlite_time(host.first_seen_at), _sqlite_time(_family_installed_at(host))
            rows = sorted([(host.id, s, host.id, seen) for s in common] + [(host.id, s, host.id, later) for s in family])
            connection.exec_driver_sql("INSERT INTO asset_software (asset_id, software_id, observation_id, first_seen_at) "
                                       "VALUES (?, ?, ?, ?)", rows)
        for _name, sql in indexes:
            connection.exec_driver_sql(sql)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _sqlite_time(moment: datetime) -> str:
    """SQLAlchemy's SQLite DateTime storage format, so the ORM reads these back."""
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _family_installed_at(host: Host) -> datetime:
    """Licensed software arrives after the machine's base image: up to 60 days after its first report."""
    return min(host.first_seen_at + timedelta(days=random.Random(host.id).randint(1, 60)), host.last_seen_at)


def _model_table(name: str):
    from collector.models.base import Base

    return Base.metadata.tables[name]


def link_new_titles(session, titles, hosts: list[Host], now: datetime, seed: int = 15) -> int:
    """What an ingest does with titles not seen before: catalogue rows, then links on a few hosts each."""
    from sqlalchemy import insert, select

    from collector.models import AssetSoftware, Software

    rng = random.Random(seed)
    rows = [{"key": software_key(t.identity), "name": t.name, "version": t.version, "publisher": t.publisher,
             "arch": t.arch, "source": t.source, "first_seen_at": now} for t in titles]
    session.execute(insert(Software), rows)
    ids = dict(session.execute(select(Software.key, Software.id).where(Software.key.in_([r["key"] for r in rows]))).all())
    by_platform: dict[str, list[Host]] = {}
    for host in hosts:
        by_platform.setdefault(host.platform, []).append(host)
    links = []
    for title, row in zip(titles, rows):
        for host in rng.sample(by_platform[title.platform], min(20, len(by_platform[title.platform]))):
            links.append({"asset_id": host.id, "software_id": ids[row["key"]], "first_seen_at": now,
                          "observation_id": host.id})
    for start in range(0, len(links), 5000):
        session.execute(insert(AssetSoftware), links[start:start + 5000])
    return len(links)
