"""The shipped catalogue on real titles: dpkg on this machine, rpm, Windows Uninstall entries, macOS bundles.

Each fixture line is what an agent sends (name, version, publisher, source); the table says what it
must normalise to: "publisher | product | edition", "-" for an ignore rule (OS parts, patches,
drivers), None for uncovered; and the major version.
"""

from pathlib import Path

import pytest

from collector.sam.catalogue import CatalogueError, load_catalogue, shipped_catalogue
from collector.sam.matching import RuleIndex, branch_prefixes
from collector.sam.versions import major_version, version_key

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sam"
SOURCES = {"dpkg-query.tsv": "dpkg", "dpkg-thirdparty.tsv": "dpkg", "rpm-qa.tsv": "rpm"}

EXPECTED = [
    # dpkg-query.tsv
    ('dpkg-query.tsv', 'adduser', '-', None),
    ('dpkg-query.tsv', 'base-files', 'Debian | Debian GNU/Linux', '12'),
    ('dpkg-query.tsv', 'bash', '-', None),
    ('dpkg-query.tsv', 'ca-certificates-java', '-', None),
    ('dpkg-query.tsv', 'chromium', 'Chromium | Chromium', '156'),
    ('dpkg-query.tsv', 'chromium-common', 'Chromium | Chromium', '156'),
    ('dpkg-query.tsv', 'coreutils', '-', None),
    ('dpkg-query.tsv', 'cscope', None, None),
    ('dpkg-query.tsv', 'file', None, None),
    ('dpkg-query.tsv', 'git', 'Git | Git', '2'),
    ('dpkg-query.tsv', 'git-man', 'Git | Git', '2'),
    ('dpkg-query.tsv', 'google-cloud-cli', None, None),
    ('dpkg-query.tsv', 'kubectl', None, None),
    ('dpkg-query.tsv', 'libc6', '-', None),
    ('dpkg-query.tsv', 'libcrypt1', '-', None),
    ('dpkg-query.tsv', 'libpython3.11-stdlib', 'Python Software Foundation | Python', '3'),
    ('dpkg-query.tsv', 'mariadb-server', 'MariaDB | MariaDB Server', '10'),
    ('dpkg-query.tsv', 'nodejs', 'OpenJS Foundation | Node.js', '20'),
    ('dpkg-query.tsv', 'openjdk-17-jdk', 'OpenJDK | OpenJDK', '17'),
    ('dpkg-query.tsv', 'openjdk-17-jre', 'OpenJDK | OpenJDK', '17'),
    ('dpkg-query.tsv', 'openjdk-17-jre-headless', 'OpenJDK | OpenJDK', '17'),
    ('dpkg-query.tsv', 'openssh-client', 'OpenBSD | OpenSSH', '9'),
    ('dpkg-query.tsv', 'postgresql', 'PostgreSQL | PostgreSQL', '15'),
    ('dpkg-query.tsv', 'postgresql-15', 'PostgreSQL | PostgreSQL', '15'),
    ('dpkg-query.tsv', 'postgresql-client-15', 'PostgreSQL | PostgreSQL', '15'),
    ('dpkg-query.tsv', 'postgresql-contrib', 'PostgreSQL | PostgreSQL', '15'),
    ('dpkg-query.tsv', 'python3', 'Python Software Foundation | Python', '3'),
    ('dpkg-query.tsv', 'python3.11', 'Python Software Foundation | Python', '3'),
    ('dpkg-query.tsv', 'tzdata', '-', None),
    ('dpkg-query.tsv', 'xz-utils', None, None),
    # dpkg-thirdparty.tsv
    ('dpkg-thirdparty.tsv', 'libreoffice-core', 'The Document Foundation | LibreOffice', '7'),
    ('dpkg-thirdparty.tsv', 'libreoffice-writer', 'The Document Foundation | LibreOffice', '7'),
    ('dpkg-thirdparty.tsv', 'libreoffice-calc', 'The Document Foundation | LibreOffice', '7'),
    ('dpkg-thirdparty.tsv', 'libreoffice-common', 'The Document Foundation | LibreOffice', '7'),
    ('dpkg-thirdparty.tsv', 'libreoffice-help-en-us', 'The Document Foundation | LibreOffice', '7'),
    ('dpkg-thirdparty.tsv', 'firefox-esr', 'Mozilla | Firefox', '115'),
    ('dpkg-thirdparty.tsv', 'google-chrome-stable', 'Google | Chrome', '120'),
    ('dpkg-thirdparty.tsv', 'code', 'Microsoft | Visual Studio Code', '1'),
    ('dpkg-thirdparty.tsv', 'mssql-server', 'Microsoft | SQL Server', '2022'),
    ('dpkg-thirdparty.tsv', 'vlc', 'VideoLAN | VLC', '3'),
    # rpm-qa.tsv
    ('rpm-qa.tsv', 'libreoffice-core', 'The Document Foundation | LibreOffice', '7'),
    ('rpm-qa.tsv', 'libreoffice-writer', 'The Document Foundation | LibreOffice', '7'),
    ('rpm-qa.tsv', 'java-17-openjdk-headless', 'OpenJDK | OpenJDK', '17'),
    ('rpm-qa.tsv', 'java-1.8.0-openjdk-headless', 'OpenJDK | OpenJDK', '8'),
    ('rpm-qa.tsv', 'jdk-17', 'Oracle | Java SE | JDK', '17'),
    ('rpm-qa.tsv', 'jdk1.8', 'Oracle | Java SE | JDK', '8'),
    ('rpm-qa.tsv', 'oracle-database-ee-19c', 'Oracle | Database | Enterprise Edition', '19'),
    ('rpm-qa.tsv', 'oracle-database-preinstall-19c', '-', None),
    ('rpm-qa.tsv', 'redhat-release', 'Red Hat | Red Hat Enterprise Linux', '9'),
    ('rpm-qa.tsv', 'bash', '-', None),
    ('rpm-qa.tsv', 'firefox', 'Mozilla | Firefox', '115'),
    ('rpm-qa.tsv', 'google-chrome-stable', 'Google | Chrome', '124'),
    ('rpm-qa.tsv', 'postgresql16-server', 'PostgreSQL | PostgreSQL', '16'),
    ('rpm-qa.tsv', 'gpg-pubkey', '-', None),
    # windows-uninstall.tsv
    ('windows-uninstall.tsv', 'Microsoft Office Professional Plus 2019 - en-us', 'Microsoft | Office | Professional Plus', '2019'),
    ('windows-uninstall.tsv', 'Microsoft Office Professionnel Plus 2016', 'Microsoft | Office | Professional Plus', '2016'),
    ('windows-uninstall.tsv', 'Microsoft Office LTSC Professional Plus 2021 - en-us', 'Microsoft | Office | Professional Plus', '2021'),
    ('windows-uninstall.tsv', 'Microsoft Office Standard 2016', 'Microsoft | Office | Standard', '2016'),
    ('windows-uninstall.tsv', 'Microsoft 365 Apps for enterprise - en-us', 'Microsoft | Microsoft 365 Apps | for enterprise', '16'),
    ('windows-uninstall.tsv', 'Microsoft Visio Professional 2019 - en-us', 'Microsoft | Visio | Professional', '2019'),
    ('windows-uninstall.tsv', 'Microsoft Project Standard 2016', 'Microsoft | Project | Standard', '2016'),
    ('windows-uninstall.tsv', 'Microsoft SQL Server 2019 (64-bit)', 'Microsoft | SQL Server', '2019'),
    ('windows-uninstall.tsv', 'Microsoft SQL Server 2019 Express LocalDB', 'Microsoft | SQL Server | Express LocalDB', '2019'),
    ('windows-uninstall.tsv', 'Microsoft SQL Server Management Studio - 19.1', 'Microsoft | SQL Server Management Studio', '19'),
    ('windows-uninstall.tsv', 'Microsoft ODBC Driver 17 for SQL Server', '-', None),
    ('windows-uninstall.tsv', 'Security Update for Microsoft Office 2016 (KB5002520) 64-Bit Edition', '-', None),
    ('windows-uninstall.tsv', 'Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33135', 'Microsoft | Visual C++ Redistributable', '14'),
    ('windows-uninstall.tsv', 'Microsoft Visual Studio Code', 'Microsoft | Visual Studio Code', '1'),
    ('windows-uninstall.tsv', 'Visual Studio Professional 2022', 'Microsoft | Visual Studio | Professional', '2022'),
    ('windows-uninstall.tsv', 'Adobe Acrobat DC (64-bit)', 'Adobe | Acrobat', 'DC'),
    ('windows-uninstall.tsv', 'Adobe Acrobat Reader DC', 'Adobe | Acrobat Reader', '23'),
    ('windows-uninstall.tsv', 'Adobe Acrobat Reader - English', 'Adobe | Acrobat Reader', '24'),
    ('windows-uninstall.tsv', 'Adobe Acrobat 2020', 'Adobe | Acrobat', '2020'),
    ('windows-uninstall.tsv', 'Adobe Photoshop 2024', 'Adobe | Photoshop', '2024'),
    ('windows-uninstall.tsv', 'Adobe Photoshop Elements 2023', 'Adobe | Photoshop Elements', '2023'),
    ('windows-uninstall.tsv', 'Adobe Illustrator 2024', 'Adobe | Illustrator', '2024'),
    ('windows-uninstall.tsv', 'Adobe Creative Cloud', 'Adobe | Creative Cloud Desktop', '6'),
    ('windows-uninstall.tsv', 'AutoCAD 2024 - English', 'Autodesk | AutoCAD', '2024'),
    ('windows-uninstall.tsv', 'AutoCAD LT 2024 - English', 'Autodesk | AutoCAD LT', '2024'),
    ('windows-uninstall.tsv', 'Revit 2024', 'Autodesk | Revit', '2024'),
    ('windows-uninstall.tsv', 'Autodesk Inventor Professional 2024', 'Autodesk | Inventor | Professional', '2024'),
    ('windows-uninstall.tsv', 'Autodesk Material Library 2024', '-', None),
    ('windows-uninstall.tsv', 'Java 8 Update 381 (64-bit)', 'Oracle | Java SE | JRE', '8'),
    ('windows-uninstall.tsv', 'Java(TM) SE Development Kit 17.0.8 (64-bit)', 'Oracle | Java SE | JDK', '17'),
    ('windows-uninstall.tsv', 'Eclipse Temurin JDK with Hotspot 17.0.8.1+1 (x64)', 'OpenJDK | OpenJDK', '17'),
    ('windows-uninstall.tsv', 'VMware Workstation', 'VMware | Workstation', '17'),
    ('windows-uninstall.tsv', 'VMware Tools', 'VMware | Tools', '12'),
    ('windows-uninstall.tsv', 'IntelliJ IDEA 2023.3.2', 'JetBrains | IntelliJ IDEA | Ultimate', '2023'),
    ('windows-uninstall.tsv', 'IntelliJ IDEA Community Edition 2023.3.2', 'JetBrains | IntelliJ IDEA | Community', '2023'),
    ('windows-uninstall.tsv', 'PyCharm Community Edition 2023.3.2', 'JetBrains | PyCharm | Community', '2023'),
    ('windows-uninstall.tsv', 'PyCharm 2023.3.2', 'JetBrains | PyCharm | Professional', '2023'),
    ('windows-uninstall.tsv', 'Tableau 2023.3 (20233.23.1017.0948)', 'Tableau | Tableau Desktop', '2023'),
    ('windows-uninstall.tsv', 'Zoom Workplace', 'Zoom | Zoom Workplace', '6'),
    ('windows-uninstall.tsv', 'Zoom', 'Zoom | Zoom Workplace', '5'),
    ('windows-uninstall.tsv', 'Mozilla Firefox (x64 en-US)', 'Mozilla | Firefox', '121'),
    ('windows-uninstall.tsv', 'Google Chrome', 'Google | Chrome', '120'),
    ('windows-uninstall.tsv', 'LibreOffice 7.6.4.1', 'The Document Foundation | LibreOffice', '7'),
    ('windows-uninstall.tsv', '7-Zip 23.01 (x64)', 'Igor Pavlov | 7-Zip', '23'),
    ('windows-uninstall.tsv', 'VLC media player', 'VideoLAN | VLC', '3'),
    ('windows-uninstall.tsv', 'Git', 'Git | Git', '2'),
    ('windows-uninstall.tsv', 'Python 3.12.1 (64-bit)', 'Python Software Foundation | Python', '3'),
    ('windows-uninstall.tsv', 'Notepad++ (64-bit x64)', 'Notepad++ | Notepad++', '8'),
    ('windows-uninstall.tsv', 'PostgreSQL 16', 'PostgreSQL | PostgreSQL', '16'),
    ('windows-uninstall.tsv', 'Jira Software 9.12.2', 'Atlassian | Jira Software', '9'),
    ('windows-uninstall.tsv', 'Confluence 8.5.4', 'Atlassian | Confluence', '8'),
    ('windows-uninstall.tsv', 'NVIDIA Graphics Driver 546.33', '-', None),
    ('windows-uninstall.tsv', 'Some Unknown Tool 1.0', None, None),
    # macos-apps.tsv
    ('macos-apps.tsv', 'Microsoft Word', 'Microsoft | Word', '16'),
    ('macos-apps.tsv', 'Microsoft Excel', 'Microsoft | Excel', '16'),
    ('macos-apps.tsv', 'Microsoft Outlook', 'Microsoft | Outlook', '16'),
    ('macos-apps.tsv', 'com.microsoft.package.Microsoft_Word.app', 'Microsoft | Word', '16'),
    ('macos-apps.tsv', 'com.microsoft.package.Microsoft_AutoUpdate.app', '-', None),
    ('macos-apps.tsv', 'Adobe Acrobat Reader', 'Adobe | Acrobat Reader', '23'),
    ('macos-apps.tsv', 'Adobe Photoshop 2024', 'Adobe | Photoshop', '2024'),
    ('macos-apps.tsv', 'IntelliJ IDEA CE', 'JetBrains | IntelliJ IDEA | Community', '2023'),
    ('macos-apps.tsv', 'PyCharm', 'JetBrains | PyCharm | Professional', '2023'),
    ('macos-apps.tsv', 'VMware Fusion', 'VMware | Fusion', '13'),
    ('macos-apps.tsv', 'zoom.us', 'Zoom | Zoom Workplace', '5'),
    ('macos-apps.tsv', 'Firefox', 'Mozilla | Firefox', '121'),
    ('macos-apps.tsv', 'Google Chrome', 'Google | Chrome', '120'),
    ('macos-apps.tsv', 'Safari', '-', None),
    ('macos-apps.tsv', 'com.oracle.jdk-17.0.8', 'Oracle | Java SE | JDK', '17'),
    ('macos-apps.tsv', 'Tableau Desktop 2023.3', 'Tableau | Tableau Desktop', '2023'),
    ('macos-apps.tsv', 'Visual Studio Code', 'Microsoft | Visual Studio Code', '1'),]


