import struct

import pytest

from agent.probes.smbios import parse_memory_device, read_memory_modules

# DSP0134 7.18, the SMBIOS 3.3 Memory Device layout (0x5C bytes): type, length, handle, array
# handle, error handle, total width, data width, size, form factor, device set, device locator,
# bank locator, memory type, type detail, speed, manufacturer, serial, asset tag, part number,
# attributes, extended size, configured speed, minimum/maximum/configured voltage, technology,
# operating mode, firmware version, module manufacturer/product id, controller manufacturer/product
# id, non-volatile/volatile/cache/logical size, extended speed, extended configured speed.
TYPE17 = "<BBHHHHHHBBBBBHHBBBBBIHHHHBHBHHHHQQQQII"
GIB = 1024**3
SAMSUNG = ("DIMM 0", "BANK 0", "Samsung", "12345678", "M471A2K43EB1-CWE    ")


def memory_device(*, length=0x5C, size, memory_type=0x1A, speed=3200, extended_size=0, extended_speed=0,
                  strings=SAMSUNG, numbers=(1, 2, 3, 4, 0, 5), structure_type=17):
    """A Type 17 structure as /sys/firmware/dmi/entries/17-N/raw holds it, cut to ``length``."""
    locator, bank, manufacturer, serial, asset_tag, part = numbers
    formatted = struct.pack(
        TYPE17, structure_type, length, 0x0040, 0x003E, 0xFFFE, 64, 64, size, 0x0D, 0, locator, bank,
        memory_type, 0x0080, speed, manufacturer, serial, asset_tag, part, 2, extended_size, speed, 1200,
        1200, 1200, 0x03, 0x0004, 0, 0xCE80, 0xA801, 0, 0, 0, size * 2**20 if size < 0x7FFF else 0, 0, 0,
        extended_speed, extended_speed,
    )[:length]
    string_set = b"".join(s.encode() + b"\x00" for s in strings) + b"\x00" if strings else b"\x00\x00"
    return formatted + string_set


def test_smbios_3_ddr4_module():
    module = parse_memory_device(memory_device(size=16384))
    # "12345678" is one of common.identity's placeholder serials, so no serial is reported.
    assert module == {"slot": "DIMM 0", "size_bytes": 16 * GIB, "type": "DDR4", "speed_mhz": 3200,
                      "manufacturer": "Samsung", "part_number": "M471A2K43EB1-CWE"}


def test_empty_slot_is_no_module():
    assert parse_memory_device(memory_device(size=0, memory_type=0x02, speed=0,
                                             strings=("DIMM 1", "BANK 1", "NO DIMM", "NO DIMM", "NO DIMM"))) is None


def test_smbios_2_3_ddr3_module_stops_at_its_length():
    raw = memory_device(length=0x1B, size=4096, memory_type=0x18, speed=1600,
                        strings=("ChannelA-DIMM0", "BANK 0", "Kingston", "0F2A9C41", "KVR16N11/4"))
    assert raw[1] == 0x1B and raw[0x1B:0x1F] == b"Chan"  # strings follow the short formatted area
    assert parse_memory_device(raw) == {"slot": "ChannelA-DIMM0", "size_bytes": 4 * GIB, "type": "DDR3",
                                        "speed_mhz": 1600, "manufacturer": "Kingston", "serial": "0F2A9C41",
                                        "part_number": "KVR16N11/4"}


def test_smbios_2_1_structure_has_no_speed_or_vendor_strings():
    # 0x15 bytes: the speed and the manufacturer/serial/part fields are past the end, and 0x7FFF
    # is a plain 32767 MiB because Extended Size only exists from 2.7 (length 0x20) on.
    raw = memory_device(length=0x15, size=0x7FFF, memory_type=0x12, strings=("DIMM0", "BANK0"),
                        numbers=(1, 2, 0, 0, 0, 0))
    assert parse_memory_device(raw) == {"slot": "DIMM0", "size_bytes": 32767 * 2**20, "type": "DDR"}


def test_extended_size_and_extended_speed():
    raw = memory_device(size=0x7FFF, extended_size=32768, memory_type=0x22, speed=0xFFFF, extended_speed=65536,
                        strings=("DIMM A1", "P0 CHANNEL A", "SK Hynix", "80AD01234ABC", "HMCG88AGBRA191N"))
    assert parse_memory_device(raw) == {"slot": "DIMM A1", "size_bytes": 32 * GIB, "type": "DDR5",
                                        "speed_mhz": 65536, "manufacturer": "SK Hynix", "serial": "80AD01234ABC",
                                        "part_number": "HMCG88AGBRA191N"}


