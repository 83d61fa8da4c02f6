"""Register import presets: Snipe-IT's and GLPI's exports imported as they come out of the tool.

``stocktake-collector cmdb import --preset NAME`` (and the API's ``preset``) reads the file with
the preset's column, category and status mapping; a site's ``--mapping`` is laid over it. Every
column the preset does not place in a CI field is kept on the CI as an attribute, by header.
The presets are registered here, explicitly; docs/migrating-from-ocs-glpi.md (section 7) says what each maps.
"""

from __future__ import annotations

from collector.cmdb.presets import glpi, snipeit
from collector.cmdb.presets.preset import Preset
from collector.errors import FieldError, InvalidInput

__all__ = ["PRESETS", "PRESET_NAMES", "Preset", "get_preset", "preset_mapping"]

PRESETS: dict[str, Preset] = {preset.name: preset for preset in (
    snipeit.SNIPEIT,
    glpi.GLPI_COMPUTERS,
    glpi.GLPI_NETWORK,
)}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidInput("unknown preset", [FieldError("preset", f"unknown preset {name!r}; use one of "
                                                                   f"{', '.join(PRESET_NAMES)}")]) from None


def preset_mapping(name: str):
    """The ``ColumnMapping`` of the preset called ``name``."""
    return get_preset(name).mapping()
