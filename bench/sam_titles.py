"""Raw software titles for bench/sam.py: what agents report, generated to a given count.

Four platforms, each with its own sources and naming: Debian (dpkg: ``libssl3 3.0.11-1~deb12u2
amd64``, maintainer as publisher), RHEL (rpm: epochs, ``.el9`` releases, "Red Hat, Inc."),
Windows (registry/msi DisplayName, DisplayVersion, Publisher: runtimes, drivers, KB updates,
per-version names such as ``7-Zip 23.01 (x64)``) and macOS (applications with their signing team,
installer receipts). A platform's titles come as *slots*, each with variants (one package in
several versions, or one update series): the first slots are the common base most hosts share
(a host takes the variant of its patch group), the rest are the long tail. The licensable
families (Office, SQL Server, Acrobat, JetBrains, Java SE, ...) are in ``sam_families.py``.

Everything is deterministic: versions come from the slot's own seeded generator.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Callable, Iterator

__all__ = ["PLATFORMS", "Slot", "Title", "slots"]

PLATFORMS = ("windows", "macos", "debian", "rhel")


@dataclass(frozen=True)
class Title:
    name: str
    version: str | None
    publisher: str | None
    arch: str | None
    source: str
    platform: str

    @property
    def identity(self) -> tuple:
        """The catalogue identity (collector/ingest/software.py software_identity)."""
        return (self.name, self.version or None, self.publisher or None, self.arch or None, self.source)


# A slot: variant number -> title (same package, another version; or the next update of a series).
Slot = Callable[[int], Title]


def _versions(seed: str, style: str) -> Callable[[int], str]:
    """Version strings for a slot, variant 0 oldest; each style looks like its ecosystem's."""
    rng = random.Random(seed)
    a, b, c, d = rng.randint(1, 30), rng.randint(0, 20), rng.randint(0, 60), rng.randint(100, 9000)
    revision = rng.randint(1, 5)
    styles = {
        "deb": lambda k: f"{a}.{b}.{c + k // 2}-{revision + k % 2}" + ("" if k % 3 else "+deb12u1"),
        "deb_epoch": lambda k: f"1:{a}.{b}.{c + k}-{revision}",
        "ubuntu": lambda k: f"{a}.{b}-{revision}ubuntu0.22.04.{k + 1}",
        "rpm": lambda k: f"{a}.{b}.{c}-{revision + k}.el9" + ("_4" if k % 2 else ""),
        "rpm_epoch": lambda k: f"1:{a}.{b}.{c + k}-{revision}.el9",
        "win4": lambda k: f"{a}.{b}.{d + 37 * k}.{10 * k + c}",
        "win3": lambda k: f"{a}.{b + k // 3}.{c + k}",
        "win2": lambda k: f"{a}.{b + k:02d}",
        "mac": lambda k: f"{a}.{b + k // 2}.{k % 2 + c % 4}",
        "macbuild": lambda k: f"{a}.{b}.{c + k} ({d + k})",
    }
    return styles[style]


def _title(name, publisher, arch, source, platform, version_style) -> Slot:
    version = _versions(f"{platform}:{name}", version_style)
    return lambda k: Title(name, version(k), publisher, arch, source, platform)


def _named_by_version(template, publisher, arch, source, platform, version_style) -> Slot:
    """Titles whose name carries the version (``7-Zip 23.01 (x64)``, ``Python 3.11.7 Core ...``)."""
    version = _versions(f"{platform}:{template}", version_style)
    return lambda k: Title(template.format(v=version(k)), version(k), publisher, arch, source, platform)


# --- Debian and RHEL ---------------------------------------------------------------------------