def _titles(fixture: str) -> dict[str, tuple]:
    """name → (name, version, publisher, source), stripped as the agents strip them."""
    titles = {}
    for line in (FIXTURES / fixture).read_text(encoding="utf-8").splitlines():
        parts = [part.strip() for part in line.split("\t")]
        titles[parts[0]] = (parts[0], parts[1] or None, parts[2] or None, SOURCES.get(fixture) or parts[3])
    return titles


@pytest.fixture(scope="module")
def index():
    return RuleIndex(list(shipped_catalogue().rules))


@pytest.mark.parametrize("fixture,name,expected,major", EXPECTED, ids=[f"{f}:{n}" for f, n, _, _ in EXPECTED])
def test_real_titles_normalise_as_expected(index, fixture, name, expected, major):
    match = index.match(*_titles(fixture)[name])
    if expected is None:
        assert match is None
        return
    assert match is not None, f"{name} is not covered"
    if expected == "-":
        assert match.product is None, f"{name} should be ignored, got {match}"
        return
    assert " | ".join(p for p in (match.publisher, match.product, match.edition) if p) == expected
    assert match.major_version == major


def test_every_fixture_line_has_an_expected_answer():
    listed = {(f, n) for f, n, _, _ in EXPECTED}
    for fixture in ("dpkg-query.tsv", "dpkg-thirdparty.tsv", "rpm-qa.tsv", "windows-uninstall.tsv", "macos-apps.tsv"):
        assert {(fixture, name) for name in _titles(fixture)} <= listed


