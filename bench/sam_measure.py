"""The SAM steps bench/sam.py times, run in a process of their own (its peak RSS is theirs).

Each step is called as the services define it, in its own write transaction (commit
included in the time). A step whose module is not built yet is reported as None with a
"not built yet" note; a step that fails is reported with its error, and the steps after it
still run where they can.
"""

from __future__ import annotations

import importlib
import inspect
import json
import resource
import time
import traceback
from datetime import datetime
from pathlib import Path

__all__ = ["measure"]


def _service(module: str, name: str):
    """The service function, or None while its module is not built; a module that is there but
    fails to import raises (that is a defect to report, not a missing step)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def _rss_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries it over fork and exec, so a child
    started by a 150 MB generator would report at least 150 MB; VmHWM belongs to this image."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _reset_peak() -> None:
    """Start a step's peak RSS afresh (Linux >= 4.0: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def _say(message: str) -> None:
    print(message, flush=True)


class _Steps:
    def __init__(self, db) -> None:
        self.db, self.figures, self.errors, self.not_built = db, {}, {}, []
        self.peaks: dict[str, float] = {"start": _rss_mb()}

    def run(self, key: str, label: str, module: str, name: str, call):
        """Time ``call(service, session)`` in one write transaction; None if not built or failed."""
        try:
            service = _service(module, name)
        except Exception as exc:  # noqa: BLE001 - reported like a failing step
            self.errors[key] = f"import {module}: {type(exc).__name__}: {exc}"[:500]
            self.figures[key] = None
            _say(f"{label}: FAILED {self.errors[key]}")
            return None
        if service is None:
            if f"{module}.{name}" not in self.not_built:
                self.not_built.append(f"{module}.{name}")
            self.figures[key] = None
            _say(f"{label}: not built yet ({module}.{name})")
            return None
        _reset_peak()
        try:
            started = time.perf_counter()
            with self.db.write() as session:
                result = call(service, session)
            self.figures[key] = round(time.perf_counter() - started, 3)
        except Exception as exc:  # noqa: BLE001 - a failing step is a figure, the next steps still run
            self.errors[key] = f"{type(exc).__name__}: {exc}"[:500]
            self.figures[key] = None
            _say(f"{label}: FAILED {self.errors[key]}\n{traceback.format_exc(limit=4)}")
            return None
        finally:
            self.peaks[key] = _rss_mb()
        _say(f"{label}: {self.figures[key]:.2f} s (peak RSS {self.peaks[key]} MB)")
        return result


def _normalised(result) -> dict:
    return {name: getattr(result, name) for name in ("titles", "covered", "uncovered") if hasattr(result, name)}


def _ingest_new_titles(db, plan: dict) -> int:
    from bench.sam_load import link_new_titles
    from bench.sam_titles import Title

    class _Host:  # what link_new_titles reads of a host
        def __init__(self, host_id: int, platform: str) -> None:
            self.id, self.platform = host_id, platform

    titles = [Title(*fields) for fields in plan["new"]]
    hosts = [_Host(*pair) for pair in plan["hosts"]]
    with db.write() as session:
        return link_new_titles(session, titles, hosts, datetime.fromisoformat(plan["now"]))


def _largest_publisher(session) -> str | None:
    """The publisher with the most evidence rows in the latest run (else the most installed products)."""
    from sqlalchemy import func, select

    from collector.models.sam import SamConsumption, SamProduct

    return session.scalar(select(SamProduct.publisher).join(SamConsumption, SamConsumption.product_id == SamProduct.id)
                          .group_by(SamProduct.publisher).order_by(func.count().desc()).limit(1))


def _size(exported) -> int:
    """Bytes of what export_elp returned: bytes, a path, an object with data/path, or a stream of chunks."""
    for attribute in ("data", "content", "body", "path"):
        if hasattr(exported, attribute) and not isinstance(exported, (bytes, str, Path)):
            exported = getattr(exported, attribute)
            break
    if isinstance(exported, (bytes, bytearray)):
        return len(exported)
    if isinstance(exported, (str, Path)) and Path(exported).exists():
        return Path(exported).stat().st_size
    if isinstance(exported, str):
        return len(exported.encode())
    return sum(len(chunk) for chunk in exported)  # a generator: consuming it is part of the export


def _export(export, session, publisher: str, fmt: str, actor, directory: Path) -> int:
    """Bytes exported: into a file of the bench's directory when the service writes to a target."""
    if "target" not in inspect.signature(export).parameters:
        return _size(export(session, publisher=publisher, fmt=fmt, actor=actor))
    path = directory / f"elp.{fmt}"
    with open(path, "w+b") as target:  # read back too: services hash what they wrote
        export(session, publisher=publisher, fmt=fmt, actor=actor, target=target)
    return path.stat().st_size


def measure(url: str, plan_path: Path) -> dict:
    from collector.access.audit_log import Actor
    from collector.db import Database

    from bench.sam_entitlements import seed_entitlements

    plan = json.loads(plan_path.read_text())
    db = Database(url)
    steps = _Steps(db)
    first = steps.run("normalise_s", "normalise all", "collector.sam.normalise", "normalise",
                      lambda normalise, session: normalise(session, full=True))
    steps.figures["normalised"] = _normalised(first)
    started = time.perf_counter()
    steps.figures["new_links"] = _ingest_new_titles(db, plan)
    steps.figures["ingest_new_s"] = round(time.perf_counter() - started, 3)
    second = steps.run("normalise_new_s", f"normalise {len(plan['new'])} new titles", "collector.sam.normalise",
                       "normalise", lambda normalise, session: normalise(session))
    steps.figures["normalised_new"] = _normalised(second)
    with db.write() as session:
        seeded = seed_entitlements(session, datetime.fromisoformat(plan["now"]))
    steps.figures["entitlements"], steps.figures["allocations"] = seeded
    _say(f"entitlements: {steps.figures['entitlements']} inserted, {steps.figures['allocations']} allocations")
    run = steps.run("positions_s", "compute positions", "collector.sam.positions", "compute_positions",
                    lambda compute, session: compute(session))
    steps.figures["positions_counts"] = getattr(run, "counts", None)
    steps.run("positions_again_s", "compute positions again (the hourly job: last run's evidence replaced)",
              "collector.sam.positions", "compute_positions", lambda compute, session: compute(session))
    with db.session() as session:
        publisher = _largest_publisher(session) if run is not None else None
    steps.figures["elp_publisher"] = publisher = publisher or "Microsoft"
    actor = Actor(user_id=None, username="bench", client="bench/sam.py")
    for key, fmt in (("elp_export_s", "xlsx"), ("elp_export_csv_s", "csv")):
        size = steps.run(key, f"ELP export {publisher} ({fmt})", "collector.sam.elp", "export_elp",
                         lambda export, session, fmt=fmt: _export(export, session, publisher, fmt, actor, plan_path.parent))
        steps.figures[f"{key.removesuffix('_s')}_bytes"] = size
    db.dispose()
    return {**steps.figures, "peak_rss_mb": max(steps.peaks.values()), "peak_rss_mb_by_step": steps.peaks,
            "not_built": steps.not_built, "errors": steps.errors}
