"""Device classification from sysObjectID, sysDescr, MIBs, sysServices and OUI."""

import pytest

from agent.discovery.classify import DeviceFacts, classify, probes_for

CASES = [
    # (facts, device type, vendor, rule)
    (DeviceFacts("1.3.6.1.4.1.11.2.3.9.1", "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23900015,"
                 "CIDATE 02/07/2022"), "printer", "HP", "hp-jetdirect"),
    (DeviceFacts("1.3.6.1.4.1.2435.2.3.9.1", "Brother NC-8300h, Firmware Ver.1.06  (19.05.10),MID 8C5-F30,FID 2",
                 has_printer_mib=True), "printer", "Brother", "printer-mib"),
    (DeviceFacts("1.3.6.1.4.1.318.1.3.27", "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 PN:apc_hw05_aos_672.bin "
                 "MN:AP9630 HR:05 SN: ZA1234567890 MD:07/07/2012)"), "ups", "APC", "apc-nmc-ups"),
    (DeviceFacts("1.3.6.1.4.1.534.1", "Eaton 5PX 1500", has_ups_mib=True), "ups", "Eaton", "ups-mib"),
    (DeviceFacts("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(2)E7, "
                 "RELEASE SOFTWARE (fc3)", 2), "switch", "Cisco", "cisco-ios-xe-switch"),
    (DeviceFacts("1.3.6.1.4.1.9.1.1861", "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
                 "Version 16.9.4, RELEASE SOFTWARE (fc2)", 78), "router", "Cisco", "cisco-ios-router"),
    (DeviceFacts("1.3.6.1.4.1.12356.101.1.60", "FortiGate-60E"), "firewall", "Fortinet", "fortigate"),
    (DeviceFacts("1.3.6.1.4.1.14988.1", "RouterOS RB4011iGS+"), "router", "MikroTik", "routeros"),
    (DeviceFacts("1.3.6.1.4.1.41112.1.6", "UAP-AC-Pro 6.5.62.14788"), "wireless_ap", "Ubiquiti", "ubiquiti-unifi-oid"),
    # snmpsim-data network/wifi/ubiquiti-m5: an airMAX radio says only "Linux" in sysDescr.
    (DeviceFacts("1.3.6.1.4.1.41112.1.4", "Linux 2.6.32.61 #1 Wed May 21 18:37:41 EEST 2014 mips", 79),
     "wireless_ap", "Ubiquiti", "ubiquiti-airmax-oid"),
    (DeviceFacts("1.3.6.1.4.1.41112.1.6", "Linux 3.10.20 #1 SMP", 79), "wireless_ap", "Ubiquiti", "ubiquiti-unifi-oid"),
    (DeviceFacts("1.3.6.1.4.1.13885.2", "Polycom VVX 411"), "ip_phone", "Polycom", "phone-descr"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux DiskStation 4.4.180+ #42962 SMP Tue Oct 18 15:09:11 CST 2022 x86_64",
                 72, oui_vendor="Synology Incorporated"), "storage", "Synology", "synology"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux web01 6.1.0-26-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 x86_64",
                 72, oui_vendor="Dell Inc."), "server", "Dell Inc.", "unix-server"),
    # net-snmp names the agent software, never the maker.
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux web01 6.1.0-26-amd64", 72), "server", None, "unix-server"),
    (DeviceFacts("1.3.6.1.4.1.311.1.1.3.1.1", "Hardware: Intel64 Family 6 Model 158 Stepping 10 AT/AT COMPATIBLE - "
                 "Software: Windows Version 6.3 (Build 19045 Multiprocessor Free)"), "workstation", "Microsoft", "windows"),
    (DeviceFacts("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - "
                 "Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)"), "server", "Microsoft", "windows-server-oid"),
    (DeviceFacts("1.3.6.1.4.1.368.4", "AXIS P3245-V Network Camera"), "camera", "Axis", "camera-descr"),
    (DeviceFacts(None, None, None, oui_vendor="Hangzhou Hikvision Digital Technology Co.,Ltd."), "camera",
     "Hangzhou Hikvision Digital Technology Co.,Ltd.", "oui-camera"),
    (DeviceFacts(None, None, 2, has_bridge_mib=True), "switch", None, "switch-bridge-only"),
    (DeviceFacts(None, None, None, oui_vendor="Yealink(Xiamen) Network Technology Co.,Ltd."), "ip_phone",
     "Yealink(Xiamen) Network Technology Co.,Ltd.", "oui-phone"),
    (DeviceFacts(None, None, None, oui_vendor="Raspberry Pi Foundation"), "unknown", "Raspberry Pi Foundation", "no rule matched"),
    # iot: devices that never answer SNMP (ESP32 smart plugs, Sonos speakers), known by their OUI alone
    (DeviceFacts(None, None, None, oui_vendor="Espressif Inc."), "iot", "Espressif Inc.", "oui-iot"),
    (DeviceFacts(None, None, None, oui_vendor="Sonos, Inc."), "iot", "Sonos, Inc.", "oui-iot"),
    (DeviceFacts(), "unknown", None, "no rule matched"),
    # With the full poll: ENTITY-MIB chassis model and maker, Printer-MIB presence (snmpsim-data
    # recordings).
    (DeviceFacts("1.3.6.1.4.1.30065.1.3011.7150.3282.52.2745", "Arista Networks EOS version 4.20.5F running on an "
                 "Arista Networks DCS-7150S-52-CL", 14, manufacturer="Arista Networks", model="DCS-7150S-52-CL"),
     "switch", "Arista", "arista-eos"),
    # AOS-CX names the platform with a letter suffix and a two-letter + 10.x firmware; ArubaOS-Switch
    # says "revision KB.16" (formats as quoted in public inventory code; the JL705C line is written to that format).
    (DeviceFacts("1.3.6.1.4.1.47196.4.1.1.1.102", "Aruba JL658A 6300M 24SFP+ 4SFP56 Swch FL.10.08.1010"), "switch",
     "Hewlett Packard Enterprise", "aos-cx"),
    (DeviceFacts("1.3.6.1.4.1.47196.4.1.1.1.102", "Aruba JL705C 8360-48XT4C v2 Swch LL.10.13.1000"), "switch",
     "Hewlett Packard Enterprise", "aos-cx"),
    (DeviceFacts("1.3.6.1.4.1.11.2.3.7.11.160", "Aruba JL074A 3810M-48G-PoE+-1-slot Switch, revision KB.16.10.0024"),
     "switch", "HP", "procurve"),
    (DeviceFacts("1.3.6.1.4.1.2385.3.1.112.1.2", "SHARP MX-3570N", has_printer_mib=True), "printer", "Sharp",
     "printer-mib"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux nas01 5.10.0", 72, oui_vendor="Intel Corporate",
                 manufacturer="Supermicro"), "server", "Supermicro", "unix-server"),
    (DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux GSE200M 2.6.27-SPEAr310 #591 Wed Sep 4 16:10:51 CST 2013 armv5tejl",
                 has_ups_mib=True, manufacturer="HUAWEI", model="UPS5000"), "ups", "HUAWEI", "ups-mib"),
    (DeviceFacts(None, None, None, model="ISR4331/K9"), "router", None, "router-model"),
    # snmpsim-data: a Cisco 5508 wireless controller (no entPhysicalClass; the model says it), a UCS fabric
    # interconnect, an H3C switch whose sysDescr is a placeholder.
    (DeviceFacts("1.3.6.1.4.1.9.1.1069", "Cisco Controller", model="AIR-CT5508-K9"), "wireless_controller", "Cisco",
     "cisco-wlc"),
    (DeviceFacts("1.3.6.1.4.1.9.12.3.1.3.1062", "Cisco NX-OS(tm) ucs, Software (ucs-6100-k9-system), Version "
                 "5.2(3)N2(2.28g)", 70, model="UCS-FI-6248UP"), "switch", "Cisco", "cisco-nx-os"),
    (DeviceFacts("1.3.6.1.4.1.233", "Dummy System", 78, manufacturer="H3C", model="H3C Switch E528"), "switch", "H3C",
     "switch-model"),
    (DeviceFacts(None, None, 78, model="PA-5060"), "firewall", None, "firewall-model"),
    (DeviceFacts(None, None, None, oui_vendor="Cisco Systems, Inc", model="WS-C3560G-48TS-E"), "switch",
     "Cisco Systems, Inc", "switch-model"),
]


