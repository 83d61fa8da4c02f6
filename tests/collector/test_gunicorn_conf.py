"""gunicorn settings applied in each worker: garbage collection tuned once the app is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_freezes_the_loaded_app_and_collects_young_objects_less_often():
    script = (
        "import gc\n"
        "from collector.app import create_app\n"
        "from collector.config import CollectorConfig\n"
        "from collector.gunicorn_conf import GC_GEN0_THRESHOLD, tune_garbage_collection\n"
        "create_app(CollectorConfig(database_url='sqlite://', log_format='text'))\n"
        "before = gc.get_threshold()\n"
        "tune_garbage_collection()\n"
        "print(before[0], gc.get_threshold()[0], gc.get_threshold()[1:] == before[1:], gc.get_freeze_count() > 10000,"
        " GC_GEN0_THRESHOLD)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    default, tuned, older_unchanged, frozen, wanted = done.stdout.split()
    assert (int(default), int(tuned), older_unchanged, frozen) == (700, int(wanted), "True", "True")
