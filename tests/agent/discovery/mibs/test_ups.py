"""UPS-MIB identification on recorded rows (snmpsim-data UPS recordings)."""

from agent.discovery.mibs.ups import parse_ups
from tests.agent.discovery.mibs.snmprec import rows

# UPS/eaton-93e-80
EATON = """
1.3.6.1.2.1.33.1.1.1.0|4|EATON
1.3.6.1.2.1.33.1.1.2.0|4x|4541544f4e20393345203830
1.3.6.1.2.1.33.1.1.3.0|4x|494e563a20322e30382e30303131
1.3.6.1.2.1.33.1.1.4.0|4x|4e6574776f726b204d616e6167656d656e7420436172642056362e3030204a48
1.3.6.1.2.1.33.1.1.5.0|4x|49443a20344b3233344c58583036202c204d73673a20394554303843433530343131303130
1.3.6.1.2.1.33.1.1.6.0|4|
"""
# UPS/phoenixtec-power: the card answers upsIdent but leaves the UPS's own fields empty.
PHOENIXTEC = """
1.3.6.1.2.1.33.1.1.1.0|4|
1.3.6.1.2.1.33.1.1.2.0|4|
1.3.6.1.2.1.33.1.1.3.0|4|
1.3.6.1.2.1.33.1.1.4.0|4|3.6.CY504.c
"""


def test_ups_identification():
    assert parse_ups(rows(EATON)) == {"ups": True, "manufacturer": "EATON", "model": "EATON 93E 80",
                                      "firmware": "INV: 2.08.0011"}


def test_an_empty_ident_group_still_says_ups():
    assert parse_ups(rows(PHOENIXTEC)) == {"ups": True}


def test_not_a_ups():
    assert parse_ups(rows("1.3.6.1.2.1.33.2.1.0|2|1")) == {}
