"""The global search service on the real database: every identifier, every notation, ranking."""

from __future__ import annotations

import pytest

from collector.errors import InvalidInput
from collector.queries.search import PER_KIND, QUERY_MAX, Rank, parse_query, search

MAC = "3c:52:82:0a:1b:2c"
MAC_NOTATIONS = ("3c:52:82:0a:1b:2c", "3C:52:82:0A:1B:2C", "3C-52-82-0A-1B-2C", "3c52.820a.1b2c",
                 "3C52.820A.1B2C", "3c5282 0a1b2c".replace(" ", ""), "3C52820A1B2C")


@pytest.fixture
def world(database):
    """An asset (NIC, user, software), a CI with a MAC, a discovered device, and decoys."""
    from collector.models import Asset, AssetNic, AssetSoftware, Device, Software
    from collector.models.cmdb import CiMac, ConfigurationItem
    from collector.models.sam import SamProduct, SamSoftwareProduct

    with database.write() as session:
        laptop = Asset(hostname="Fin-LT-0042", serial="PF3ABC12", asset_tag="SMB-TAG-9", primary_user="ACME\\jdoe")
        decoy = Asset(hostname="fin-lt-00420", serial="PF3ABC123", primary_user="jdoe2")
        odd = Asset(hostname="lab_100%", serial="ODD-1")
        session.add_all([laptop, decoy, odd])
        session.flush()
        session.add_all([
            AssetNic(asset_id=laptop.id, name="eth0", mac=MAC, ipv4=["198.18.4.17", "198.18.9.1", "198.18.12.5"], ipv6=[],
                     observation_id=1),
            AssetNic(asset_id=decoy.id, name="eth0", mac="3c:52:82:0a:1b:2d", ipv4=["198.18.4.170"], ipv6=[],
                     observation_id=1),
        ])
        firefox = Software(key="f" * 32, name="Mozilla Firefox", version="120", source="msi")
        libreoffice = Software(key="a" * 32, name="libreoffice-core", version="7.4", source="dpkg")
        session.add_all([firefox, libreoffice])
        session.flush()
        session.add_all([AssetSoftware(asset_id=laptop.id, software_id=firefox.id, observation_id=1),
                         AssetSoftware(asset_id=decoy.id, software_id=libreoffice.id, observation_id=1)])
        office = SamProduct(publisher="The Document Foundation", name="LibreOffice")
        session.add(office)
        session.flush()
        session.add(SamSoftwareProduct(software_id=libreoffice.id, product_id=office.id, ruleset="r1"))
        ci = ConfigurationItem(asset_tag="AT-0007731", name="Finance laptop", hostname="fin-lt-0042",
                               serial="PF3ABC12", ip="198.18.4.17", assigned_user="Jane Doe")
        switch_ci = ConfigurationItem(asset_tag="NET-CORE-1", name="Core switch", hostname="core-sw-1",
                                      ci_class="network_device")
        session.add_all([ci, switch_ci])
        session.flush()
        session.add(CiMac(ci_id=ci.id, mac=MAC))
        switch = Device(mac="00:11:22:33:44:55", ip="198.18.0.1", sys_name="core-sw-1", serial="FOC1408Z61U",
                        vendor="Cisco", found_by=["snmp"])
        printer = Device(mac="00:11:22:33:44:66", ip="198.18.0.66", sys_name="PRN-3F", found_by=["arp"])
        phone = Device(mac="00:11:22:33:44:77", ip="2001:db8::7", sys_name="desk-phone", found_by=["snmp"])
        session.add_all([switch, printer, phone])
        session.flush()
        return {"laptop": laptop.id, "decoy": decoy.id, "odd": odd.id, "ci": ci.id, "switch_ci": switch_ci.id,
                "switch": switch.id, "printer": printer.id, "phone": phone.id}


def _find(database, query):
    with database.session() as session:
        return search(session, query)


def _ids(results, kind):
    return [hit.id for hit in results.groups.get(kind, [])]


def _hit(results, kind, record_id):
    return next(hit for hit in results.groups.get(kind, []) if hit.id == record_id)


@pytest.mark.parametrize("notation", MAC_NOTATIONS)
def test_a_mac_in_any_notation_finds_the_asset_and_the_ci(database, world, notation):
    results = _find(database, notation)
    assert _ids(results, "asset") == [world["laptop"]]  # the decoy differs in the last digit
    assert _hit(results, "asset", world["laptop"]).field == "MAC"
    assert _hit(results, "asset", world["laptop"]).rank == Rank.EXACT
    assert _ids(results, "ci") == [world["ci"]]


