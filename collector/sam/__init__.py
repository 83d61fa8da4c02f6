"""Software asset management (issue 12): normalisation, entitlements, licence positions."""