def test_extended_size_is_not_read_before_smbios_2_7():
    raw = memory_device(length=0x1C, size=0x7FFF, extended_size=32768)  # SMBIOS 2.6 ends at Attributes
    assert parse_memory_device(raw)["size_bytes"] == 32767 * 2**20


def test_extended_speed_is_not_read_before_smbios_3_3():
    raw = memory_device(length=0x54, size=8192, speed=0xFFFF, extended_speed=65536)
    assert "speed_mhz" not in parse_memory_device(raw)


def test_size_in_kib_unknown_type_and_speed():
    raw = memory_device(size=0x8000 | 512, memory_type=0x02, speed=0, strings=("SLOT 1",), numbers=(1, 0, 0, 0, 0, 0))
    assert parse_memory_device(raw) == {"slot": "SLOT 1", "size_bytes": 512 * 1024}


def test_unknown_size_still_reports_the_module():
    assert parse_memory_device(memory_device(size=0xFFFF))["slot"] == "DIMM 0"
    assert "size_bytes" not in parse_memory_device(memory_device(size=0xFFFF))


@pytest.mark.parametrize("placeholders", [
    ("Manufacturer0", "SerNum0", "PartNum0"),
    ("Not Specified", "Not Specified", "Not Specified"),
    ("Unknown", "00000000", "Array1_PartNumber0"),
    ("  Undefined  ", "Serial Number", "0000000000000000"),
])
def test_firmware_placeholders_are_dropped(placeholders):
    raw = memory_device(size=8192, strings=("DIMM 0", "BANK 0", *placeholders))
    assert parse_memory_device(raw) == {"slot": "DIMM 0", "size_bytes": 8 * GIB, "type": "DDR4", "speed_mhz": 3200}


@pytest.mark.parametrize(("raw", "message"), [
    (b"\x11", "1 bytes, too short for a header"),
    (memory_device(size=8192, structure_type=16), r"type is 16, not 17 \(Memory Device\)"),
    (memory_device(size=8192)[:0x40], "length 0x5c exceeds the 64 bytes read"),
    (memory_device(size=8192)[:-1], "string-set after offset 0x5c is not terminated by a double NUL"),
    (memory_device(length=0x14, size=8192, strings=()), "0x14 bytes, shorter than SMBIOS 2.1's 0x15"),
    (memory_device(size=8192, strings=("DIMM 0", "BANK 0")), "offset 0x17 names string 3, but the set holds 2"),
])
def test_malformed_structure_raises(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_memory_device(raw)


def _entry(root, name, raw):
    entry = root / name
    entry.mkdir(parents=True)
    (entry / "raw").write_bytes(raw)
    (entry / "type").write_text(name.split("-")[0] + "\n")


def test_modules_are_read_in_instance_order_skipping_empty_slots(tmp_path):
    for instance in (0, 1, 2, 10):
        size = 0 if instance == 1 else 8192
        _entry(tmp_path, f"17-{instance}", memory_device(size=size, strings=(f"DIMM {instance}", "BANK 0"),
                                                          numbers=(1, 2, 0, 0, 0, 0)))
    _entry(tmp_path, "16-0", b"not a memory device")  # Physical Memory Array: not read
    modules = read_memory_modules(str(tmp_path))
    assert [m["slot"] for m in modules] == ["DIMM 0", "DIMM 2", "DIMM 10"]
    assert modules[2] == {"slot": "DIMM 10", "size_bytes": 8 * GIB, "type": "DDR4", "speed_mhz": 3200}


def test_no_smbios_gives_no_modules(tmp_path):
    assert read_memory_modules(str(tmp_path / "absent")) == []
    assert read_memory_modules(str(tmp_path)) == []


def test_an_unreadable_entry_gives_no_modules_rather_than_some(tmp_path):
    _entry(tmp_path, "17-0", memory_device(size=8192))
    (tmp_path / "17-1" / "raw").mkdir(parents=True)  # open() fails, as on a 0400 file for a non-root agent
    assert read_memory_modules(str(tmp_path)) == []


def test_a_corrupt_entry_raises_naming_the_file(tmp_path):
    _entry(tmp_path, "17-0", memory_device(size=8192)[:-1])
    with pytest.raises(ValueError, match=r"17-0/raw: SMBIOS string-set .* not terminated"):
        read_memory_modules(str(tmp_path))