def test_oracle_java_is_licensable_and_openjdk_free():
    products = shipped_catalogue().products
    assert products[("Oracle", "Java SE")].attributes("JRE")[:2] == ("commercial", True)
    assert products[("OpenJDK", "OpenJDK")].attributes("")[:2] == ("free", False)
    assert products[("JetBrains", "IntelliJ IDEA")].attributes("Community")[:2] == ("free", False)
    assert products[("JetBrains", "IntelliJ IDEA")].attributes("Ultimate")[:2] == ("commercial", True)
    assert "processor_core" in products[("Microsoft", "SQL Server")].metrics
    assert set(shipped_catalogue().suites[("Microsoft", "Office")]) >= {"Word", "Excel", "PowerPoint", "Outlook"}


@pytest.mark.parametrize("raw,major", [("16.0.17126.20132", "16"), ("1:7.5.8-2", "7"), ("v2.3", "2"),
                                       ("2019", "2019"), ("", None), (None, None), ("esr", None)])
def test_major_version(raw, major):
    assert major_version(raw) == major


def test_version_key_orders_numbers_as_numbers():
    assert version_key("9") < version_key("10") and version_key("2016") < version_key("2019")
    assert version_key("16.0.1") < version_key("16.0.10") and version_key("1:7.4") == version_key("7.4")
    assert version_key(None) < version_key("1") and version_key("1.0") < version_key("1.0a")


