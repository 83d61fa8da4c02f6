"""Typed SQLAlchemy 2.x models, one domain noun per module, re-exported here."""

from collector.models.agents import *  # noqa: F401,F403
from collector.models.assets import *  # noqa: F401,F403
from collector.models.base import *  # noqa: F401,F403
from collector.models.devices import *  # noqa: F401,F403
from collector.models.observations import *  # noqa: F401,F403
from collector.models.software import *  # noqa: F401,F403
from collector.models import agents, assets, base, devices, observations, software

__all__ = agents.__all__ + assets.__all__ + base.__all__ + devices.__all__ + observations.__all__ + software.__all__