@pytest.mark.parametrize("facts, device_type, vendor, rule", CASES, ids=[c[3] + f"-{i}" for i, c in enumerate(CASES)])
def test_classification(facts, device_type, vendor, rule):
    assert tuple(classify(facts))[:3] == (device_type, vendor, rule)


def test_the_chassis_model_corrects_what_sys_services_suggest():
    assert classify(DeviceFacts(None, None, 14, model="DCS-7150S-52-CL")).rule == "switch-model"
    assert classify(DeviceFacts(None, None, 14)).rule == "router-services"  # layers 2+3 set


def test_malformed_object_ids_are_not_enterprises():
    assert classify(DeviceFacts("1.3.6.1.4.1.x.1", "FortiGate-60E")).rule == "fortigate"
    assert classify(DeviceFacts(".1.3.6.1.4.1.12356.101", None)).vendor == "Fortinet"


def test_the_oui_never_types_a_device_that_answered_snmp():
    silent = DeviceFacts(oui_vendor="Brother Industries, LTD.")
    assert classify(silent).device_type == "printer"
    answered = silent._replace(sys_object_id="1.3.6.1.4.1.8072.3.2.10", sys_descr="Linux box 5.10")
    assert classify(answered)[:3] == ("server", "Brother Industries, LTD.", "unix-server")
    assert classify(silent._replace(sys_object_id="1.3.6.1.4.1.99999.1"))[0] == "unknown"


