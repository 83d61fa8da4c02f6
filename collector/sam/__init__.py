"""Software asset management: licence compliance services (issue 12)."""
