"""Typed SQLAlchemy 2.x models, one domain noun per module, re-exported here."""

from collector.models.agents import *  # noqa: F401,F403
from collector.models.assets import *  # noqa: F401,F403
from collector.models.base import *  # noqa: F401,F403
from collector.models.cmdb import *  # noqa: F401,F403
from collector.models.devices import *  # noqa: F401,F403
from collector.models.observations import *  # noqa: F401,F403
from collector.models.reconcile import *  # noqa: F401,F403
from collector.models.scan_profiles import *  # noqa: F401,F403
from collector.models.software import *  # noqa: F401,F403
from collector.models.users import *  # noqa: F401,F403
from collector.models.audit_log import *  # noqa: F401,F403
from collector.models.exception_comments import *  # noqa: F401,F403
from collector.models.notifications import *  # noqa: F401,F403
from collector.models.workflows import *  # noqa: F401,F403
from collector.models.workflow_tasks import *  # noqa: F401,F403
from collector.models.workflow_delegations import *  # noqa: F401,F403
from collector.models.workflow_triggers import *  # noqa: F401,F403
from collector.models.sam import *  # noqa: F401,F403
from collector.models.suppressions import *  # noqa: F401,F403
from collector.models.saved_filters import *  # noqa: F401,F403
from collector.models.search import *  # noqa: F401,F403
from collector.models import (agents, assets, audit_log, base, cmdb, devices, exception_comments, notifications,
                              observations, reconcile, scan_profiles, software, users, workflows)
from collector.models import (sam, saved_filters, search, suppressions, workflow_delegations, workflow_tasks,
                              workflow_triggers)

__all__ = agents.__all__ + assets.__all__ + base.__all__ + devices.__all__ + observations.__all__ + software.__all__
__all__ += users.__all__ + audit_log.__all__ + exception_comments.__all__ + cmdb.__all__ + reconcile.__all__
__all__ += scan_profiles.__all__ + notifications.__all__ + workflows.__all__
__all__ += workflow_tasks.__all__ + workflow_delegations.__all__ + workflow_triggers.__all__
__all__ += sam.__all__ + suppressions.__all__ + search.__all__ + saved_filters.__all__
