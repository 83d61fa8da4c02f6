import pytest

from agent.probes.monitors import EDID_HEADER, MonitorsProbe, connector_name, monitor_record, parse_edid
from common.schema import Monitor

# An 18-byte detailed timing descriptor (1920x1080 at 60 Hz, pixel clock 148.5 MHz) and a
# range-limits descriptor, as the first and third descriptors of most monitors carry them.
TIMING_1080P = bytes.fromhex("023a801871382d40582c450009252100001e")
RANGE_LIMITS = bytes.fromhex("000000fd00384c1e5311000a202020202020")


def _text_descriptor(tag: int, text: str) -> bytes:
    return bytes([0, 0, 0, tag, 0]) + (text.encode("ascii") + b"\n").ljust(13, b" ")[:13]


def _edid(vendor="DEL", product=0x41A4, serial=0x4C4C3041, year=2021, name=None, serial_text=None) -> bytes:
    """A base EDID block (E-EDID 1.4 layout) with a valid checksum."""
    block = bytearray(128)
    block[0:8] = EDID_HEADER
    letters = [ord(letter) - ord("A") + 1 for letter in vendor]
    block[8:10] = (letters[0] << 10 | letters[1] << 5 | letters[2]).to_bytes(2, "big")
    block[10:12] = product.to_bytes(2, "little")
    block[12:16] = serial.to_bytes(4, "little")
    block[16], block[17] = 23, year - 1990  # week, year
    block[18:20] = b"\x01\x04"  # EDID 1.4
    descriptors = [TIMING_1080P,
                   _text_descriptor(0xFF, serial_text) if serial_text else RANGE_LIMITS,
                   RANGE_LIMITS,
                   _text_descriptor(0xFC, name) if name else RANGE_LIMITS]
    for offset, descriptor in zip((54, 72, 90, 108), descriptors):
        block[offset:offset + 18] = descriptor
    block[127] = -sum(block[:127]) % 256
    assert sum(block) % 256 == 0
    return bytes(block)


def test_edid_with_name_and_serial_descriptors():
    edid = parse_edid(_edid(name="DELL U2720Q", serial_text="7Q3J8R3"))
    assert (edid.manufacturer, edid.product_code, edid.serial_number) == ("DEL", 0x41A4, 0x4C4C3041)
    assert (edid.name, edid.serial_text, edid.year) == ("DELL U2720Q", "7Q3J8R3", 2021)
    assert monitor_record(edid, "DP-1") == {"vendor": "DEL", "model": "DELL U2720Q", "serial": "7Q3J8R3",
                                            "manufactured_year": 2021, "connector": "DP-1"}


def test_edid_without_descriptors_falls_back_to_product_code_and_numeric_serial():
    record = monitor_record(parse_edid(_edid(vendor="GSM", product=0x5B7F, serial=123456, year=2019)), "HDMI-A-1")
    assert record == {"vendor": "GSM", "model": "GSM5B7F", "serial": "123456", "manufactured_year": 2019,
                      "connector": "HDMI-A-1"}


def test_placeholder_numeric_serial_is_no_serial():
    record = monitor_record(parse_edid(_edid(vendor="SAM", serial=0x01010101, name="S24F350")), None)
    assert record == {"vendor": "SAM", "model": "S24F350", "manufactured_year": 2021}
    Monitor.model_validate(record)


def test_edid_with_extension_block_reads_the_base_block():
    data = _edid(name="LG HDR 4K") + bytes([0x02, 0x03]) + bytes(126)  # CTA-861 extension follows
    assert parse_edid(data).name == "LG HDR 4K"


@pytest.mark.parametrize(("damage", "message"), [
    (lambda data: data[:100], "card0-DP-1/edid: EDID is 100 bytes"),
    (lambda data: b"\x00" * 8 + data[8:], "card0-DP-1/edid: not an EDID"),
    (lambda data: data[:20] + bytes([data[20] ^ 0x10]) + data[21:], "card0-DP-1/edid: EDID checksum mismatch"),
])
def test_corrupt_edid_raises_naming_the_file(damage, message):
    with pytest.raises(ValueError, match=message):
        parse_edid(damage(_edid(name="DELL U2720Q")), "/sys/class/drm/card0-DP-1/edid")


def test_connector_name_drops_the_card():
    assert connector_name("card0-HDMI-A-1") == "HDMI-A-1"
    assert connector_name("card1-eDP-1") == "eDP-1"


def test_probe_reads_connected_outputs_and_reports_a_corrupt_one(tmp_path):
    for directory, edid in (("card0-HDMI-A-1", _edid(name="DELL U2720Q", serial_text="7Q3J8R3")),
                            ("card0-DP-2", b""),  # nothing plugged in
                            ("card0-eDP-1", _edid(name="Panel")[:-1] + b"\x00")):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "edid").write_bytes(edid)
    (tmp_path / "card0").mkdir()
    (tmp_path / "renderD128").mkdir()
    fragment = MonitorsProbe(tmp_path).collect()
    assert fragment["monitors"] == [{"vendor": "DEL", "model": "DELL U2720Q", "serial": "7Q3J8R3",
                                     "manufactured_year": 2021, "connector": "HDMI-A-1"}]
    assert [e["probe"] for e in fragment["probe_errors"]] == ["monitors"]
    assert f"ValueError: {tmp_path}/card0-eDP-1/edid: EDID checksum mismatch" in fragment["probe_errors"][0]["error"]


def test_probe_unsupported_without_drm(tmp_path):
    assert not MonitorsProbe(tmp_path / "drm").supported()
