"""Software asset management: normalisation, entitlements, licence positions (issue 12)."""