def test_regex_rules_are_bucketed_by_their_literal_prefixes():
    assert branch_prefixes("^(?:Autodesk )?AutoCAD LT") == ["autodesk autocad lt", "autocad lt"]
    assert branch_prefixes("^abc|^xyz") == ["abc", "xyz"]
    assert branch_prefixes("foo|^bar") == ["", "bar"]
    assert branch_prefixes("^ab?c") == ["a"]


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "family.toml"
    path.write_text(text, encoding="utf-8")
    return path


PRODUCT = '[[product]]\npublisher = "Acme"\nname = "Widget"\n'


@pytest.mark.parametrize("body,field,reason", [
    ('[[rule]]\nid = "a"\nname_regex = "^Widget("\npublisher = "Acme"\nproduct = "Widget"\n',
     "family.toml: rule a: name_regex", "bad regular expression"),
    ('[[rule]]\nid = "a"\nname = "Widget"\npublisher = "Acme"\nproduct = "Widget"\ncolour = "red"\n',
     "family.toml: rule a: colour", "unknown key"),
    ('[[rule]]\nid = "a"\nname = "Widget"\npublisher = "Acme"\n', "family.toml: rule a: product", "required"),
    ('[[rule]]\nid = "a"\nname = "Widget"\npublisher = "Acme"\nproduct = "Widget"\n'
     '[[rule]]\nid = "a"\nname = "W2"\npublisher = "Acme"\nproduct = "Widget"\n', "family.toml: rule a: id", "duplicate"),
    ('[[rule]]\nid = "a"\nname = "Widget"\npublisher = "Acme"\nproduct = "Gadget"\n',
     "family.toml: rule a: product", "not a declared [[product]]"),
    ('[[rule]]\nid = "a"\nname_regex = "^W"\npublisher = "Acme"\nproduct = "Widget"\nedition = "{ed}"\n',
     "family.toml: rule a: edition", "not a named group"),
    ('[[rule]]\nid = "a"\nname = "W"\nsources = ["floppy"]\npublisher = "Acme"\nproduct = "Widget"\n',
     "family.toml: rule a: sources", "unknown source 'floppy'"),
])
def test_a_bad_catalogue_file_names_file_rule_and_reason(tmp_path, body, field, reason):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue([_write(tmp_path, PRODUCT + body)])
    assert any(f.field == field and reason in f.message for f in caught.value.fields), caught.value.fields


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue([_write(tmp_path, "[[rule]\n")])
    assert caught.value.fields[0].field == "family.toml" and "not valid TOML" in caught.value.fields[0].message


