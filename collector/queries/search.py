"""Global search: one box that finds assets, CIs and discovered devices by any identifier.

A query is read as every identifier it could be: text (host name, asset tag, serial, user,
software title), a MAC in any notation or a prefix of one, an IPv4 address or a prefix of one.
Each field is looked up through its ``lower(column)`` index (``collector/models/search.py``):
equality, then prefix; a NIC's first two IPv4 addresses are indexed too. Only when nothing
matches so does a second statement scan: the name fields (host names, names, users, software
titles) for the text anywhere in them (three characters or more), and for an IP every NIC's
address list. Every lookup has its own LIMIT and all of them travel as one
UNION ALL statement, so a search costs one round trip whatever it matches.

Hits are ranked: exact identifier matches first, then prefix, then substring; within a rank,
by kind (asset, CI, device) and name. A record found by several fields keeps its best match.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from enum import IntEnum

from sqlalchemy import Text, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput
from collector.models import Asset, AssetNic, AssetSoftware, Device, Software
from collector.models.cmdb import CiMac, ConfigurationItem
from collector.models.sam import SamProduct, SamSoftwareProduct
from collector.models.search import NIC_ADDRESS_SLOTS, nic_address

__all__ = ["KINDS", "PER_KIND", "QUERY_MAX", "Hit", "Rank", "SearchResults", "SearchTerms", "parse_query", "search"]

KINDS = ("asset", "ci", "device")
QUERY_MAX = 100
PER_KIND = 50  # hits shown per kind; one more is fetched to say "more than 50"
SUBSTRING_MIN = 3
_SOFTWARE_TITLES = 50  # catalogue titles a software query may expand to
_TOP = "\U0010ffff"  # sorts after every character: the upper bound of a prefix range
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAC_COLON = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){0,4}([:-][0-9a-f]{0,2})$")
_MAC_CISCO = re.compile(r"^[0-9a-f]{4}\.[0-9a-f]{0,4}(\.[0-9a-f]{0,4})?$")
_MAC_COMPACT = re.compile(r"^[0-9a-f]{6,12}$")  # at least an OUI, so "beef" is not read as a MAC
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_IPV4_PREFIX = re.compile(r"^\d{1,3}\.(\d{1,3}\.){0,2}\d{0,3}$")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Rank(IntEnum):
    EXACT = 0
    PREFIX = 1
    SUBSTRING = 2


@dataclass(frozen=True)
class Hit:
    kind: str  # one of KINDS
    id: int
    title: str  # host name, asset tag or device name: what a person recognises
    subtitle: str | None
    field: str  # what matched: "MAC", "serial", "software"...
    value: str  # the matched value as stored
    rank: Rank


@dataclass(frozen=True)
class SearchTerms:
    """The query as each kind of identifier: lower-case text, a MAC (prefix), an IPv4 (prefix)."""

    raw: str
    text: str
    mac: str | None = None  # canonical "aa:bb:cc:dd:ee:ff" or a leading part of one
    ip: str | None = None  # an IPv4 address or a leading part of one; a whole IPv6 address

    @property
    def mac_is_whole(self) -> bool:
        return self.mac is not None and len(self.mac) == 17


@dataclass
class SearchResults:
    terms: SearchTerms | None
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    more: dict[str, bool] = field(default_factory=dict)  # kind -> more than PER_KIND matched

    @property
    def total(self) -> int:
        return sum(len(hits) for hits in self.groups.values())

    def ordered_kinds(self) -> list[str]:
        """Kinds that matched, the one with the best hit first (ties in KINDS order)."""
        found = [kind for kind in KINDS if self.groups.get(kind)]
        return sorted(found, key=lambda kind: (self.groups[kind][0].rank, KINDS.index(kind)))


def parse_query(raw: str | None) -> SearchTerms | None:
    """The search terms, or None for an empty query; too long or control characters: InvalidInput."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > QUERY_MAX:
        raise InvalidInput("invalid search", [FieldError("q", f"must be at most {QUERY_MAX} characters")])
    if _CONTROL.search(text):
        raise InvalidInput("invalid search", [FieldError("q", "must not contain control characters")])
    lowered = text.lower()
    return SearchTerms(raw=text, text=lowered, mac=_mac_term(lowered), ip=_ip_term(lowered))


def _mac_term(text: str) -> str | None:
    """aa:bb:cc:dd:ee:ff, AA-BB-..., aabb.ccdd.eeff and aabbccddeeff, whole or a leading part."""
    if not (_MAC_COLON.match(text) or _MAC_CISCO.match(text) or _MAC_COMPACT.match(text)):
        return None
    digits = re.sub(r"[:.\-]", "", text)
    if len(digits) > 12 or len(digits) < 2:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def _ip_term(text: str) -> str | None:
    """An IPv4 address or its first part as typed; a whole IPv6 address in its canonical form."""
    if _IPV4.match(text):
        return text if all(int(octet) <= 255 for octet in text.split(".")) else None
    if _IPV4_PREFIX.match(text):
        return text
    if ":" in text:
        try:
            return str(ipaddress.IPv6Address(text))
        except ValueError:
            return None
    return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class _Field:
    """One searchable field: the kind of record, a label, the column, and which term it takes."""

    kind: str
    label: str
    column: object
    term: str  # "text", "mac" or "ip"
    substring: bool = False
    folded: bool = True  # compared as lower(column); False for the NIC address expressions (digits)
    via: str | None = None  # "nic" or "ci_mac": the column is on a child table, joined to its record

    @property
    def key(self):
        return func.lower(self.column) if self.folded else self.column


