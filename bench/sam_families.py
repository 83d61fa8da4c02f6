"""The software families audits are about, as the fleet installs them, for bench/sam.py.

A family is installed on a share of the hosts of each role (Office on 90% of Windows
workstations and 60% of Macs, SQL Server on 30% of Windows servers, ...), as one *bundle*
of raw titles per install: an MSI Office 2016 lists its proofing tools and MUI packs beside
the suite, SQL Server its engine, shared files and setup. Free look-alikes (Acrobat Reader,
PyCharm Community, OpenJDK, SQL Server LocalDB, Tableau Reader) are families too, so the
normaliser has to tell them apart. ``executables`` are what the agent's usage probe would
report running (agent/probes/usage.py), for the reclaim figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.sam_titles import Title

__all__ = ["FAMILIES", "ROLES", "Family"]

# Host roles (bench/sam_fleet.py assigns them) and the platform each runs.
ROLES = {"win_ws": "windows", "win_srv": "windows", "mac": "macos", "debian_ws": "debian", "debian_srv": "debian",
         "rhel_srv": "rhel"}
MS, ADOBE, JB, ORACLE = "Microsoft Corporation", "Adobe Inc.", "JetBrains s.r.o.", "Oracle Corporation"


@dataclass(frozen=True)
class Family:
    key: str
    licensable: bool
    shares: dict[str, float]  # role (or "vm_windows": Windows VMs) -> share of those hosts
    bundles: dict[str, list[tuple[float, list[Title]]]]  # platform -> (weight, titles installed together)
    executables: dict[str, list[str]]  # platform -> program paths the usage probe reports


def _w(name, version, publisher=MS, arch="x64", source="registry") -> Title:
    return Title(name, version, publisher, arch, source, "windows")


def _m(name, version, publisher, source="pkg", arch="universal") -> Title:
    return Title(name, version, publisher if source == "pkg" else None, arch if source == "pkg" else None, source, "macos")


def _d(name, version, publisher, arch="amd64", source="dpkg") -> Title:
    return Title(name, version, publisher, arch, source, "debian")


def _r(name, version, publisher=ORACLE, arch="x86_64") -> Title:
    return Title(name, version, publisher, arch, "rpm", "rhel")


def _office_2016_msi(lang: str) -> list[Title]:
    parts = ["Microsoft Office Professional Plus 2016", f"Microsoft Office Proofing ({lang}) 2016",
             f"Microsoft Office Shared Setup Metadata MUI ({lang}) 2016", f"Microsoft Office OSM MUI ({lang}) 2016",
             "Microsoft Office 32-bit Components 2016", f"Microsoft Office Proofing Tools 2016 - {lang}"]
    updates = [f"Security Update for Microsoft Office 2016 (KB{kb}) 32-Bit Edition" for kb in (5002520, 5002519, 5002469)]
    return [_w(p, "16.0.4266.1001", arch="x86", source="msi") for p in parts] + \
        [_w(u, None, arch="x86", source="msi") for u in updates]


def _sql_server(year: str, build: str) -> list[Title]:
    parts = [f"Microsoft SQL Server {year} (64-bit)", f"SQL Server {year} Database Engine Services",
             f"SQL Server {year} Database Engine Shared", f"SQL Server {year} Common Files",
             f"Microsoft SQL Server {year} Setup (English)", f"SQL Server {year} Connection Info",
             f"Microsoft SQL Server {year} T-SQL Language Service "]
    return [_w(p.strip(), None if n == 0 else build, source="registry" if n == 0 else "msi") for n, p in enumerate(parts)]


def _mac_office(version: str) -> list[Title]:
    apps = ("Microsoft Word", "Microsoft Excel", "Microsoft PowerPoint", "Microsoft Outlook", "Microsoft OneNote")
    return [_m(a, version, MS) for a in apps] + [_m(f"com.microsoft.package.{a.replace(' ', '_')}.app", version, None,
                                                    source="pkg-receipt") for a in apps[:3]]


FAMILIES = (
    Family("office", True, {"win_ws": 0.90, "mac": 0.60}, {
        "windows": [(0.15, [_w("Microsoft 365 Apps for enterprise - en-us", "16.0.17126.20132")]),
                    (0.15, [_w("Microsoft 365 Apps for enterprise - en-us", "16.0.17029.20108")]),
                    (0.1, [_w("Microsoft 365 Apps for enterprise - de-de", "16.0.17126.20132")]),
                    (0.25, [_w("Microsoft Office Professional Plus 2019 - en-us", "16.0.10405.20015")]),
                    (0.15, _office_2016_msi("English")), (0.05, _office_2016_msi("German")),
                    (0.1, [_w("Microsoft Office Standard 2019 - en-us", "16.0.10406.20006")]),
                    (0.05, [_w("Microsoft Office LTSC Professional Plus 2021 - de-de", "16.0.14332.20615")])],
        "macos": [(0.5, _mac_office("16.80")), (0.5, _mac_office("16.78.3"))]},
        {"windows": [r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
                     r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE",
                     r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE"],
         "macos": ["/Applications/Microsoft Word.app/Contents/MacOS/Microsoft Word",
                   "/Applications/Microsoft Outlook.app/Contents/MacOS/Microsoft Outlook"]}),
    Family("visio", True, {"win_ws": 0.08}, {"windows": [
        (0.5, [_w("Microsoft Visio Professional 2019 - en-us", "16.0.10405.20015")]),
        (0.3, [_w("Microsoft Visio Standard 2016", "16.0.4266.1001", arch="x86", source="msi")]),
        (0.2, [_w("Microsoft Visio - en-us", "16.0.17126.20132")])]},
        {"windows": [r"C:\Program Files\Microsoft Office\root\Office16\VISIO.EXE"]}),
    Family("project", True, {"win_ws": 0.04}, {"windows": [
        (0.6, [_w("Microsoft Project Professional 2021 - en-us", "16.0.14332.20615")]),
        (0.4, [_w("Microsoft Project Standard 2016", "16.0.4266.1001", arch="x86", source="msi")])]},
        {"windows": [r"C:\Program Files\Microsoft Office\root\Office16\WINPROJ.EXE"]}),
    Family("sql_server", True, {"win_srv": 0.30, "win_ws": 0.005}, {"windows": [
        (0.45, _sql_server("2019", "15.0.2000.5")), (0.25, _sql_server("2017", "14.0.1000.169")),
        (0.2, _sql_server("2022", "16.0.1000.6")), (0.1, _sql_server("2016", "13.2.5026.0"))]},
        {"windows": [r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe"]}),
    Family("sql_localdb", False, {"win_ws": 0.05}, {"windows": [
        (0.7, [_w("Microsoft SQL Server 2019 LocalDB ", "15.0.4153.1", source="msi")]),
        (0.3, [_w("Microsoft SQL Server 2016 Express LocalDB", "13.1.4001.0", source="msi")])]}, {}),
    Family("acrobat_pro", True, {"win_ws": 0.28, "mac": 0.30}, {
        "windows": [(0.8, [_w("Adobe Acrobat DC (64-bit)", "23.006.20380", ADOBE, source="msi")]),
                    (0.2, [_w("Adobe Acrobat 2020", "20.005.30524", ADOBE, arch="x86", source="msi")])],
        "macos": [(1.0, [_m("Adobe Acrobat", "23.006.20380", ADOBE),
                         _m("com.adobe.acrobat.DC.viewer.app.pkg.MUI", "23.006.20380", None, source="pkg-receipt")])]},
        {"windows": [r"C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe"],
         "macos": ["/Applications/Adobe Acrobat DC/Adobe Acrobat.app/Contents/MacOS/AdobeAcrobat"]}),
    Family("acrobat_reader", False, {"win_ws": 0.55, "mac": 0.30}, {
        "windows": [(0.6, [_w("Adobe Acrobat Reader DC - English", "23.006.20360", ADOBE, arch="x86", source="msi")]),
                    (0.4, [_w("Adobe Acrobat Reader (64-bit)", "23.008.20421", ADOBE, source="msi")])],
        "macos": [(1.0, [_m("Adobe Acrobat Reader", "23.008.20421", ADOBE)])]}, {}),
    Family("creative_cloud", True, {"win_ws": 0.04, "mac": 0.25}, {
        "windows": [(1.0, [_w("Adobe Creative Cloud", "6.1.0.587", ADOBE), _w("Adobe Photoshop 2024", "25.3.1", ADOBE),
                           _w("Adobe Illustrator 2024", "28.2", ADOBE)])],
        "macos": [(0.6, [_m("Adobe Creative Cloud", "6.1.0.587", ADOBE), _m("Adobe Photoshop 2024", "25.3.1", ADOBE),
                         _m("Adobe InDesign 2024", "19.2", ADOBE)]),
                  (0.4, [_m("Adobe Creative Cloud", "6.0.0.571", ADOBE), _m("Adobe Premiere Pro 2024", "24.1", ADOBE)])]},
        {"windows": [r"C:\Program Files\Adobe\Adobe Photoshop 2024\Photoshop.exe"],
         "macos": ["/Applications/Adobe Photoshop 2024/Adobe Photoshop 2024.app/Contents/MacOS/Adobe Photoshop 2024"]}),
    Family("autocad", True, {"win_ws": 0.02}, {"windows": [
        (0.6, [_w("AutoCAD 2024 - English", "24.3.61.0", "Autodesk", source="msi"),
               _w("Autodesk Genuine Service", "4.1.2.25", "Autodesk", arch="x86", source="msi")]),
        (0.4, [_w("AutoCAD LT 2023 - English", "24.2.60.0", "Autodesk", source="msi")])]},
        {"windows": [r"C:\Program Files\Autodesk\AutoCAD 2024\acad.exe"]}),
    Family("jetbrains", True, {"win_ws": 0.05, "mac": 0.15, "debian_ws": 0.10}, {
        "windows": [(0.5, [_w("IntelliJ IDEA 2023.2.5", "232.10227.8", JB, source="registry")]),
                    (0.3, [_w("PyCharm 2023.3.2", "233.13135.95", JB)]), (0.2, [_w("Rider 2023.3.2", "233.13135.103", JB)])],
        "macos": [(0.6, [_m("IntelliJ IDEA", "2023.3.2", JB)]), (0.4, [_m("PyCharm", "2023.3.2", JB)])],
        "debian": [(0.6, [_d("intellij-idea-ultimate", "2023.3.2", "jetbrains", arch=None, source="snap")]),
                   (0.4, [_d("pycharm-professional", "2023.3.2", "jetbrains", arch=None, source="snap")])]},
        {"windows": [r"C:\Program Files\JetBrains\IntelliJ IDEA 2023.2.5\bin\idea64.exe"],
         "macos": ["/Applications/IntelliJ IDEA.app/Contents/MacOS/idea"],
         "debian": ["/snap/intellij-idea-ultimate/475/bin/idea.sh"]}),
    Family("pycharm_community", False, {"win_ws": 0.05, "debian_ws": 0.15}, {
        "windows": [(1.0, [_w("PyCharm Community Edition 2023.3.2", "233.13135.95", JB)])],
        "debian": [(1.0, [_d("pycharm-community", "2023.3.2", "jetbrains", arch=None, source="snap")])]}, {}),
    Family("java_se", True, {"win_ws": 0.42, "win_srv": 0.30, "rhel_srv": 0.30}, {
        "windows": [(0.4, [_w("Java 8 Update 381", "8.0.3810.9", ORACLE, arch="x86")]),
                    (0.2, [_w("Java 8 Update 381 (64-bit)", "8.0.3810.9", ORACLE)]),
                    (0.15, [_w("Java 8 Update 202", "8.0.2020.8", ORACLE, arch="x86")]),
                    (0.25, [_w("Java(TM) SE Development Kit 17.0.9 (64-bit)", "17.0.9.0", ORACLE)])],
        "rhel": [(0.6, [_r("jdk-17", "2000:17.0.9-ga")]), (0.4, [_r("jre1.8", "2000:1.8.0_381-fcs")])]},
        {"windows": [r"C:\Program Files (x86)\Java\jre1.8.0_381\bin\javaw.exe"],
         "rhel": ["/usr/lib/jvm/jdk-17-oracle-x64/bin/java"]}),
    Family("openjdk", False, {"debian_ws": 0.5, "debian_srv": 0.5, "win_ws": 0.08}, {
        "debian": [(1.0, [_d("openjdk-17-jre-headless", "17.0.9+9-1~deb12u1", "OpenJDK Team <openjdk@lists.launchpad.net>"),
                          _d("openjdk-17-jre", "17.0.9+9-1~deb12u1", "OpenJDK Team <openjdk@lists.launchpad.net>")])],
        "windows": [(1.0, [_w("Eclipse Temurin JDK with Hotspot 17.0.9+9 (x64)", "17.0.9.9", "Eclipse Adoptium", source="msi")])]}, {}),
    Family("oracle_db", True, {"rhel_srv": 0.20}, {"rhel": [(1.0, [_r("oracle-database-ee-19c", "1.0-1")])]},
           {"rhel": ["/opt/oracle/product/19c/dbhome_1/bin/oracle"]}),
    Family("oracle_instantclient", False, {"rhel_srv": 0.30, "debian_srv": 0.05}, {
        "rhel": [(1.0, [_r("oracle-instantclient-basic", "21.12.0.0.0-1")])],
        "debian": [(1.0, [_d("oracle-instantclient-basic", "21.12.0.0.0-2", "Oracle <oracle@example.invalid>")])]}, {}),
    Family("vmware_tools", False, {"vm_windows": 0.95}, {"windows": [
        (0.7, [_w("VMware Tools", "12.3.5.22544099", "VMware, Inc.", source="msi")]),
        (0.3, [_w("VMware Tools", "12.1.5.20735119", "VMware, Inc.", source="msi")])]}, {}),
    Family("vmware_desktop", True, {"win_ws": 0.02, "mac": 0.05}, {
        "windows": [(1.0, [_w("VMware Workstation", "17.5.0", "VMware, Inc.", source="msi")])],
        "macos": [(1.0, [_m("VMware Fusion", "13.5.0", "VMware, Inc.")])]},
        {"windows": [r"C:\Program Files (x86)\VMware\VMware Workstation\vmware.exe"]}),
    Family("tableau", True, {"win_ws": 0.01}, {"windows": [
        (1.0, [_w("Tableau 2023.3 (20233.23.1017.0948)", "23.3.1017", "Tableau Software", source="msi")])]},
        {"windows": [r"C:\Program Files\Tableau\Tableau 2023.3\bin\tableau.exe"]}),
    Family("tableau_reader", False, {"win_ws": 0.02}, {"windows": [
        (1.0, [_w("Tableau Reader 2023.3", "23.3.1017", "Tableau Software", source="msi")])]}, {}),
    Family("zoom", True, {"win_ws": 0.40, "mac": 0.60, "debian_ws": 0.30}, {
        "windows": [(0.7, [_w("Zoom Workplace (64-bit)", "6.0.11 (39959)", "Zoom Video Communications, Inc.", source="msi")]),
                    (0.3, [_w("Zoom", "5.16.10 (26186)", "Zoom Video Communications, Inc.", arch="x86")])],
        "macos": [(1.0, [_m("zoom.us", "6.0.11 (35001)", "Zoom Video Communications, Inc."),
                         _m("us.zoom.pkg.videomeeting", "6.0.11.35001", None, source="pkg-receipt")])],
        "debian": [(1.0, [_d("zoom", "6.0.2.4680", "Zoom Video Communications, Inc. <support@zoom.us>")])]},
        {"windows": [r"C:\Program Files\Zoom\bin\Zoom.exe"], "macos": ["/Applications/zoom.us.app/Contents/MacOS/zoom.us"]}),
    Family("atlassian", True, {"win_srv": 0.03}, {"windows": [
        (0.5, [_w("Atlassian Confluence 8.5.4", "8.5.4", "Atlassian")]),
        (0.5, [_w("Atlassian Jira Software 9.12.1", "9.12.1", "Atlassian")])]},
        {"windows": [r"C:\Program Files\Atlassian\Confluence\jre\bin\java.exe"]}),
    Family("teamviewer", True, {"win_ws": 0.12, "win_srv": 0.05, "mac": 0.05}, {
        "windows": [(1.0, [_w("TeamViewer", "15.49.2", "TeamViewer")])], "macos": [(1.0, [_m("TeamViewer", "15.49.3", "TeamViewer")])]},
        {"windows": [r"C:\Program Files\TeamViewer\TeamViewer.exe"]}),
    Family("winrar", True, {"win_ws": 0.08}, {"windows": [(1.0, [_w("WinRAR 6.24 (64-bit)", "6.24.0", "win.rar GmbH")])]},
           {"windows": [r"C:\Program Files\WinRAR\WinRAR.exe"]}),
    Family("docker_desktop", True, {"win_ws": 0.06, "mac": 0.20}, {
        "windows": [(1.0, [_w("Docker Desktop", "4.26.1", "Docker Inc.")])], "macos": [(1.0, [_m("Docker", "4.26.1", "Docker Inc")])]},
        {"windows": [r"C:\Program Files\Docker\Docker\Docker Desktop.exe"]}),
    Family("slack", True, {"win_ws": 0.35, "mac": 0.50}, {
        "windows": [(1.0, [_w("Slack (Machine - MSI)", "4.36.140", "Slack Technologies Inc.", source="msi")])],
        "macos": [(1.0, [_m("Slack", "4.36.140", "Slack Technologies, Inc.")])]}, {}),
    Family("citrix_workspace", True, {"win_ws": 0.30}, {"windows": [
        (1.0, [_w("Citrix Workspace 2311", "23.11.0.160", "Citrix Systems, Inc.", arch="x86")])]}, {}),
    Family("sourcetree", False, {"win_ws": 0.03}, {"windows": [
        (1.0, [_w("Sourcetree", "3.4.15", "Atlassian", arch="x86")])]}, {}),
)
