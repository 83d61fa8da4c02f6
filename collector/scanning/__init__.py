"""The scanner role on the collector: scan profiles (profiles.py, validation.py), their encrypted
SNMP credentials (crypto.py), and the tasks check-in hands assigned agents (tasks.py)."""