def test_first_matching_rule_wins(tmp_path):
    catalogue = load_catalogue([_write(tmp_path, PRODUCT + '[[product]]\npublisher = "Acme"\nname = "Other"\n'
                                       '[[rule]]\nid = "exact-late"\nname_regex = "^Widget Pro"\npublisher = "Acme"\n'
                                       'product = "Other"\n'
                                       '[[rule]]\nid = "exact"\nname = "Widget Pro"\npublisher = "Acme"\nproduct = "Widget"\n')])
    assert RuleIndex(list(catalogue.rules)).match("Widget Pro", "1", None, "dpkg").rule_id == "exact-late"


def _agent_titles() -> list[dict]:
    """The agents' own parsers on their captured fixtures: exactly what the collector stores."""
    from agent.probes.software.macos import parse_pkgutil_pkgs, parse_system_profiler_apps, read_receipts
    from agent.probes.software.windows import parse_reg_export, uninstall_entries

    root = FIXTURES.parent
    items = [item for path in sorted((root / "windows").glob("*.reg"))
             for item in uninstall_entries(parse_reg_export(path.read_bytes()))]
    items += parse_system_profiler_apps((root / "macos" / "system_profiler-applications.json").read_text())
    return items + read_receipts(parse_pkgutil_pkgs((root / "macos" / "pkgutil-pkgs.txt").read_text()),
                                 str(root / "macos" / "receipts"))


