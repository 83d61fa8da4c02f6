import pytest

from common.identity import classify_mac, normalize_hostname, normalize_mac, normalize_serial, normalize_uuid


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e"),
        ("00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e"),
        ("001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e"),
        ("001A2B3C4D5E", "00:1a:2b:3c:4d:5e"),
        (" 00:1a:2b:3c:4d:5e\n", "00:1a:2b:3c:4d:5e"),
        ("00:00:00:00:00:00", None),
        ("ff:ff:ff:ff:ff:ff", None),
        ("00:1a:2b:3c:4d", None),
        ("00:1a:2b:3c:4d:5e:6f", None),
        ("zz:1a:2b:3c:4d:5e", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_mac(raw, expected):
    assert normalize_mac(raw) == expected


@pytest.mark.parametrize(
    "raw, locally_administered, multicast, virtual_vendor, identifying",
    [
        ("3c:52:82:00:00:01", False, False, None, True),  # HP, IEEE-assigned
        ("02:42:ac:11:00:02", True, False, "Docker", False),
        ("da:a1:19:00:00:01", True, False, None, False),  # randomised Wi-Fi MAC
        ("00:50:56:aa:bb:cc", False, False, "VMware", False),
        ("08:00:27:12:34:56", False, False, "VirtualBox", False),
        ("52:54:00:12:34:56", True, False, "QEMU/KVM", False),
        ("00:15:5d:01:02:03", False, False, "Microsoft Hyper-V", False),
        ("01:00:5e:00:00:fb", False, True, None, False),  # IPv4 multicast
    ],
)
def test_classify_mac_flags(raw, locally_administered, multicast, virtual_vendor, identifying):
    info = classify_mac(raw)
    assert (info.locally_administered, info.multicast, info.virtual_vendor, info.is_identifying) == (
        locally_administered, multicast, virtual_vendor, identifying,
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("PF3ABCDE", "PF3ABCDE"),
        ("  5CG1234XYZ  ", "5CG1234XYZ"),
        ("VMware-56 4d 1a 2b", "VMware-56 4d 1a 2b"),
        ("To be filled by O.E.M.", None),
        ("TO BE FILLED BY O.E.M.", None),
        ("To Be Filled By O.E.M. ", None),
        ("Default string", None),
        ("System Serial Number", None),
        ("Chassis Serial Number", None),
        ("Not Specified", None),
        ("None", None),
        ("N/A", None),
        ("0", None),
        ("00000000", None),
        ("XXXXXXXXXX", None),
        ("123456789", None),
        ("1234567890", None),
        ("0123456789", None),
        ("ab", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_serial_filters_junk(raw, expected):
    assert normalize_serial(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("4C4C4544-0042-3510-8052-B4C04F564433", "4c4c4544-0042-3510-8052-b4c04f564433"),
        ("{4c4c4544-0042-3510-8052-b4c04f564433}", "4c4c4544-0042-3510-8052-b4c04f564433"),
        ("00000000-0000-0000-0000-000000000000", None),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", None),
        ("03000200-0400-0500-0006-000700080009", None),
        ("11111111-1111-1111-1111-111111111111", None),
        ("Not Settable", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_uuid_filters_junk(raw, expected):
    assert normalize_uuid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("LAPTOP-01", "laptop-01"),
        ("web01.corp.example.", "web01.corp.example"),
        ("localhost", None),
        ("localhost.localdomain", None),
        ("(none)", None),
        ("", None),
    ],
)
def test_normalize_hostname(raw, expected):
    assert normalize_hostname(raw) == expected
