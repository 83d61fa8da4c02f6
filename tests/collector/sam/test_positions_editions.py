"""A licence that names no edition covers the product's licensable editions; one that names an
edition covers that edition only."""

from __future__ import annotations

from decimal import Decimal

from collector.sam.positions import compute_positions, position_of, positions_of
from tests.collector.sam.factories import NOW, SamBuilder


def _positions(session, run_id) -> dict:
    return {(product.name, product.edition, position.metric): (position.entitled, position.consumed, position.balance)
            for position, product in positions_of(session, run_id)}


def test_an_edition_less_licence_covers_every_licensable_edition_once_per_user(database):
    with database.write() as session:
        b = SamBuilder(session)
        java = b.product("Oracle", "Java SE", metrics=["named_user"])
        jre = b.product("Oracle", "Java SE", metrics=["named_user"], edition="JRE")
        jdk = b.product("Oracle", "Java SE", metrics=["named_user"], edition="JDK")
        office_std = b.product("Microsoft", "Office", metrics=["device"], edition="Standard")
        office_pro = b.product("Microsoft", "Office", metrics=["device"], edition="Professional Plus")
        titles = {"jre": b.title("Java 8 Update 421 (64-bit)", "8.0.4210.9", "Oracle Corporation", "registry", jre),
                  "jdk": b.title("Java(TM) SE Development Kit 17.0.12 (64-bit)", "17.0.12.0", "Oracle Corporation",
                                 "registry", jdk),
                  "std": b.title("Microsoft Office Standard 2019 - en-us", "16.0.10827.20138", "Microsoft Corporation",
                                 "registry", office_std),
                  "pro": b.title("Microsoft Office Professional Plus 2019 - en-us", "16.0.10827.20138",
                                 "Microsoft Corporation", "registry", office_pro)}
        ann = b.machine("pc-ann", primary_user="ann")
        ann2 = b.machine("lab-ann", primary_user="ann")
        ben = b.machine("pc-ben", primary_user="ben")
        for machine, installed in ((ann, ("jre", "jdk", "std")), (ann2, ("jdk", "pro")), (ben, ("jre", "pro"))):
            for name in installed:
                b.install(machine, titles[name])
        b.entitlement(java, "named_user", 1, unit_cost=180)
        b.entitlement(office_std, "device", 5, unit_cost=300)
        run_id = compute_positions(session, as_of=NOW).id
    with database.session() as session:
        positions = _positions(session, run_id)
        # Java SE without an edition: JRE and JDK installs of ann (two devices) and ben are 2 users.
        assert positions[("Java SE", "", "named_user")] == (1, 2, -1)
        assert ("Java SE", "JRE", "named_user") not in positions and ("Java SE", "JDK", "named_user") not in positions
        _, java_position = position_of(session, java)
        assert {e["edition"] for e in java_position.explanation["editions_covered"]} == {"JRE", "JDK"}
        assert java_position.shortfall_cost == Decimal("180.00")
        # Office Standard's licence does not cover Professional Plus: that edition is unlicensed.
        assert positions[("Office", "Standard", "device")] == (5, 1, 4)
        assert positions[("Office", "Professional Plus", "device")] == (0, 2, -2)
