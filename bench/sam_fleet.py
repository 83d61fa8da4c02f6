"""The fleet bench/sam.py measures, generated in memory: titles, hosts, installs, usage.

Hosts have roles (Windows workstations 60%, Windows servers 10%, Macs 10%, Debian
workstations 6% and servers 8%, RHEL servers 6%); ~20% are VMware VMs (most servers). Each
host installs ``installs`` titles: the licensable and free families of its role at their
shares (sam_families.py), its platform's common base in the variant of its patch group, and
a long tail drawn with a Zipf-like skew, so a few tail titles are on thousands of hosts and
most on a handful. Every catalogue title is installed somewhere (as in a real catalogue,
which only holds what agents reported). ``new_titles`` more titles are kept back: the ones a
later ingest brings (newer builds, next KBs, new tail packages).
"""

from __future__ import annotations

import bisect
import itertools
from array import array
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.sam_families import FAMILIES, ROLES
from bench.sam_titles import PLATFORMS, Title, slots

__all__ = ["Catalogue", "Fleet", "Host", "build_catalogue", "build_fleet"]

ROLE_SHARES = (("win_ws", 0.60), ("win_srv", 0.10), ("mac", 0.10), ("debian_ws", 0.06), ("debian_srv", 0.08),
               ("rhel_srv", 0.06))
VM_SHARE = {"win_ws": 0.03, "win_srv": 0.80, "debian_srv": 0.70, "rhel_srv": 0.60}
TAIL_SHARE = {"windows": 0.35, "debian": 0.35, "macos": 0.12, "rhel": 0.18}
BASE_SHARE = 0.7  # of a host's installs: its platform's common base
USAGE_SHARE = 0.85  # hosts whose agent reports program usage
FIRST = ("anna", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "ines", "jonas", "karin", "lukas", "mia",
         "noah", "olga", "paul", "rosa", "simon", "tara", "ugo", "vera", "william", "yara", "zoe", "aaron", "bella",
         "carlos", "dana", "erik", "fatima", "georg", "hanna", "ivan", "julia", "kofi", "lena", "marco", "nina")
LAST = ("smith", "muller", "garcia", "rossi", "dubois", "novak", "kowalski", "jansen", "nielsen", "silva", "ivanova",
        "schmidt", "martin", "bernard", "lopez", "weber", "fischer", "meyer", "wagner", "becker", "hoffmann", "klein",
        "wolf", "neumann", "schwarz", "zimmermann", "braun", "kruger", "hartmann", "lange", "werner", "krause")
# Newer builds of licensable products an ingest brings (besides new tail packages and updates).
FAMILY_UPDATES = [
    Title("Microsoft 365 Apps for enterprise - en-us", "16.0.17231.20182", "Microsoft Corporation", "x64", "registry", "windows"),
    Title("Java 8 Update 391", "8.0.3910.13", "Oracle Corporation", "x86", "registry", "windows"),
    Title("Zoom Workplace (64-bit)", "6.0.12 (40012)", "Zoom Video Communications, Inc.", "x64", "msi", "windows"),
    Title("Adobe Acrobat DC (64-bit)", "23.008.20470", "Adobe Inc.", "x64", "msi", "windows"),
    Title("IntelliJ IDEA 2023.3.2", "233.13135.103", "JetBrains s.r.o.", "x64", "registry", "windows"),
    Title("Microsoft Word", "16.81", "Microsoft Corporation", "universal", "pkg", "macos"),
]
DEPARTMENTS = ("Finance", "Engineering", "Sales", "Marketing", "HR", "IT", "Legal", "Operations", "Research", "Support")


@dataclass
class Catalogue:
    titles: list[Title]  # software id = index + 1
    new: list[Title]  # kept back for the ingest step
    base: dict[str, list[list[int]]]  # platform -> patch group -> software ids
    tail: dict[str, tuple[list[int], list[float]]]  # platform -> (software ids, cumulative weights)
    family_ids: dict[tuple[str, str], list[tuple[float, list[int]]]]  # (family, platform) -> (weight, ids)


@dataclass
class Host:
    id: int
    role: str
    platform: str
    vm: bool
    hostname: str
    vendor: str
    model: str
    serial: str
    cpu_cores: int
    cpu_sockets: int
    primary_user: str | None
    group: int
    first_seen_at: datetime
    last_seen_at: datetime
    families: list[str] = field(default_factory=list)
    usage: list[dict] = field(default_factory=list)


@dataclass
class Fleet:
    catalogue: Catalogue
    hosts: list[Host]
    common: list[array]  # per host (same order): base and tail software ids (4-byte ints: 7.5M of them)
    family_installs: list[list[int]]  # per host: the family titles (installed later than the host's base)

    @property
    def links(self) -> int:
        return sum(map(len, self.common)) + sum(map(len, self.family_installs))

    @property
    def installs(self) -> list[array]:
        """Every host's software ids, families included (a copy: for checks, not for the load)."""
        return [common + array("I", family) for common, family in zip(self.common, self.family_installs)]


