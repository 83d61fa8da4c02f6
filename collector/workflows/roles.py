"""Who may act on a workflow task: the three account roles, approver groups, the initiator.

A task names one role. ``admin``/``operator``/``auditor`` are the account roles (an admin
may do what an operator may); an approver group is a list of usernames from the config
(``workflow_approver_groups = "finance: alice bob; it_managers: carol"``), and admins may act
for any group; ``initiator`` is whoever started the instance. Auditors read everything and
act on nothing, and nobody approves their own request. A workflow the system opened (no
initiator) gives its initiator's tasks to the operators.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.errors import Forbidden

__all__ = ["ACCOUNT_ROLES", "SYSTEM", "WorkflowActor", "actor_for_token", "actor_for_user", "check_may_act",
           "known_roles", "parse_groups"]

ACCOUNT_ROLES = ("admin", "operator", "auditor")


@dataclass(frozen=True)
class WorkflowActor:
    """A person acting on workflows: their account id, name and account role."""

    user_id: int | None
    username: str
    role: str
    client: str | None = None
    # Set when acting as a delegate: the name of the person whose approval this is
    # (collector/workflows/delegation.py); events then read "username for on_behalf_of".
    on_behalf_of: str | None = None

    @property
    def audit(self):
        """The audit log's ``Actor`` (imported here: the config validates groups with this module)."""
        from collector.access.audit_log import Actor

        return Actor(self.user_id, self.username, self.client)


# The actor of what Stocktake does by itself (opening a workflow for a new exception).
SYSTEM = WorkflowActor(None, "stocktake", "system")


def parse_groups(text: str) -> dict[str, frozenset[str]]:
    """``"finance: alice bob; it: carol"`` -> {"finance": {"alice", "bob"}, "it": {"carol"}}."""
    groups = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, colon, members = part.partition(":")
        name = name.strip()
        if not colon or not name or name in ACCOUNT_ROLES or name in ("initiator", "none"):
            raise ValueError(f"workflow_approver_groups: {part.strip()!r} is not 'group: user user ...' "
                             "with a group name other than admin, operator, auditor, initiator, none")
        groups[name] = frozenset(members.split())
    return groups


def known_roles(groups: dict[str, frozenset[str]]) -> frozenset[str]:
    return frozenset(ACCOUNT_ROLES) | frozenset(groups)


def check_may_act(actor: WorkflowActor, role: str, initiator_id: int | None, groups: dict[str, frozenset[str]],
                  approval: bool) -> None:
    """Raise Forbidden, saying why, unless ``actor`` may complete a task that needs ``role``."""
    if actor.role == "auditor":
        raise Forbidden("auditors read workflows and act on none")
    if approval and actor.user_id is not None and actor.user_id == initiator_id:
        raise Forbidden("nobody approves their own request")
    if role == "initiator" and initiator_id is None:
        role = "operator"
    if role == "initiator":
        if actor.user_id is None or actor.user_id != initiator_id:
            raise Forbidden("only the initiator of this workflow may do this task")
    elif role == "admin":
        if actor.role != "admin":
            raise Forbidden("this task needs the admin role")
    elif role == "operator":
        if actor.role not in ("admin", "operator"):
            raise Forbidden("this task needs the operator role")
    elif role in groups:
        if actor.role != "admin" and actor.username not in groups[role]:
            raise Forbidden(f"this task needs a member of approver group {role!r}")
    else:
        raise Forbidden(f"this task needs role {role!r}, which nobody has")


def actor_for_user(user, client: str | None = None) -> WorkflowActor:
    return WorkflowActor(user.id, user.username, user.role, client)


def actor_for_token(session, token, client: str | None = None) -> WorkflowActor:
    """The person an API token acts for on workflows: the active user the token is named after,
    with the lower of the two roles. Workflows record people (who initiated, who approved), so a
    token that names nobody may read but not act."""
    from sqlalchemy import select

    from collector.access.api_tokens import ROLES
    from collector.models import User

    user = session.scalar(select(User).where(User.username == token.name))
    if user is None or not user.active:
        raise Forbidden(f"API token {token.name!r} is not named after an active user; "
                        "workflow actions are made by people (create the token with the user's name)")
    role = min(token.role, user.role, key=ROLES.index)
    return WorkflowActor(user.id, user.username, role, client)