@pytest.mark.parametrize("prefix", ["3c:52:82:0a:1b", "3C-52-82-0A-1B", "3c52.820a.1b", "3C52820A1B", "3c:52:82:0a:1b:2"])
def test_a_mac_prefix_finds_every_mac_under_it(database, world, prefix):
    results = _find(database, prefix)
    assert set(_ids(results, "asset")) == {world["laptop"], world["decoy"]}
    assert {hit.rank for hit in results.groups["asset"]} == {Rank.PREFIX}


def test_an_oui_finds_devices(database, world):
    results = _find(database, "00-11-22")
    assert set(_ids(results, "device")) == {world["switch"], world["printer"], world["phone"]}


@pytest.mark.parametrize("query", ["2001:db8::7", "2001:DB8:0:0:0:0:0:7", "2001:0db8::0007"])
def test_a_whole_ipv6_address_in_any_spelling(database, world, query):
    results = _find(database, query)
    assert _ids(results, "device") == [world["phone"]]
    assert _hit(results, "device", world["phone"]).field == "IP"


@pytest.mark.parametrize("query", ["smb-tag-9", "SMB-TAG-9", "Smb-Tag-9"])
def test_asset_tag_is_case_insensitive(database, world, query):
    results = _find(database, query)
    assert _ids(results, "asset") == [world["laptop"]]
    assert _hit(results, "asset", world["laptop"]).field == "asset tag"


@pytest.mark.parametrize("query", ["at-0007731", "AT-0007731"])
def test_a_ci_tag_finds_the_ci(database, world, query):
    results = _find(database, query)
    assert _ids(results, "ci") == [world["ci"]]
    assert _hit(results, "ci", world["ci"]).rank == Rank.EXACT


def test_a_ci_only_host_is_found(database, world):
    results = _find(database, "CORE-SW")
    assert world["switch_ci"] in _ids(results, "ci")
    assert world["switch"] in _ids(results, "device")


def test_serial_exact_ranks_before_prefix(database, world):
    results = _find(database, "pf3abc12")
    assert _ids(results, "asset") == [world["laptop"], world["decoy"]]
    assert [hit.rank for hit in results.groups["asset"]] == [Rank.EXACT, Rank.PREFIX]
    assert results.groups["asset"][0].value == "PF3ABC12"
    assert _ids(results, "ci") == [world["ci"]]


def test_device_serial(database, world):
    assert _ids(_find(database, "foc1408z61u"), "device") == [world["switch"]]


def test_host_name_exact_prefix_and_substring(database, world):
    exact = _find(database, "FIN-LT-0042")
    assert _ids(exact, "asset") == [world["laptop"], world["decoy"]]
    assert [h.rank for h in exact.groups["asset"]] == [Rank.EXACT, Rank.PREFIX]
    middle = _find(database, "lt-004")  # nothing starts so: the fallback finds it inside the names
    assert set(_ids(middle, "asset")) == {world["laptop"], world["decoy"]}
    assert {h.rank for h in middle.groups["asset"]} == {Rank.SUBSTRING}
    assert _ids(middle, "ci") == [world["ci"]]
    assert _find(database, "lt").groups.get("asset") is None  # too short for a substring scan


def test_substring_fallback_runs_only_when_nothing_matches_whole_or_by_its_start(database, world):
    results = _find(database, "core")  # core-sw-1 starts so; "NET-CORE-1" only contains it
    assert world["switch_ci"] in _ids(results, "ci")
    assert {h.rank for hits in results.groups.values() for h in hits} == {Rank.PREFIX}


def test_exact_ip_and_ip_prefix(database, world):
    exact = _find(database, "198.18.4.17")
    assert _ids(exact, "asset")[0] == world["laptop"]
    laptop = _hit(exact, "asset", world["laptop"])
    assert (laptop.rank, laptop.field, laptop.value) == (Rank.EXACT, "IP", "198.18.4.17")
    assert _hit(exact, "asset", world["decoy"]).rank == Rank.PREFIX  # 198.18.4.170
    assert _ids(exact, "ci") == [world["ci"]]
    prefix = _find(database, "198.18.0.")
    assert set(_ids(prefix, "device")) == {world["switch"], world["printer"]}
    assert _ids(prefix, "asset") == []
    second_nic_address = _find(database, "198.18.9.1")
    assert _ids(second_nic_address, "asset") == [world["laptop"]]
    assert _hit(second_nic_address, "asset", world["laptop"]).value == "198.18.9.1"
    third = _find(database, "198.18.12.5")  # past the indexed two: the fallback reads the lists
    assert _ids(third, "asset") == [world["laptop"]]
    assert (_hit(third, "asset", world["laptop"]).value, _hit(third, "asset", world["laptop"]).rank) == \
        ("198.18.12.5", Rank.EXACT)


