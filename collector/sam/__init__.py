"""Software asset management: normalisation of raw titles to products, entitlements, licence positions."""
