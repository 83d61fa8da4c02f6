"""An audit entry's details as labelled text: no reprs, nested keys flattened, changes as old → new."""

import pytest

from collector.access.audit_details import detail_items, detail_text, value_text


@pytest.mark.parametrize(("detail", "expected"), [
    ({}, []),
    (None, []),
    ({"role": "admin", "max_uses": None, "completed": True, "already_revoked": False},
     [("role", "admin"), ("max uses", "—"), ("completed", "yes"), ("already revoked", "no")]),
    ({"from": "auditor", "to": "operator"}, [("changed", "auditor → operator")]),
    ({"name": "lab", "from": [], "to": ["a1", "a2"]}, [("changed", "none → a1; a2"), ("name", "lab")]),
    ({"filters": {"kind": "drift", "status": {"open": 2}}, "rows": 3},
     [("filters › kind", "drift"), ("filters › status › open", "2"), ("rows", "3")]),
    ({"before": {"quantity": 5, "sku": "X"}, "after": {"quantity": 8, "sku": "X"}, "role": "admin"},
     [("quantity", "5 → 8"), ("role", "admin")]),
    ({"before": None, "after": {"name": "lab", "ranges": ["198.18.0.0/24"]}},
     [("new name", "lab"), ("new ranges", "198.18.0.0/24")]),
    ({"before": {"name": "lab"}, "after": None}, [("removed name", "lab")]),
    ({"before": {"a": 1}, "after": {"a": 1}}, [("changes", "none")]),
    ({"allocations": [{"target_kind": "device", "quantity": 2}]}, [("allocations", "target kind device, quantity 2")]),
])
def test_detail_items(detail, expected):
    assert detail_items(detail) == expected


def test_detail_text_is_one_line_without_structures():
    line = detail_text({"before": {"status": "open"}, "after": {"status": "closed"}, "note": "<b>x</b>"})
    assert line == "status: open → closed; note: <b>x</b>"
    assert value_text({}) == "—" and value_text([]) == "none" and value_text(0) == "0"
