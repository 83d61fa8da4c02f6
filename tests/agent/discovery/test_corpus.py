"""Every device of the corpus identified through the real scan path (snmpsim on loopback).

Each recording (tests/fixtures/snmp/devices) is polled by snmp_scan_report, vendor-MIB probes
included, and the reported type, maker, model and serial must be the manifest's, one by one.
"""

from __future__ import annotations

import pytest

from agent.discovery.ruleset import default_ruleset
from common.device_types import DEVICE_TYPES
from tests.device_corpus import corpus_subtrees, load_manifest, poll_corpus
from tests.snmpsim import free_udp_port, snmpsim_factory  # noqa: F401 - the fixture

DEVICES = load_manifest()
RULE_IDS = {rule.id for rule in default_ruleset().rules}


@pytest.fixture(scope="module")
def reported(snmpsim_factory):
    port = free_udp_port()
    snmpsim_factory({device.community: device.recording for device in DEVICES}, [("127.0.0.1", port)],
                    corpus_subtrees())
    found, _wall = poll_corpus(DEVICES, "127.0.0.1", port)
    return found


@pytest.mark.parametrize("device", DEVICES, ids=[device.name for device in DEVICES])
def test_device_is_identified(reported, device):
    found = reported[device.name]
    assert "error" not in found
    # the "why": the id of the rule that decided, or that none did
    assert found["classified_by"] in RULE_IDS | {"no rule matched"}
    assert (found["classified_by"] == "no rule matched") == (device.device_type == "unknown")
    assert (found.get("device_type"), found.get("vendor"), found.get("model"), found.get("serial")) == (
        device.device_type, device.vendor, device.model, device.serial)


def test_every_class_has_at_least_two_devices_from_several_makers():
    by_class: dict[str, list] = {}
    for device in DEVICES:
        by_class.setdefault(device.device_type, []).append(device)
    # iot: devices without SNMP (ESP32 plugs, Sonos, Nest) typed by their OUI alone, in test_classify.py
    missing = set(DEVICE_TYPES) - set(by_class) - {"iot"}
    assert not missing, f"classes without recordings: {sorted(missing)}"
    assert all(len(devices) >= 2 for devices in by_class.values()), {k: len(v) for k, v in by_class.items()}
    assert len({device.vendor for device in DEVICES}) >= 40
    assert len(DEVICES) >= 60


def test_net_snmp_never_stands_as_the_maker():
    assert not [d.name for d in DEVICES if (d.vendor or "").lower() in ("net-snmp", "ucd-snmp")]