def _fields() -> tuple[_Field, ...]:
    return (
        _Field("asset", "asset tag", Asset.asset_tag, "text"),
        _Field("asset", "serial", Asset.serial, "text"),
        _Field("asset", "host name", Asset.hostname, "text", substring=True),
        _Field("asset", "user", Asset.primary_user, "text", substring=True),
        _Field("asset", "MAC", AssetNic.mac, "mac", via="nic"),
        *(_Field("asset", "IP", nic_address(slot), "ip", folded=False, via="nic") for slot in NIC_ADDRESS_SLOTS),
        _Field("ci", "asset tag", ConfigurationItem.asset_tag, "text"),
        _Field("ci", "serial", ConfigurationItem.serial, "text"),
        _Field("ci", "host name", ConfigurationItem.hostname, "text", substring=True),
        _Field("ci", "name", ConfigurationItem.name, "text", substring=True),
        _Field("ci", "user", ConfigurationItem.assigned_user, "text", substring=True),
        _Field("ci", "IP", ConfigurationItem.ip, "ip"),
        _Field("ci", "MAC", CiMac.mac, "mac", via="ci_mac"),
        _Field("device", "serial", Device.serial, "text"),
        _Field("device", "name", Device.sys_name, "text", substring=True),
        _Field("device", "IP", Device.ip, "ip"),
        _Field("device", "MAC", Device.mac, "mac"),
    )


def _base(kind: str, column, rank: Rank, label: str, via: str | None = None):
    """SELECT kind, id, title, subtitle, field, value, rank for one field of one kind."""
    tail = (literal(label), column.label("value"), literal(int(rank)).label("rank"))
    if kind == "asset":
        query = select(literal("asset").label("kind"), Asset.id, Asset.hostname.label("title"),
                       Asset.serial.label("subtitle"), *tail)
        return query.join(AssetNic, AssetNic.asset_id == Asset.id) if via == "nic" else query
    if kind == "ci":
        query = select(literal("ci").label("kind"), ConfigurationItem.id,
                       func.coalesce(ConfigurationItem.asset_tag, ConfigurationItem.name,
                                     ConfigurationItem.hostname).label("title"),
                       func.coalesce(ConfigurationItem.name, ConfigurationItem.hostname).label("subtitle"), *tail)
        return query.join(CiMac, CiMac.ci_id == ConfigurationItem.id) if via == "ci_mac" else query
    return select(literal("device").label("kind"), Device.id,
                  func.coalesce(Device.sys_name, Device.ip, Device.mac).label("title"),
                  func.coalesce(Device.vendor, Device.oui_vendor, Device.device_type).label("subtitle"), *tail)