LIB_STEMS = (
    "ssl", "curl", "xml2", "gtk-3", "glib2.0", "pango-1.0", "cairo", "png16", "jpeg62-turbo", "tiff", "freetype",
    "fontconfig", "harfbuzz", "icu", "sqlite3", "pq", "mariadb", "krb5", "gssapi-krb5", "ldap", "sasl2", "pam",
    "systemd", "udev", "dbus-1", "avahi-client", "cups", "pulse", "asound", "x11", "xcb", "xext", "xrender", "xi",
    "xrandr", "xfixes", "drm", "gbm", "egl", "gl", "vulkan", "wayland-client", "input", "evdev", "mtdev", "gnutls",
    "nettle", "hogweed", "gmp", "mpfr", "ffi", "zstd", "lz4", "lzma", "bz2", "readline", "ncursesw", "tinfo",
    "edit", "uuid", "blkid", "mount", "smartcols", "fdisk", "selinux", "apparmor", "seccomp", "cap", "acl", "attr",
    "audit", "nss3", "nspr4", "event", "ev", "uv", "nghttp2", "ssh", "ssh2", "psl", "idn2", "unistring",
    "brotli", "webp", "gif", "heif", "avif", "openjp2", "lcms2", "exif", "gphoto2", "gstreamer1.0",
    "avcodec", "avformat", "swscale", "vpx", "x264", "opus", "vorbis", "ogg", "flac", "sndfile", "mpg123",
    "mp3lame", "soup-3.0", "secret-1", "gcrypt", "gpg-error", "gpgme", "assuan", "ksba", "npth", "protobuf",
    "grpc", "re2", "yaml", "jansson", "json-c", "jq", "onig", "archive", "magic", "elf", "dw", "bpf", "pcap",
    "nl-3", "nl-genl-3", "mnl", "nftables", "ip4tc", "netfilter-conntrack", "wrap", "tirpc", "nsl", "atk1.0",
    "atspi", "epoxy", "graphite2", "pixman-1", "thai", "datrie", "fribidi", "rsvg2", "gdk-pixbuf-2.0", "notify",
    "colord", "wacom", "inih", "kmod", "pci", "usb-1.0", "sensors", "snmp", "net-snmp", "pcsclite", "smbclient",
    "wbclient", "tdb", "talloc", "tevent", "ldb", "gnome-desktop-3", "nm", "mm-glib", "polkit-gobject-1",
)
TOOLS = (
    "bash", "coreutils", "openssh-client", "openssh-server", "curl", "wget", "git", "vim", "nano", "less", "sudo",
    "rsync", "tar", "gzip", "python3", "python3-minimal", "perl", "perl-base", "apt", "dpkg", "cron", "rsyslog",
    "logrotate", "tzdata", "ca-certificates", "openssl", "gnupg", "iproute2", "iputils-ping", "net-tools", "procps",
    "psmisc", "util-linux", "e2fsprogs", "grub-efi-amd64", "kmod", "lsb-release", "locales", "man-db", "bsdutils",
    "findutils", "grep", "sed", "gawk", "diffutils", "file", "htop", "tmux", "screen", "unattended-upgrades",
    "debconf", "adduser", "passwd", "login", "base-files", "init-system-helpers", "netbase", "xz-utils", "bzip2",
    "zstd", "unzip", "zip", "nginx", "apache2", "postgresql-15", "mariadb-server", "redis-server", "docker-ce",
    "containerd.io", "nfs-common", "cifs-utils", "chrony", "ntpsec", "auditd", "fail2ban", "ufw", "nftables",
    "firefox-esr", "thunderbird", "gimp", "inkscape", "vlc", "evince", "nautilus", "gnome-shell", "gdm3",
    "network-manager", "bluez", "cups-daemon", "sane-utils", "printer-driver-hpcups", "open-vm-tools", "qemu-guest-agent",
)
PY_MODULES = (
    "requests", "urllib3", "six", "yaml", "jinja2", "markupsafe", "certifi", "chardet", "idna", "setuptools", "pip",
    "wheel", "dbus", "gi", "apt", "debian", "cryptography", "cffi", "pycparser", "pkg-resources", "distro", "dateutil",
    "tz", "babel", "lxml", "psutil", "serial", "ldb", "talloc", "samba", "netifaces", "pexpect", "ptyprocess",
    "blinker", "click", "flask", "werkzeug", "itsdangerous", "sqlalchemy", "psycopg2", "numpy", "scipy", "pandas",
    "matplotlib", "pil", "bs4", "html5lib", "soupsieve", "docutils", "pygments", "attr", "jsonschema", "pyrsistent",
)
DEB_MAINTAINERS = (
    "Debian QA Group <packages@qa.debian.org>", "Debian GNOME Maintainers <pkg-gnome-maintainers@lists.alioth.debian.org>",
    "Debian X Strike Force <debian-x@lists.debian.org>", "Debian Python Team <team+python@tracker.debian.org>",
    "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>", "Debian Multimedia Maintainers <debian-multimedia@lists.debian.org>",
    "Debian systemd Maintainers <pkg-systemd-maintainers@lists.alioth.debian.org>", "Debian Perl Group <pkg-perl-maintainers@lists.alioth.debian.org>",
)


