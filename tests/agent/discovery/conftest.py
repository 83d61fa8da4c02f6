"""The namespace L2 test network as a session fixture (see tests/netns.py). Needs root
(CI runs as root); skips with a clear reason otherwise."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.netns import build_l2_network, remove_l2_network


@pytest.fixture(scope="session")
def l2_network():
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (CI runs as root)")
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    network = build_l2_network(24)
    yield network
    remove_l2_network(network)
