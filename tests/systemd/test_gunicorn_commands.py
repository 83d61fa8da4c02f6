"""Every gunicorn command we ship or run passes ``--no-control-socket``.

gunicorn 25.1 added a control socket whose default path is one per user
($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): every instance a user starts
binds the same path, unlinking the previous instance's socket, and the first to stop removes
it for all the others (issue 16). The unit runs with ProtectHome=yes, so there it only warns.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLAG = "--no-control-socket"


def _unit_commands() -> list[tuple[str, str]]:
    return [(unit.name, line) for unit in sorted((ROOT / "systemd").glob("*.service"))
            for line in unit.read_text().splitlines() if line.startswith("ExecStart") and "gunicorn" in line]


def _documented_commands() -> list[tuple[str, str]]:
    """Command lines that start gunicorn in the README and in `stocktake-collector serve --help`."""
    found = []
    for path in (ROOT / "README.md", ROOT / "collector" / "cli.py"):
        found += [(path.name, line) for line in path.read_text().splitlines() if re.match(r"\s*gunicorn\s", line)]
    return found


def _python_launchers() -> list[tuple[str, list[str]]]:
    """argv list literals containing "gunicorn" in the scripts, benchmarks and tests that start it."""
    found = []
    for path in sorted([*ROOT.glob("scripts/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("tests/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.List):
                strings = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if "gunicorn" in strings:
                    found.append((str(path.relative_to(ROOT)), strings))
    return found


def test_the_collector_unit_runs_gunicorn_without_the_shared_control_socket():
    commands = _unit_commands()
    assert [name for name, _ in commands] == ["stocktake-collector.service"]
    assert all(FLAG in line.split() for _, line in commands), commands


def test_the_documented_gunicorn_commands_pass_the_flag():
    commands = _documented_commands()
    assert {name for name, _ in commands} == {"README.md", "cli.py"}
    assert all(FLAG in line.split() for _, line in commands), commands


def test_every_script_and_test_that_starts_gunicorn_passes_the_flag():
    launchers = _python_launchers()
    assert {"scripts/demo.py", "bench/harness.py", "tests/conftest.py"} <= {path for path, _ in launchers}
    missing = [path for path, argv in launchers if FLAG not in argv]
    assert missing == []


def test_the_installed_gunicorn_knows_the_flag():
    """pyproject asks for gunicorn>=25.1, the release that added the flag; older ones refuse it."""
    from gunicorn.config import Config

    parsed = Config().parser().parse_args([FLAG, "collector.app:create_app()"])
    assert parsed.control_socket_disable is True


def test_production_commands_load_the_gunicorn_config():
    """Metrics summed over workers and load shedding need collector/gunicorn_conf.py's hooks."""
    commands = [line for _, line in _unit_commands() + _documented_commands()]
    commands += [" ".join(argv) for path, argv in _python_launchers()
                 if path in ("scripts/demo.py", "bench/harness.py", "tests/conftest.py")]
    assert len(commands) >= 6
    assert all("python:collector.gunicorn_conf" in command for command in commands), commands