def test_user(database, world):
    domain = _find(database, "acme\\JDOE")
    assert _ids(domain, "asset") == [world["laptop"]]
    assert (_hit(domain, "asset", world["laptop"]).field, _hit(domain, "asset", world["laptop"]).rank) == \
        ("user", Rank.EXACT)
    assert _ids(_find(database, "jdoe"), "asset") == [world["decoy"]]  # jdoe2 starts so
    inside = _find(database, "doe")  # nothing starts so: found inside "ACME\\jdoe", "jdoe2", "Jane Doe"
    assert set(_ids(inside, "asset")) == {world["laptop"], world["decoy"]}
    assert _ids(inside, "ci") == [world["ci"]]
    assert _ids(_find(database, "jane doe"), "ci") == [world["ci"]]


def test_software_title_and_product_name_find_the_machines(database, world):
    firefox = _find(database, "firefox")
    assert _ids(firefox, "asset") == [world["laptop"]]
    assert (_hit(firefox, "asset", world["laptop"]).field, _hit(firefox, "asset", world["laptop"]).value) == \
        ("software", "Mozilla Firefox")
    assert _ids(_find(database, "LibreOffice"), "asset") == [world["decoy"]]  # by the SAM product's name
    inside = _find(database, "office-co")  # in the middle of "libreoffice-core"
    assert _ids(inside, "asset") == [world["decoy"]] and inside.groups["asset"][0].rank == Rank.SUBSTRING


def test_like_wildcards_are_literal(database, world):
    assert _ids(_find(database, "lab_100%"), "asset") == [world["odd"]]
    assert _ids(_find(database, "lab_"), "asset") == [world["odd"]]
    assert _find(database, "%").total == 0
    assert _find(database, "_").total == 0
    assert _find(database, "fin_lt").total == 0  # "_" is not "any character"


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "\\", "\\%", "\"; DROP TABLE assets; --", "<script>", "😀",
                                     "Ä" * QUERY_MAX, "%%%%", "3c:52:82:0a:1b:2c:00", "999.1.1.1", "..."])
def test_hostile_input_finds_nothing_and_breaks_nothing(database, world, hostile):
    assert _find(database, hostile).total == 0
    assert _ids(_find(database, "fin-lt-0042"), "asset")  # the tables are still there


@pytest.mark.parametrize("raw", ["x" * (QUERY_MAX + 1), "fin\x00lt", "a\nb"])
def test_too_long_or_control_characters_are_refused(raw):
    with pytest.raises(InvalidInput) as error:
        parse_query(raw)
    assert error.value.fields[0].field == "q"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_query_is_no_search(database, raw):
    results = _find(database, raw)
    assert results.terms is None and results.total == 0


def test_results_are_capped_per_kind_and_say_so(database):
    from collector.models import Device

    with database.write() as session:
        session.add_all([Device(mac=f"02:00:00:00:{n >> 8:02x}:{n & 255:02x}", sys_name=f"bulk-{n:04d}",
                                found_by=["arp"]) for n in range(PER_KIND + 10)])
    results = _find(database, "bulk-")
    assert len(results.groups["device"]) == PER_KIND and results.more["device"]
    assert [h.title for h in results.groups["device"]] == sorted(h.title for h in results.groups["device"])


def test_groups_are_ordered_by_their_best_match(database, world):
    results = _find(database, "core-sw-1")
    assert results.ordered_kinds() == ["ci", "device"]  # both exact: kind order
    tag = _find(database, "pf3abc1")  # prefix everywhere
    assert tag.ordered_kinds() == ["asset", "ci"]


def test_query_terms():
    assert parse_query("AABB.CCDD.EEFF").mac == "aa:bb:cc:dd:ee:ff"
    assert parse_query("aa-bb-c").mac == "aa:bb:c"
    assert parse_query("beef").mac is None  # shorter than an OUI without separators
    assert parse_query("198.18.4.").ip == "198.18.4." and parse_query("198.18.4.").mac is None
    assert parse_query("198.18.4.300").ip is None
