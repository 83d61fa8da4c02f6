"""The scanner role: find the devices that carry no agent (ARP sweeps, SNMP polls)."""
