"""The runner merges probe fragments; the real probes' output must satisfy the wire schema."""

from agent.runner import collect_inventory
from common.schema import InventoryReport


class _Probe:
    def __init__(self, name, fragment=None, error=None, supported=True):
        self.name, self.fragment, self.error, self._supported = name, fragment, error, supported

    def supported(self):
        return self._supported

    def collect(self):
        if self.error:
            raise self.error
        return self.fragment


def test_a_failing_probe_is_recorded_and_the_others_still_report():
    report = collect_inventory("agent-1", [
        _Probe("os", {"host": {"hostname": "pc-1"}, "os": {"name": "Debian GNU/Linux"}}),
        _Probe("hardware", error=PermissionError("/sys/class/dmi/id/product_serial")),
        _Probe("hw2", {"host": {"vendor": "Dell Inc."}}),
        _Probe("unsupported", error=AssertionError("must not run"), supported=False),
    ])
    assert report["host"] == {"hostname": "pc-1", "vendor": "Dell Inc."}
    assert report["probe_errors"] == [{"probe": "hardware", "error": "PermissionError: /sys/class/dmi/id/product_serial"}]
    InventoryReport.model_validate(report)


def test_contract_real_probes_emit_only_schema_fields():
    """Every field the real probes produce on this host is declared by common/schema.py."""
    report = collect_inventory("agent-1")
    parsed = InventoryReport.model_validate(report)  # extra="forbid" everywhere
    assert parsed.host.hostname
    assert parsed.os is not None and parsed.os.kernel
    assert parsed.memory is not None and parsed.memory.total_bytes > 0
    assert parsed.software, "this Debian host has dpkg packages"
    assert not [e for e in parsed.probe_errors if e.probe.startswith("software")]
