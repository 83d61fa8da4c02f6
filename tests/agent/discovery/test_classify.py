"""Device classification from sysObjectID, sysDescr, MIBs, sysServices and OUI."""

import pytest

from agent.discovery.classify import DEVICE_TYPES, DeviceFacts, classify

CASES = [
    # (facts, device type, vendor, rule)
    (DeviceFacts("1.3.6.1.4.1.11.2.3.9.1", "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23900015,"
                 "CIDATE 02/07/2022"), "printer", "HP", "hp-jetdirect"),
    (DeviceFacts("1.3.6.1.4.1.2435.2.3.9.1", "Brother NC-8300h, Firmware Ver.1.06  (19.05.10),MID 8C5-F30,FID 2",
                 has_printer_mib=True), "printer", "Brother", "printer-mib"),
    (DeviceFacts("1.3.6.1.4.1.318.1.3.27", "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 PN:apc_hw05_aos_672.bin "
                 "MN:AP9630 HR:05 SN: ZA1234567890 MD:07/07/2012)"), "ups", "APC", "ups-vendor"),
    (DeviceFacts("1.3.6.1.4.1.534.1", "Eaton 5PX 1500", has_ups_mib=True), "ups", "Eaton", "ups-mib"),
    (DeviceFacts("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(2)E7, "
                 "RELEASE SOFTWARE (fc3)", 2), "switch", "Cisco", "switch-descr"),
    (DeviceFacts("1.3.6.1.4.1.9.1.1861", "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
                 "Version 16.9.4, RELEASE SOFTWARE (fc2)", 78), "router", "Cisco", "router-descr"),
    (DeviceFacts("1.3.6.1.4.1.12356.101.1.60", "FortiGate-60E"), "firewall", "Fortinet", "firewall-vendor"),
    (DeviceFacts("1.3.6.1.4.1.14988.1", "RouterOS RB4011iGS+"), "router", "MikroTik", "router-descr"),
    (DeviceFacts("1.3.6.1.4.1.41112.1.6", "UAP-AC-Pro 6.5.62.14788"), "wireless_ap", "Ubiquiti", "ap-descr"),
    # snmpsim-data network/wifi/ubiquiti-m5: an airMAX radio says only "Linux" in sysDescr.
    (DeviceFacts("1.3.6.1.4.1.41112.1.4", "Linux 2.6.32.61 #1 Wed May 21 18:37:41 EEST 2014 mips", 79),
     "wireless_ap", "Ubiquiti", "ubiquiti-airmax"),
    (DeviceFacts("1.3.6.1.4.1.41112.1.6", "Linux 3.10.20 #1 SMP", 79), "wireless_ap", "Ubiquiti", "ubiquiti-unifi"),
    (DeviceFacts("1.3.6.1.4.1.13885.2", "Polycom VVX 411"), "ip_phone", "Polycom", "phone-vendor"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux DiskStation 4.4.180+ #42962 SMP Tue Oct 18 15:09:11 CST 2022 x86_64",
                 72, oui_vendor="Synology Incorporated"), "storage", "Synology Incorporated", "storage-descr"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux web01 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 x86_64",
                 72, oui_vendor="Dell Inc."), "server", "Dell Inc.", "unix-server"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux web01 6.1.0-26-amd64", 72), "server", "Net-SNMP", "unix-server"),
    (DeviceFacts("1.3.6.1.4.1.311.1.1.3.1.1", "Hardware: Intel64 Family 6 Model 158 Stepping 10 AT/AT COMPATIBLE - "
                 "Software: Windows Version 6.3 (Build 19045 Multiprocessor Free)"), "workstation", "Microsoft", "windows"),
    (DeviceFacts("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - "
                 "Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)"), "server", "Microsoft", "windows-server-oid"),
    (DeviceFacts("1.3.6.1.4.1.368.4", "AXIS P3245-V Network Camera"), "iot", "Axis", "camera"),
    (DeviceFacts(None, None, None, oui_vendor="Hangzhou Hikvision Digital Technology Co.,Ltd."), "iot",
     "Hangzhou Hikvision Digital Technology Co.,Ltd.", "oui-camera"),
    (DeviceFacts(None, None, 2, has_bridge_mib=True), "switch", None, "switch-bridge-only"),
    (DeviceFacts(None, None, None, oui_vendor="Yealink(Xiamen) Network Technology Co.,Ltd."), "ip_phone",
     "Yealink(Xiamen) Network Technology Co.,Ltd.", "oui-phone"),
    (DeviceFacts(None, None, None, oui_vendor="Raspberry Pi Foundation"), "unknown", "Raspberry Pi Foundation", "no rule matched"),
    (DeviceFacts(), "unknown", None, "no rule matched"),
    # With the full poll: ENTITY-MIB chassis model and maker, Printer-MIB presence (snmpsim-data and
    # LibreNMS recordings).
    (DeviceFacts("1.3.6.1.4.1.30065.1.3011.7150.3282.52.2745", "Arista Networks EOS version 4.20.5F running on an "
                 "Arista Networks DCS-7150S-52-CL", 14, manufacturer="Arista Networks", model="DCS-7150S-52-CL"),
     "switch", "Arista", "switch-model"),
    (DeviceFacts("1.3.6.1.4.1.2385.3.1.112.1.2", "SHARP MX-3570N", has_printer_mib=True), "printer", "Sharp",
     "printer-mib"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux nas01 5.10.0", 72, oui_vendor="Intel Corporate",
                 manufacturer="Supermicro"), "server", "Supermicro", "unix-server"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 16:10:51 CST 2013 armv5tejl",
                 has_ups_mib=True, manufacturer="HUAWEI", model="UPS5000"), "ups", "HUAWEI", "ups-mib"),
    (DeviceFacts(None, None, None, model="ISR4331/K9"), "router", None, "router-model"),
    # snmpsim-data: a Cisco 5508 wireless controller (no entPhysicalClass; the model says it), a UCS fabric
    # interconnect, an H3C switch whose sysDescr is a placeholder.
    (DeviceFacts("1.3.6.1.4.1.9.1.1069", "Cisco Controller", model="AIR-CT5508-K9"), "wireless_ap", "Cisco",
     "wireless-model"),
    (DeviceFacts("1.3.6.1.4.1.9.12.3.1.3.1062", "Cisco NX-OS(tm) ucs, Software (ucs-6100-k9-system), Version "
                 "5.2(3)N2(2.28g)", 70, model="UCS-FI-6248UP"), "switch", "Cisco", "switch-model"),
    (DeviceFacts("1.3.6.1.4.1.233", "Dummy System", 78, manufacturer="H3C", model="H3C Switch E528"), "switch", "H3C",
     "switch-model"),
    (DeviceFacts(None, None, 78, model="PA-5060"), "firewall", None, "firewall-model"),
    (DeviceFacts(None, None, None, oui_vendor="Cisco Systems, Inc", model="WS-C3560G-48TS-E"), "switch",
     "Cisco Systems, Inc", "switch-model"),
]


@pytest.mark.parametrize("facts, device_type, vendor, rule", CASES, ids=[c[3] + f"-{i}" for i, c in enumerate(CASES)])
def test_classification(facts, device_type, vendor, rule):
    assert tuple(classify(facts)) == (device_type, vendor, rule)


def test_every_rule_has_a_condition_and_a_known_type():
    for rule in RULES:
        conditions = (rule.enterprises, rule.object_id_prefix, rule.descr, rule.model, rule.mib, rule.services_all,
                      rule.services_none, rule.oui)
        assert any(conditions), f"rule {rule.name} would match every device"
        assert rule.device_type in DEVICE_TYPES, rule.name
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_the_chassis_model_corrects_what_sys_services_suggest():
    arista = next(facts for facts, *_ in CASES if facts.model == "DCS-7150S-52-CL")
    assert classify(arista._replace(model=None, manufacturer=None)).rule == "router-services"  # layers 2+3 set


def test_malformed_object_ids_are_not_enterprises():
    assert classify(DeviceFacts("1.3.6.1.4.1.x.1", "FortiGate-60E")).rule == "firewall-descr"
    assert classify(DeviceFacts(".1.3.6.1.4.1.12356.101", None)).vendor == "Fortinet"