def _platform_titles(platform: str, base_slots: int, groups: int, tail_count: int, new_count: int):
    """(base titles per slot and group, tail titles, new titles) of one platform, in order."""
    stream = slots(platform)
    base = [[slot(g) for g in range(groups)] for slot in itertools.islice(stream, base_slots)]
    tail, new = [], []
    for number, slot in enumerate(stream):
        if len(tail) >= tail_count:
            break
        tail.extend(slot(k) for k in range(1 + number % 4))
    for slot in stream:  # the ingest's new titles: packages and updates not seen before
        if len(new) >= new_count:
            break
        new.append(slot(7))
    for slot_titles in base[: new_count // 4]:  # ... and newer versions of common ones
        new.append(Title(*_bumped(slot_titles[-1])))
    return base, tail[:tail_count], new


def _bumped(title: Title) -> tuple:
    version = (title.version or "") + ".1" if title.version else None
    name = title.name if title.version else title.name.replace(")", "-1)", 1)
    return name, version, title.publisher, title.arch, title.source, title.platform


def build_catalogue(total: int, installs: int, new_titles: int, seed: int = 12) -> Catalogue:
    """``total`` distinct titles (identity as the software key hashes it), plus ``new_titles`` kept back."""
    groups = 4 if total >= 20_000 else 2
    base_slots = int(installs * BASE_SHARE)
    family_titles = [t for f in FAMILIES for bundles in f.bundles.values() for _w, ts in bundles for t in ts]
    room = total - len(set(t.identity for t in family_titles)) - base_slots * groups * len(PLATFORMS)
    if room < total * 0.1:
        raise SystemExit(f"bench: {total} titles are too few for {installs} installs per host")
    titles: list[Title] = []
    index: dict[tuple, int] = {}

    def add(title: Title) -> int:
        if title.identity not in index:
            index[title.identity] = len(titles) + 1
            titles.append(title)
        return index[title.identity]

    family_ids = {(f.key, platform): [(w, [add(t) for t in ts]) for w, ts in bundles]
                  for f in FAMILIES for platform, bundles in f.bundles.items()}
    base, tail, new = {}, {}, []
    for platform in PLATFORMS:
        quota = int(room * TAIL_SHARE[platform])
        base_titles, tail_titles, new_titles_p = _platform_titles(platform, base_slots, groups, quota,
                                                                   int(new_titles * TAIL_SHARE[platform]) + 1)
        base[platform] = [[add(s[g]) for s in base_titles] for g in range(groups)]
        tail[platform] = [add(t) for t in tail_titles]
        new.extend(new_titles_p)
    while len(titles) < total:  # rounding and duplicates: top up the Windows tail
        tail["windows"].append(add(Title(f"Security Update for Windows 10 (KB{4000000 + len(titles)})",
                                         None, "Microsoft Corporation", "x64", "msi", "windows")))
    known = set(index)
    new = [t for t in dict.fromkeys(FAMILY_UPDATES + new) if t.identity not in known][:new_titles]
    rng = random.Random(seed)
    weighted = {}
    for platform, ids in tail.items():
        rng.shuffle(ids)
        weighted[platform] = (ids, list(itertools.accumulate(1 / (rank + 30) ** 1.1 for rank in range(len(ids)))))
    return Catalogue(titles[:total], new, base, weighted, family_ids)


def _role(rng: random.Random) -> str:
    roll = rng.random()
    for role, share in ROLE_SHARES:
        if roll < share:
            return role
        roll -= share
    return ROLE_SHARES[0][0]


def _hardware(rng: random.Random, role: str, vm: bool) -> tuple[str, str, str, int, int]:
    """(vendor, model, serial, cores, sockets) as the agent's hardware and CPU facts report them."""
    serial = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(10))
    if vm:
        vcpus = rng.choice((2, 4, 4, 8, 8, 16))
        model = "VMware Virtual Platform" if rng.random() < 0.85 else "VMware7,1"
        # VMware presents one core per socket unless told otherwise: sockets = vCPUs on most VMs.
        return "VMware, Inc.", model, f"VMware-42 {rng.getrandbits(64):016x}", vcpus, vcpus if rng.random() < 0.6 else 1
    if role == "mac":
        return "Apple Inc.", rng.choice(("MacBookPro18,3", "Mac14,2", "Mac15,6")), serial, rng.choice((8, 10, 12)), 1
    if role.endswith("_srv"):
        vendor, model = rng.choice((("Dell Inc.", "PowerEdge R650"), ("HPE", "ProLiant DL380 Gen10 Plus")))
        return vendor, model, serial, 2 * rng.choice((8, 12, 16, 24)), 2
    vendor, model = rng.choice((("Dell Inc.", "Latitude 5440"), ("HP", "HP EliteBook 840 G9"), ("LENOVO", "21HDS0AL00")))
    return vendor, model, serial, rng.choice((4, 6, 8, 10, 12, 14)), 1