def _maintainer(name: str) -> str:
    return DEB_MAINTAINERS[sum(map(ord, name)) % len(DEB_MAINTAINERS)]


def _debian_slots() -> Iterator[Slot]:
    plat = "debian"
    for tool in TOOLS:
        yield _title(tool, _maintainer(tool), "amd64", "dpkg", plat, "deb_epoch" if tool in ("vim", "nano") else "deb")
    for n, stem in enumerate(LIB_STEMS):
        so = "" if stem[-1].isdigit() else str(n % 7)
        yield _title(f"lib{stem}{'-' if stem[-1].isdigit() and so else ''}{so}", _maintainer(stem), "amd64", "dpkg", plat, "deb")
    for module in PY_MODULES:
        yield _title(f"python3-{module}", DEB_MAINTAINERS[3], "all", "dpkg", plat, "deb")
    for stem in LIB_STEMS:
        yield _title(f"lib{stem}-dev", _maintainer(stem), "amd64", "dpkg", plat, "deb")
        yield _title(f"lib{stem}-common", _maintainer(stem), "all", "dpkg", plat, "ubuntu")
    for abi in itertools.count(10):  # kernels: every ABI bump is a new package name
        for flavour in ("image", "headers", "modules", "modules-extra"):
            yield lambda k, name=f"linux-{flavour}-6.1.0-{abi}-amd64", abi=abi: Title(
                name, f"6.1.{2 * abi + 30}-{1 + k}", "Debian Kernel Team <debian-kernel@lists.debian.org>", "amd64",
                "dpkg", plat)
        for prefix, suffix in (("r-cran-", ""), ("node-", ""), ("golang-", "-dev"), ("lib", "-perl"), ("ruby-", ""),
                               ("lib", "-java"), ("gir1.2-", "-1.0"), ("", "-doc")):
            stem = LIB_STEMS[abi % len(LIB_STEMS)] + ("" if abi < 10 + len(LIB_STEMS) else str(abi // len(LIB_STEMS)))
            yield _title(f"{prefix}{stem}{suffix}", _maintainer(prefix + stem), "all", "dpkg", plat, "deb")


def _rhel_slots() -> Iterator[Slot]:
    plat, vendor = "rhel", "Red Hat, Inc."
    for tool in TOOLS:
        yield _title(tool.replace("openssh-client", "openssh-clients"), vendor, "x86_64", "rpm", plat, "rpm")
    for stem in LIB_STEMS:
        yield _title(f"{stem.replace('lib', '')}-libs", vendor, "x86_64", "rpm", plat, "rpm_epoch")
    for module in PY_MODULES:
        yield _title(f"python3-{module}", vendor, "noarch", "rpm", plat, "rpm")
    for stem in LIB_STEMS:
        yield _title(f"{stem}-devel", vendor, "x86_64", "rpm", plat, "rpm")
    for release in itertools.count(284):  # kernels: name per release
        for part in ("kernel", "kernel-core", "kernel-modules", "kernel-modules-core"):
            # rpm lists every installed kernel under one name; the version is the kernel's.
            yield lambda k, part=part, release=release: Title(
                part, f"5.14.0-{release + 3 * k}.{k + 1}.1.el9_{2 + k % 3}", vendor, "x86_64", "rpm", plat)
        for prefix in ("perl-", "golang-", "rubygem-", "texlive-", "google-noto-"):
            stem = LIB_STEMS[release % len(LIB_STEMS)] + str(release // len(LIB_STEMS))
            yield _title(f"{prefix}{stem}", "Fedora Project" if prefix == "texlive-" else vendor, "noarch", "rpm", plat, "rpm")


# --- Windows -----------------------------------------------------------------------------------

WIN_APPS = (  # (name template, publisher, arch, source, version style)
    ("Google Chrome", "Google LLC", "x64", "msi", "win4"), ("Microsoft Edge", "Microsoft Corporation", "x64", "registry", "win4"),
    ("Microsoft Edge WebView2 Runtime", "Microsoft Corporation", "x64", "registry", "win4"),
    ("Mozilla Firefox (x64 en-US)", "Mozilla", "x64", "registry", "win2"), ("Mozilla Maintenance Service", "Mozilla", "x64", "registry", "win2"),
    ("7-Zip {v} (x64)", "Igor Pavlov", "x64", "registry", "win2"), ("Notepad++ (64-bit x64)", "Notepad++ Team", "x64", "registry", "win3"),
    ("VLC media player", "VideoLAN", "x64", "registry", "win3"), ("Git", "The Git Development Community", "x64", "registry", "win3"),
    ("PuTTY release {v} (64-bit)", "Simon Tatham", "x64", "msi", "win2"), ("WinSCP {v}", "Martin Prikryl", "x86", "registry", "win3"),
    ("KeePass Password Safe 2.{v}", "Dominik Reichl", "x86", "registry", "win2"), ("Microsoft Teams", "Microsoft Corporation", "x64", "registry", "win4"),
    ("Microsoft OneDrive", "Microsoft Corporation", "x64", "registry", "win4"), ("Microsoft Update Health Tools", "Microsoft Corporation", "x64", "msi", "win4"),
    ("Windows PC Health Check", "Microsoft Corporation", "x64", "msi", "win4"), ("Microsoft Intune Management Extension", "Microsoft Corporation", "x86", "msi", "win4"),
    ("CrowdStrike Windows Sensor", "CrowdStrike, Inc.", "x64", "registry", "win4"), ("Cisco Secure Client - AnyConnect VPN", "Cisco Systems, Inc.", "x86", "msi", "win4"),
    ("Cisco Webex Meetings", "Cisco Webex LLC", "x86", "msi", "win4"), ("FortiClient VPN", "Fortinet Technologies Inc", "x64", "msi", "win4"),
    ("Wireshark {v} x64", "The Wireshark developer community, https://www.wireshark.org", "x64", "registry", "win3"),
    ("Npcap", "Nmap Project", "x64", "registry", "win2"),
    ("Microsoft Visual Studio Code", "Microsoft Corporation", "x64", "registry", "win3"), ("Node.js", "Node.js Foundation", "x64", "msi", "win3"),
    ("Microsoft Visual Studio Installer", "Microsoft Corporation", "x86", "registry", "win4"), ("Windows Software Development Kit - Windows 10.0.{v}", "Microsoft Corporation", "x86", "registry", "win4"),
    ("Intel(R) Chipset Device Software", "Intel(R) Corporation", "x86", "msi", "win4"), ("Intel(R) Management Engine Components", "Intel Corporation", "x86", "msi", "win4"),
    ("Intel(R) Serial IO", "Intel Corporation", "x64", "msi", "win4"), ("Intel(R) Graphics Driver", "Intel Corporation", "x64", "registry", "win4"),
    ("Realtek High Definition Audio Driver", "Realtek Semiconductor Corp.", "x86", "registry", "win4"), ("Realtek Audio Driver", "Realtek Semiconductor Corp.", "x86", "registry", "win4"),
    ("NVIDIA Graphics Driver {v}", "NVIDIA Corporation", "x64", "registry", "win2"), ("NVIDIA PhysX System Software {v}", "NVIDIA Corporation", "x64", "registry", "win3"),
    ("NVIDIA HD Audio Driver {v}", "NVIDIA Corporation", "x64", "registry", "win4"), ("Synaptics Pointing Device Driver", "Synaptics Incorporated", "x64", "registry", "win4"),
    ("Dell Command | Update for Windows Universal", "Dell Inc.", "x64", "msi", "win3"), ("Dell SupportAssist", "Dell Inc.", "x64", "msi", "win4"),
    ("HP Hotkey Support", "HP Inc.", "x86", "msi", "win4"), ("HP Wolf Security", "HP Inc.", "x64", "msi", "win4"),
    ("Lenovo Vantage Service", "Lenovo Group Ltd.", "x64", "registry", "win4"), ("Microsoft GameInput", "Microsoft Corporation", "x64", "msi", "win4"),
    ("Microsoft Azure CLI", "Microsoft Corporation", "x86", "msi", "win3"), ("PowerShell 7-x64", "Microsoft Corporation", "x64", "msi", "win3"),
    ("Microsoft Power BI Desktop (x64)", "Microsoft Corporation", "x64", "registry", "win4"), ("Microsoft ODBC Driver 17 for SQL Server", "Microsoft Corporation", "x64", "msi", "win4"),
    ("Microsoft ODBC Driver 18 for SQL Server", "Microsoft Corporation", "x64", "msi", "win4"), ("Microsoft OLE DB Driver for SQL Server", "Microsoft Corporation", "x64", "msi", "win4"),
    ("SQL Server Management Studio", "Microsoft Corporation", "x86", "registry", "win4"), ("Microsoft SQL Server 2012 Native Client", "Microsoft Corporation", "x64", "msi", "win4"),
    ("Microsoft Silverlight", "Microsoft Corporation", "x64", "registry", "win4"), ("Microsoft Policy Platform", "Microsoft Corporation", "x86", "msi", "win4"),
    ("Configuration Manager Client", "Microsoft Corporation", "x64", "msi", "win4"), ("Local Administrator Password Solution", "Microsoft Corporation", "x64", "msi", "win4"),
    ("Greenshot {v}", "Greenshot", "x64", "registry", "win3"), ("Paint.NET", "dotPDN LLC", "x64", "msi", "win3"),
    ("GIMP {v}", "The GIMP Team", "x64", "registry", "win3"), ("Inkscape", "Inkscape", "x64", "msi", "win3"),
    ("LibreOffice {v}", "The Document Foundation", "x64", "msi", "win3"), ("Thunderbird (x64 en-US)", "Mozilla", "x64", "registry", "win2"),
    ("FileZilla {v}", "Tim Kosse", "x64", "registry", "win3"),
)  # commercial tools some hosts have (TeamViewer, WinRAR, Docker Desktop, Slack, Citrix) are families: sam_families.py
VC_YEARS = (("2005", "8.0.61001"), ("2008", "9.0.30729"), ("2010", "10.0.40219"), ("2012", "11.0.61030"),
            ("2013", "12.0.40664"), ("2015-2019", "14.29.30139"), ("2015-2022", "14.38.33135"))
DOTNET = ("Microsoft .NET Runtime - {m}.0.{p} ({a})", "Microsoft Windows Desktop Runtime - {m}.0.{p} ({a})",
          "Microsoft ASP.NET Core {m}.0.{p} - Shared Framework ({a})", "Microsoft .NET Host - {m}.0.{p} ({a})",
          "Microsoft .NET Host FX Resolver - {m}.0.{p} ({a})", "Microsoft .NET SDK {m}.0.{p}{h} ({a})")
PYTHON_PARTS = ("Core Interpreter", "Standard Library", "Executables", "Development Libraries", "Documentation",
                "Test Suite", "Tcl/Tk Support", "pip Bootstrap", "Add to Path", "Utility Scripts")
# Office's own updates are in the Office bundles (sam_families.py): only hosts with Office have them.
KB_SERIES = (("Security Update for Windows 10 (KB{n})", 5002000),
             ("Microsoft .NET Framework 4.8 Update for x64 (KB{n})", 4484000),
             ("Update for Windows 10 for x64-based Systems (KB{n})", 5001716),
             ("Update for Microsoft Visual Studio 2019 (KB{n})", 4600000))
VENDORS = ("Brother", "Canon", "Epson", "Xerox", "Kyocera", "Logitech", "Jabra", "Plantronics", "Zebra", "Ricoh", "Sophos",
           "Trellix", "Ivanti", "Bomgar", "Veeam", "Acronis", "Siemens", "Bosch", "SAP", "Datev", "Sage", "Kofax", "Nuance",
           "Foxit", "Sennheiser", "Elgato", "Wacom", "Yubico", "Veritas", "Quest", "Splunk", "Tanium", "Qualys", "Rapid7")
NOUNS = ("Printer Driver", "Scan Utility", "Device Manager", "Update Service", "Connector", "Agent", "Client", "Toolbox",
         "Plug-in", "Label Editor", "Firmware Updater", "Control Center", "Remote Support", "Backup Agent", "Hub",
         "Companion", "Desktop Tools", "SDK", "Runtime", "Language Pack")


def _windows_slots() -> Iterator[Slot]:
    plat = "windows"
    for template, publisher, arch, source, style in WIN_APPS:
        maker = _named_by_version if "{v}" in template else _title
        yield maker(template, publisher, arch, source, plat, style)
    for (year, build), arch in itertools.product(VC_YEARS, ("x64", "x86")):
        major, minor, patch = build.split(".")
        yield lambda k, y=year, a=arch, ma=major, mi=minor, p=int(patch): Title(
            f"Microsoft Visual C++ {y} Redistributable ({a}) - {ma}.{mi}.{p + 7 * k}", f"{ma}.{mi}.{p + 7 * k}.0",
            "Microsoft Corporation", a, "registry", plat)
    for template, major, arch in itertools.product(DOTNET, (6, 7, 8), ("x64", "x86")):
        yield lambda k, t=template, m=major, a=arch: Title(
            t.format(m=m, p=20 + k if m == 6 else 10 + k, a=a, h="00"), f"{m}.0.{20 + k}", "Microsoft Corporation", a, "msi", plat)
    for part, minor in itertools.product(PYTHON_PARTS, (9, 10, 11, 12)):
        yield lambda k, part=part, minor=minor: Title(
            f"Python 3.{minor}.{4 + k} {part} (64-bit)", f"3.{minor}.{4 + k}150.0", "Python Software Foundation", "x64", "msi", plat)
    for n in itertools.count():  # an update series per slot: the next KB is another title
        template, base = KB_SERIES[n % len(KB_SERIES)]
        yield lambda k, t=template, b=base + 97 * n: Title(t.format(n=b + k), None, "Microsoft Corporation", "x64", "msi", plat)
        if n < len(VENDORS) * len(NOUNS):
            vendor, noun = VENDORS[n % len(VENDORS)], NOUNS[n // len(VENDORS) % len(NOUNS)]
            yield _title(f"{vendor} {noun}", vendor if n % 3 else f"{vendor} Inc.", "x86" if n % 4 == 0 else "x64",
                         "msi" if n % 2 else "registry", plat, "win4")


# --- macOS -------------------------------------------------------------------------------------

MAC_APPS = (
    ("Google Chrome", "Google LLC", "com.google.Chrome"), ("Firefox", "Mozilla Corporation", "org.mozilla.firefox"),
    ("Visual Studio Code", "Microsoft Corporation", "com.microsoft.VSCode"),
    ("Microsoft Teams", "Microsoft Corporation", "com.microsoft.teams2"), ("OneDrive", "Microsoft Corporation", "com.microsoft.OneDrive"),
    ("Microsoft AutoUpdate", "Microsoft Corporation", "com.microsoft.autoupdate2"), ("1Password 7", "AgileBits Inc.", "com.agilebits.onepassword7"),
    ("iTerm", "George Nachman", "com.googlecode.iterm2"),
    ("VLC", "VideoLAN", "org.videolan.vlc"), ("The Unarchiver", None, "com.macpaw.site.theunarchiver"),
    ("GlobalProtect", "Palo Alto Networks", "com.paloaltonetworks.globalprotect"), ("Falcon", "CrowdStrike Inc.", "com.crowdstrike.falcon.App"),
    ("Keynote", "Apple Inc.", "com.apple.iWork.Keynote"), ("Pages", "Apple Inc.", "com.apple.iWork.Pages"),
    ("Numbers", "Apple Inc.", "com.apple.iWork.Numbers"), ("GarageBand", "Apple Inc.", "com.apple.garageband10"),
    ("iMovie", "Apple Inc.", "com.apple.iMovieApp"), ("Xcode", "Apple Inc.", "com.apple.dt.Xcode"),
    ("Python Launcher", "Python Software Foundation", "org.python.PythonLauncher"), ("Postman", "Postman, Inc.", "com.postmanlabs.mac"),
    ("Spotify", "Spotify", "com.spotify.client"), ("Figma", "Figma, Inc.", "com.figma.Desktop"),
    ("Rectangle", "Ryan Hanson", "com.knollsoft.Rectangle"), ("Webex", "Cisco WebEx LLC", "Cisco-Systems.Spark"),
)
MAC_WORDS = ("Helper", "Agent", "Updater", "Sync", "Capture", "Notes", "Viewer", "Studio", "Connect", "Launcher",
             "Monitor", "Cleaner", "Mail", "Calendar", "Scanner", "Player", "Recorder", "Editor", "Reader", "Tools")


def _macos_slots() -> Iterator[Slot]:
    plat = "macos"
    arch_of = ("universal", "arm64", "x86_64")
    for n, (name, team, bundle) in enumerate(MAC_APPS):
        yield _title(name, team, arch_of[n % 3], "pkg", plat, "mac")
        yield _title(f"{bundle}.pkg", None, None, "pkg-receipt", plat, "mac")
    for n in itertools.count():
        vendor = VENDORS[n % len(VENDORS)]
        word = MAC_WORDS[n // len(VENDORS) % len(MAC_WORDS)]
        suffix = "" if n < len(VENDORS) * len(MAC_WORDS) else f" {n // (len(VENDORS) * len(MAC_WORDS)) + 1}"
        yield _title(f"{vendor} {word}{suffix}", f"{vendor} GmbH" if n % 2 else f"{vendor} Inc.", arch_of[n % 3], "pkg", plat, "mac")
        yield _title(f"com.{vendor.lower()}.pkg.{word.replace(' ', '')}{suffix.strip()}", None, None, "pkg-receipt", plat, "macbuild")


def slots(platform: str) -> Iterator[Slot]:
    """The platform's slots, the most common first (endless: the tail is cut where the count says)."""
    return {"debian": _debian_slots, "rhel": _rhel_slots, "windows": _windows_slots, "macos": _macos_slots}[platform]()