class _Lookups:
    """Builds the per-field SELECTs, each with its own LIMIT, for one dialect."""

    def __init__(self, dialect: str, terms: SearchTerms) -> None:
        self.sqlite = dialect == "sqlite"
        # SQLite's lower() folds ASCII only; fold the query the same way so both sides agree.
        text = terms.raw.translate(_ASCII_LOWER) if self.sqlite else terms.text
        self.values = {"text": text, "mac": terms.mac, "ip": terms.ip}
        self.whole_mac = terms.mac_is_whole
        self.selects: list = []

    def add(self, query) -> None:
        self.selects.append(select(query.limit(PER_KIND + 1).subquery()))

    def prefix(self, expression, value: str):
        if self.sqlite:  # a range walks the expression index (SQLite's LIKE optimisation needs a bare column)
            return (expression >= value) & (expression < value + _TOP)
        return expression.like(_escape_like(value) + "%", escape="\\")

    def field(self, spec: _Field) -> None:
        """Equality and prefix through the field's index."""
        value = self.values[spec.term]
        if value is None:
            return
        key = spec.key
        self.add(_base(spec.kind, spec.column, Rank.EXACT, spec.label, spec.via).where(self.equal(key, value)))
        if not (spec.term == "mac" and self.whole_mac):
            self.add(_base(spec.kind, spec.column, Rank.PREFIX, spec.label, spec.via)
                     .where(self.prefix(key, value), key != value))

    def equal(self, expression, value: str):
        if self.sqlite:
            # As a closed range: SQLite's planner, from the ANALYZE statistics of a column that is
            # mostly NULL (asset tags, users), costs "= ?" as matching every row and scans 100,000
            # rows; a range it costs as selective, and walks the index.
            return (expression >= value) & (expression <= value)
        return expression == value

    def substring(self, spec: _Field) -> None:
        """A scan of the field (no index helps with ``%text%``), run only as the fallback."""
        value = self.values[spec.term]
        if spec.substring and value is not None and len(value) >= SUBSTRING_MIN:
            # The ids first: SQLite scans a covering index of the column instead of the table.
            record_id = spec.column.table.c.id
            found = (select(record_id).where(spec.key.like("%" + _escape_like(value) + "%", escape="\\"))
                     .limit(PER_KIND + 1))
            self.add(_base(spec.kind, spec.column, Rank.SUBSTRING, spec.label).where(record_id.in_(found)))

    def asset_ips(self, ip: str) -> None:
        """Addresses after a NIC's first two, in its JSON list's text (a scan of every NIC, so part
        of the fallback, and only for a query shaped like an IPv4 address)."""
        listed = cast(AssetNic.ipv4, Text)
        exact = '%"' + _escape_like(ip) + '"%'
        self.add(_base("asset", listed, Rank.EXACT, "IP", "nic").where(listed.like(exact, escape="\\")))
        self.add(_base("asset", listed, Rank.PREFIX, "IP", "nic")
                 .where(listed.like('%"' + _escape_like(ip) + '%', escape="\\"), ~listed.like(exact, escape="\\")))

    def software(self, text: str, ranks: tuple[Rank, ...]) -> None:
        """Machines with an installed title (or a title normalised to a product) by that name."""
        for rank in ranks:
            title_ids = self._titles(text, rank)
            if title_ids is None:
                continue
            self.add(select(literal("asset").label("kind"), Asset.id, Asset.hostname.label("title"),
                            Asset.serial.label("subtitle"), literal("software"), Software.name.label("value"),
                            literal(int(rank)).label("rank"))
                     .join(AssetSoftware, AssetSoftware.asset_id == Asset.id)
                     .join(Software, Software.id == AssetSoftware.software_id)
                     .where(AssetSoftware.software_id.in_(title_ids)))

    def _titles(self, text: str, rank: Rank):
        """Catalogue ids whose title, or whose SAM product's name, matches at this rank (bounded)."""
        name, product = func.lower(Software.name), func.lower(SamProduct.name)
        if rank == Rank.EXACT:
            titled, named = self.equal(name, text), product == text
        elif rank == Rank.PREFIX:
            titled, named = self.prefix(name, text) & (name != text), self.prefix(product, text) & (product != text)
        elif len(text) >= SUBSTRING_MIN:
            pattern = "%" + _escape_like(text) + "%"
            titled, named = name.like(pattern, escape="\\"), product.like(pattern, escape="\\")
        else:
            return None
        # The few products first, then their titles through the product_id index.
        products = select(SamProduct.id).where(named).limit(_SOFTWARE_TITLES)
        by_product = select(SamSoftwareProduct.software_id).where(SamSoftwareProduct.product_id.in_(products))
        return union_all(select(select(Software.id).where(titled).limit(_SOFTWARE_TITLES).subquery()),
                         select(by_product.limit(_SOFTWARE_TITLES).subquery()))


def search(session: Session, raw: str | None) -> SearchResults:
    """Every asset, CI and device the query identifies, best matches first, at most PER_KIND a kind.

    Whole and leading matches come from indexes in one statement. Only when there is none does
    a second statement scan the name fields for the text anywhere in them (at 100,000 records a
    scan costs tens of milliseconds a field, too much to pay on every identifier search)."""
    terms = parse_query(raw)
    if terms is None:
        return SearchResults(None)
    dialect = session.get_bind().dialect.name
    lookups = _Lookups(dialect, terms)
    for spec in _fields():
        lookups.field(spec)
    lookups.software(lookups.values["text"], (Rank.EXACT, Rank.PREFIX))
    rows = session.execute(union_all(*lookups.selects)).all()
    if not rows:
        fallback = _Lookups(dialect, terms)
        for spec in _fields():
            fallback.substring(spec)
        if terms.ip is not None:
            fallback.asset_ips(terms.ip)
        fallback.software(fallback.values["text"], (Rank.SUBSTRING,))
        if fallback.selects:
            rows = session.execute(union_all(*fallback.selects)).all()
    return _grouped(terms, rows)


def _grouped(terms: SearchTerms, rows) -> SearchResults:
    best: dict[tuple[str, int], Hit] = {}
    for kind, record_id, title, subtitle, label, value, rank in rows:
        hit = Hit(kind, record_id, title or "(unnamed)", subtitle, label, _shown(label, value, terms), Rank(rank))
        current = best.get((kind, record_id))
        if current is None or hit.rank < current.rank:
            best[(kind, record_id)] = hit
    results = SearchResults(terms)
    for kind in KINDS:
        hits = sorted((h for h in best.values() if h.kind == kind), key=lambda h: (h.rank, h.title.lower(), h.id))
        if hits:
            results.groups[kind] = hits[:PER_KIND]
            results.more[kind] = len(hits) > PER_KIND
    return results


def _shown(label: str, value: str | None, terms: SearchTerms) -> str:
    """The matched value as a person reads it: a NIC's address list becomes the addresses that matched."""
    if label == "IP" and value and value.startswith("[") and terms.ip:
        try:
            return ", ".join(a for a in json.loads(value) if isinstance(a, str) and a.startswith(terms.ip))
        except ValueError:
            return ""
    return value or ""
