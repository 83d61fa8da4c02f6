"""collector.interop.safe_xml: bounded inflation, defused parsing, typed child values."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from collector.errors import BadRequest, PayloadTooLarge
from collector.interop.safe_xml import XmlLimits, child_int, child_text, decode_body, parse_xml, read_xml_body

DOC = b"<REQUEST><QUERY>PROLOG</QUERY><DEVICEID>pc-2026-01-01-00-00-00</DEVICEID></REQUEST>"


@pytest.mark.parametrize("wire", [DOC, zlib.compress(DOC), gzip.compress(DOC), b"\n  " + DOC])
def test_plain_zlib_and_gzip_bodies_decode_to_the_same_xml(wire):
    assert decode_body(wire, 1024).strip() == DOC


def test_the_wire_cap_refuses_before_reading_everything():
    stream = io.BytesIO(b"<a>" + b"x" * 5000 + b"</a>")
    with pytest.raises(PayloadTooLarge):
        read_xml_body(stream, XmlLimits(max_wire_bytes=1000, max_inflated_bytes=10_000))
    # It stopped at the cap (plus one read), not at the end of the stream.
    assert stream.tell() <= 1001


def test_a_declared_length_over_the_cap_is_refused_unread():
    stream = io.BytesIO(DOC)
    with pytest.raises(PayloadTooLarge):
        read_xml_body(stream, XmlLimits(1000, 1000), content_length=10_000)
    assert stream.tell() == 0


def test_a_zlib_bomb_stops_at_the_inflated_cap():
    bomb = zlib.compress(b"<" + b"A" * 20_000_000, 9)  # 20 MB of output from ~20 KB
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge, match="decompressed body exceeds 1000000"):
        decode_body(bomb, 1_000_000)


@pytest.mark.parametrize("wire, message", [
    (zlib.compress(DOC)[:-6], "zlib body is truncated"),
    (zlib.compress(DOC) + b"junk", "unexpected bytes after the zlib stream"),
    (b"\x78\x9c" + b"\xff" * 20, "not valid zlib"),
    (b"", "empty request body"),
])
def test_damaged_compressed_bodies_are_400(wire, message):
    with pytest.raises(BadRequest, match=message):
        decode_body(wire, 10_000)


def test_plain_bodies_over_the_inflated_cap_are_413():
    with pytest.raises(PayloadTooLarge):
        decode_body(b"<a>" + b" " * 2000 + b"</a>", 1000)


@pytest.mark.parametrize("document, refusal", [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b"<REQUEST>&lol2;</REQUEST>", "DTDForbidden"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><REQUEST>&x;</REQUEST>',
     "DTDForbidden"),
    (b'<?xml version="1.0"?><!DOCTYPE REQUEST SYSTEM "http://127.0.0.1:9/x.dtd"><REQUEST/>', "DTDForbidden"),
])
def test_dtds_entities_and_external_references_are_refused(document, refusal):
    with pytest.raises(BadRequest, match=refusal):
        parse_xml(document)


def test_entity_references_without_a_dtd_are_malformed_not_resolved():
    with pytest.raises(BadRequest, match="malformed XML"):
        parse_xml(b"<REQUEST>&lol;</REQUEST>")


def test_depth_and_element_limits_stop_the_parse():
    deep = b"<a>" * 10_000 + b"</a>" * 10_000
    with pytest.raises(BadRequest, match="nesting deeper than 32"):
        parse_xml(deep)
    wide = b"<a>" + b"<b/>" * 1001 + b"</a>"
    with pytest.raises(BadRequest, match="more than 1000 elements"):
        parse_xml(wide, max_elements=1000)
    assert len(parse_xml(b"<a>" + b"<b/>" * 999 + b"</a>", max_elements=1000)) == 999


@pytest.mark.parametrize("document", [b"<a>", b"not xml", b"<a></b>", b"<a>\xff\xfe</a>",
                                      b'<?xml version="1.0" encoding="x-nonsense"?><a/>', b"<a>&#0;</a>"])
def test_malformed_documents_are_400(document):
    with pytest.raises(BadRequest):
        parse_xml(document)


def test_child_text_reads_stripped_text_and_names_the_field_when_refusing():
    root = parse_xml(b"<H><NAME>  pc01 </NAME><EMPTY/><NESTED><X>1</X></NESTED><TWICE>1</TWICE><TWICE>2</TWICE></H>")
    assert child_text(root, "NAME", "HARDWARE.NAME") == "pc01"
    assert child_text(root, "EMPTY", "HARDWARE.EMPTY") is None
    assert child_text(root, "ABSENT", "HARDWARE.ABSENT") is None
    with pytest.raises(BadRequest) as nested:
        child_text(root, "NESTED", "HARDWARE.NESTED")
    assert nested.value.fields[0].field == "HARDWARE.NESTED"
    with pytest.raises(BadRequest, match="more than once"):
        child_text(root, "TWICE", "HARDWARE.TWICE")
    with pytest.raises(BadRequest, match="longer than 2"):
        child_text(root, "NAME", "HARDWARE.NAME", max_length=2)


@pytest.mark.parametrize("text, expected", [("4096", 4096), (" 0 ", 0), ("", None)])
def test_child_int_accepts_whole_numbers(text, expected):
    assert child_int(parse_xml(f"<H><MEMORY>{text}</MEMORY></H>".encode()), "MEMORY", "HARDWARE.MEMORY") == expected


@pytest.mark.parametrize("text", ["4 GB", "1_000", "1.5", "\u0661\u0662", "-1", "99999999999999999999", "0x10"])
def test_child_int_refuses_anything_else_naming_the_field(text):
    with pytest.raises(BadRequest) as refused:
        child_int(parse_xml(f"<H><MEMORY>{text}</MEMORY></H>".encode()), "MEMORY", "HARDWARE.MEMORY")
    assert refused.value.fields[0].field == "HARDWARE.MEMORY"


def _utf16(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")


def test_utf16_documents_take_the_counting_parser_and_get_the_same_limits_and_refusals():
    # NUL bytes: the count of "<" bytes says nothing, so elements are counted as parsed.
    assert [child.text for child in parse_xml(_utf16("<a><b>\u00e9t\u00e9</b></a>"))] == ["\u00e9t\u00e9"]
    with pytest.raises(BadRequest, match="nesting deeper than 32"):
        parse_xml(_utf16("<a>" * 40 + "</a>" * 40))
    with pytest.raises(BadRequest, match="more than 10 elements"):
        parse_xml(_utf16("<a>" + "<b/>" * 10 + "</a>"), max_elements=10)
    with pytest.raises(BadRequest, match="DTDForbidden"):
        parse_xml(_utf16('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'))


@pytest.mark.parametrize("depth, refused", [(32, False), (33, True)])
def test_the_depth_limit_is_exact_on_the_direct_path(depth, refused):
    document = b"<a>" * depth + b"</a>" * depth
    if refused:
        with pytest.raises(BadRequest, match="nesting deeper than 32"):
            parse_xml(document)
    else:
        assert parse_xml(document).tag == "a"
    # The counting path (taken when "<" bytes outnumber the allowed elements) draws the same line.
    if refused:
        with pytest.raises(BadRequest, match="nesting deeper than 32"):
            parse_xml(document, max_elements=depth)
    else:
        assert parse_xml(document, max_elements=depth).tag == "a"


def test_attributes_text_and_tails_survive_the_direct_path():
    root = parse_xml(b'<R k="v"><A>one</A> tail <B x="1" y="2"/><C><![CDATA[<not-a-tag>]]></C></R>')
    assert root.attrib == {"k": "v"}
    assert [(c.tag, c.text, c.attrib) for c in root] == [("A", "one", {}), ("B", None, {"x": "1", "y": "2"}),
                                                        ("C", "<not-a-tag>", {})]
    assert root[0].tail == " tail "


_FORCES_DEFUSED = b"<!-- <!DOCTYPE in a comment takes defusedxml's parser -->"


@pytest.mark.parametrize("document", [
    b'<R k="v"><A>one &amp; &#x263A; &lt;two&gt;</A> tail <B x="1"/><?pi data?><C><![CDATA[<x>]]></C></R>',
    '<?xml version="1.0" encoding="ISO-8859-1"?><R><N>caf\u00e9</N></R>'.encode("latin-1"),
    '<?xml version="1.0" encoding="windows-1252"?><R><N>\u20ac 5</N></R>'.encode("cp1252"),
    b"\xef\xbb\xbf<R><N>with a byte order mark</N></R>",
])
def test_the_c_parser_and_the_defused_parser_build_the_same_tree(document):
    """Bodies without a document type declaration are built by ElementTree's C parser; the same
    body read by defusedxml's parser (a DOCTYPE in a comment sends it there) gives the same tree."""
    from xml.etree.ElementTree import tostring

    direct = parse_xml(document)
    defused = parse_xml(document + _FORCES_DEFUSED)  # a comment after the root element
    assert tostring(direct) == tostring(defused)


@pytest.mark.parametrize("document", [b"<R>&lol;</R>", b"<!doctype R><R/>", b"<R><!ENTITY x 'y'></R>",
                                      b"<R>&#0;</R>"])
def test_without_a_doctype_undeclared_entities_and_stray_declarations_are_malformed(document):
    with pytest.raises(BadRequest, match="malformed XML"):
        parse_xml(document)


@pytest.mark.parametrize("body, declared", [
    (b"<!DOCTYPE a><a/>", True),
    (b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a/>', True),
    (b"<a><!-- <!DOCTYPE a> --></a>", True),
    (b"<a>Hello! <b>!!</b> <!-- a comment! --></a>", False),
    (b"<a>!DOCTYPE</a>", False),
    (b"!", False),
])
def test_a_doctype_is_found_wherever_it_is(body, declared):
    from collector.interop.safe_xml import _DOCTYPE, contains_markup

    assert contains_markup(body, _DOCTYPE) is declared