def _user(rng: random.Random, role: str, users: list[str]) -> str | None:
    if role.endswith("_srv"):
        return "Administrator" if rng.random() < 0.3 else None
    if users and rng.random() < 0.12:  # a second device of someone who has one already
        return rng.choice(users)
    n = len(users)
    users.append(f"{FIRST[n % len(FIRST)]}.{LAST[n // len(FIRST) % len(LAST)]}{n // (len(FIRST) * len(LAST)) or ''}")
    return users[-1]


def _host(n: int, rng: random.Random, users: list[str], now: datetime, groups: int) -> Host:
    role = _role(rng)
    vm = rng.random() < VM_SHARE.get(role, 0.0)
    vendor, model, serial, cores, sockets = _hardware(rng, role, vm)
    prefix = {"win_ws": "ws", "win_srv": "srvw", "mac": "mac", "debian_ws": "lx", "debian_srv": "srvd", "rhel_srv": "srvr"}
    first_seen = now - timedelta(days=rng.randint(30, 900))
    last_seen = now - (timedelta(days=45) if rng.random() < 0.03 else timedelta(minutes=rng.randint(0, 600)))
    return Host(n, role, ROLES[role], vm, f"{prefix[role]}-{n:05d}", vendor, model, serial, cores, sockets,
                _user(rng, role, users), rng.randrange(groups), first_seen, last_seen)


def _families(rng: random.Random, host: Host, catalogue: Catalogue) -> list[int]:
    ids = []
    for family in FAMILIES:
        share = family.shares.get(host.role, 0.0)
        if host.vm and host.platform == "windows":
            share = max(share, family.shares.get("vm_windows", 0.0))
        bundles = catalogue.family_ids.get((family.key, host.platform))
        if bundles and rng.random() < share:
            host.families.append(family.key)
            weights = [w for w, _ids in bundles]
            ids.extend(rng.choices([b for _w, b in bundles], weights)[0])
    return ids


def _usage(rng: random.Random, host: Host, now: datetime) -> list[dict]:
    """What the agent's usage probe reports: programs by UTC day; ~30% of licensed ones unused > 90 days."""
    if rng.random() >= USAGE_SHARE:
        return []
    families = {f.key: f for f in FAMILIES}
    usage = []
    for key in host.families:
        for path in families[key].executables.get(host.platform, []):
            days = rng.randint(0, 30) if rng.random() < 0.7 else rng.randint(91, 400)
            usage.append({"path": path, "last_seen_running": _day(now - timedelta(days=days))})
    common = {"windows": r"C:\Windows\explorer.exe", "macos": "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder"}
    usage.append({"path": common.get(host.platform, "/usr/bin/bash"), "last_seen_running": _day(now)})
    return usage


def _day(moment: datetime) -> str:
    """The usage probe reports by UTC day (agent/probes/usage.py)."""
    return moment.strftime("%Y-%m-%dT00:00:00+00:00")


def _tail_picks(rng: random.Random, catalogue: Catalogue, platform: str, chosen: set[int], wanted: int) -> None:
    ids, cumulative = catalogue.tail[platform]
    total = cumulative[-1]
    for _attempt in range(wanted * 4):  # bounded: duplicates are redrawn, not looped on forever
        if len(chosen) >= wanted:
            return
        chosen.add(ids[bisect.bisect(cumulative, rng.random() * total)])


def build_fleet(catalogue: Catalogue, devices: int, installs: int, now: datetime, seed: int = 13) -> Fleet:
    rng, users = random.Random(seed), []
    groups = len(next(iter(catalogue.base.values())))
    hosts, common, family_installs = [], [], []
    for n in range(1, devices + 1):
        host = _host(n, rng, users, now, groups)
        family = list(dict.fromkeys(_families(rng, host, catalogue)))
        chosen = set(family) | set(catalogue.base[host.platform][host.group])
        _tail_picks(rng, catalogue, host.platform, chosen, installs)
        host.usage = _usage(rng, host, now)
        hosts.append(host)
        common.append(array("I", chosen.difference(family)))
        family_installs.append(family)
    _cover_every_title(rng, catalogue, hosts, common, family_installs)
    return Fleet(catalogue, hosts, common, family_installs)


def _cover_every_title(rng: random.Random, catalogue: Catalogue, hosts: list[Host], installs: list[array],
                       family_installs: list[list[int]]) -> None:
    """A title nobody installed would not be in a real catalogue: give each such title one host."""
    used: set[int] = set()
    for ids, family in zip(installs, family_installs):
        used.update(ids)
        used.update(family)
    by_platform: dict[str, list[int]] = {}
    for position, host in enumerate(hosts):
        by_platform.setdefault(host.platform, []).append(position)
    for software_id, title in enumerate(catalogue.titles, 1):
        candidates = by_platform.get(title.platform)
        if software_id not in used and candidates:
            installs[rng.choice(candidates)].append(software_id)