def test_one_vendor_card_is_a_ups_a_pdu_or_a_sensor_by_the_mib_it_answers():
    apc = DeviceFacts("1.3.6.1.4.1.318.1.3.4.6", "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2)")
    assert classify(apc._replace(probes=frozenset({"apc-rpdu2"})))[:3] == ("pdu", "APC", "apc-rpdu-mib")
    assert classify(apc._replace(probes=frozenset({"apc-env"})))[:3] == ("environment_sensor", "APC", "apc-env-mib")
    assert classify(apc._replace(probes=frozenset({"apc-ups"})))[:3] == ("ups", "APC", "apc-ups-mib")
    assert classify(apc)[:3] == ("ups", "APC", "apc-default")  # nothing said more: the commonest APC card


def test_a_linux_appliance_under_net_snmp_is_named_by_the_vendor_mib_it_answers():
    linux = DeviceFacts("1.3.6.1.4.1.8072.3.2.10", "Linux nas01 4.4.302+ #72806 SMP x86_64", 76)
    assert classify(linux)[:3] == ("server", None, "unix-server")
    assert classify(linux._replace(probes=frozenset({"synology"})))[:3] == ("storage", "Synology", "synology-mib")
    assert classify(linux._replace(probes=frozenset({"ubnt-unifi"})))[:3] == ("wireless_ap", "Ubiquiti", "ubiquiti-unifi-mib")


def test_probes_are_asked_only_when_the_cheap_evidence_is_ambiguous():
    ids = lambda oid, descr: {probe.id for probe in probes_for(oid, descr)}  # noqa: E731
    assert ids("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software") == set()
    assert ids("1.3.6.1.4.1.2636.1.1.1.2.21", "Juniper Networks, Inc. mx960 internet router") == set()
    assert ids("1.3.6.1.4.1.2636.1.1.1.2.99", "Juniper Networks, Inc. unknown") == {"juniper-js"}
    assert {"apc-ups", "apc-rpdu2", "apc-env"} <= ids("1.3.6.1.4.1.318.1.3.27", "APC Web/SNMP Management Card")
    assert {"synology", "ubnt-unifi", "truenas"} <= ids("1.3.6.1.4.1.8072.3.2.10", "Linux nas01 4.4")


def test_a_model_hint_comes_from_the_marker_that_named_the_product():
    guess = classify(DeviceFacts("1.3.6.1.4.1.2636.1.1.1.2.135", "Juniper Networks, Inc. srx345 internet router, "
                                 "kernel JUNOS 20.4R3.8"))
    assert guess == ("firewall", "Juniper", "junos-srx", "srx345")
