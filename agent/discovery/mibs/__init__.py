"""One parser per MIB: pure functions from walked rows ``(oid, value)`` to DiscoveredDevice fields.

Parsers never touch the network, so each is tested on rows taken from real recordings.
``agent.discovery.poll`` walks the ``ROOTS`` each module names and hands the rows over.
Values arrive as the walkers decode them: int, bytes (OCTET STRING), str (OID, IpAddress)
or None (noSuchObject and the like).
"""
