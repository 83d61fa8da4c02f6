"""Foreign agents and formats: each wire format converted into Stocktake's own reports."""