AGENT_EXPECTED = {  # (name, source) → (product, edition, major) or "-" (ignored) or None (uncovered)
    ("Microsoft Office Professionnel Plus 2016", "registry"): ("Office", "Professional Plus", "2016"),
    ("Zoom Workplace", "registry"): ("Zoom Workplace", "", "6"),
    ("7-Zip 23.01 (x64)", "registry"): ("7-Zip", "", "23"),
    ("Adobe Acrobat Reader", "msi"): ("Acrobat Reader", "", "24"),
    ("Microsoft Visual Studio Code (User)", "registry"): ("Visual Studio Code", "", "1"),
    ("Microsoft Word", "pkg"): ("Word", "", "16"),
    ("com.microsoft.package.Microsoft_Word.app", "pkg-receipt"): ("Word", "", "16"),
    ("us.zoom.pkg.videomeeting", "pkg-receipt"): ("Zoom Workplace", "", "6"),
    ("org.python.Python.PythonFramework-3.12", "pkg-receipt"): ("Python", "", "3"),
    ("Safari", "pkg"): "-",
    ("com.microsoft.package.Microsoft_AutoUpdate.app", "pkg-receipt"): "-",
    ("com.apple.files.data-template", "pkg-receipt"): "-",
    ("Steam", "registry"): None,
    ("com.paloaltonetworks.globalprotect.pkg", "pkg-receipt"): None,
}


def test_titles_as_the_agents_parse_them_from_their_fixtures(index):
    seen = {}
    for item in _agent_titles():
        match = index.match(item["name"], item.get("version"), item.get("publisher"), item["source"])
        seen[(item["name"], item["source"])] = (None if match is None else "-" if match.product is None
                                                else (match.product, match.edition, match.major_version))
    assert {key: seen[key] for key in AGENT_EXPECTED} == AGENT_EXPECTED


def _first_match_by_scanning(rules, name, publisher, source):
    """The definition of first-match-wins, without the index: every rule in order."""
    for rule in rules:
        if rule.sources is not None and source not in rule.sources:
            continue
        if rule.publisher_regex is not None and not rule.publisher_regex.search(publisher or ""):
            continue
        if (rule.name == name.casefold()) if rule.name is not None else bool(rule.name_regex.search(name)):
            return rule.id
    return None


def test_the_index_finds_what_scanning_every_rule_in_order_finds(index):
    rules = sorted(shipped_catalogue().rules, key=lambda r: r.order)
    titles = [t for fixture in ("dpkg-query.tsv", "dpkg-thirdparty.tsv", "rpm-qa.tsv", "windows-uninstall.tsv",
                                "macos-apps.tsv") for t in _titles(fixture).values()]
    titles += [(i["name"], i.get("version"), i.get("publisher"), i["source"]) for i in _agent_titles()]
    titles += [(name.upper(), "1", publisher, source) for name, _, publisher, source in titles]  # case-insensitive
    for name, version, publisher, source in titles:
        found = index.match(name, version, publisher, source)
        assert (found.rule_id if found else None) == _first_match_by_scanning(rules, name, publisher, source), name
