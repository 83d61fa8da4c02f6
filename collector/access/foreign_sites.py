"""Foreign-agent sites: the shared secret that admits a site's OCS, FusionInventory and GLPI agents.

Those agents cannot enrol for a node key; they can only put a secret in the server URL's path
(OCS, FusionInventory) or send HTTP Basic credentials (all three). A site's secret is made here,
shown once, and only its SHA-256 kept; creation and revocation are audited like enrollment
secrets. Revoking a site refuses its agents at once (401) and keeps what they reported.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from collector.access import credentials
from collector.access.audit_log import SYSTEM, Actor, append_entry
from collector.errors import Conflict, FieldError, InvalidInput, NotFound
from collector.models import ForeignSite, utcnow

__all__ = ["NewSite", "create_foreign_site", "find_site_by_secret", "list_foreign_sites", "revoke_foreign_site"]


@dataclass(frozen=True)
class NewSite:
    site_id: int
    name: str
    secret: str


def create_foreign_site(session: Session, name: str, now: datetime | None = None, actor: Actor = SYSTEM) -> NewSite:
    """Create a site; its secret is returned once and never stored (nor audited)."""
    now = now or utcnow()
    if not name or len(name) > 128 or not name.isprintable() or "/" in name:
        raise InvalidInput("invalid foreign-agent site", [FieldError("name", "must be 1-128 printable characters, no '/'")])
    if session.scalar(select(ForeignSite.id).where(ForeignSite.name == name)) is not None:
        raise Conflict(f"a foreign-agent site named {name!r} already exists")
    secret = credentials.generate(credentials.FOREIGN_SITE_PREFIX)
    site = ForeignSite(name=name, secret_hash=credentials.hash_credential(secret),
                       prefix=credentials.display_prefix(secret), created_at=now)
    session.add(site)
    session.flush()
    append_entry(session, "foreign_site_created", actor, f"foreign_site {name}", {"prefix": site.prefix}, now)
    return NewSite(site_id=site.id, name=name, secret=secret)


def list_foreign_sites(session: Session) -> list[ForeignSite]:
    return list(session.scalars(select(ForeignSite).order_by(ForeignSite.created_at, ForeignSite.id)))


def revoke_foreign_site(session: Session, name: str, now: datetime | None = None, actor: Actor = SYSTEM) -> ForeignSite:
    site = session.scalar(select(ForeignSite).where(ForeignSite.name == name))
    if site is None:
        raise NotFound(f"no foreign-agent site named {name!r}")
    already = site.revoked_at is not None
    if not already:
        site.revoked_at = now or utcnow()
    append_entry(session, "foreign_site_revoked", actor, f"foreign_site {name}", {"already_revoked": already}, now)
    return site


_BY_HASH = select(ForeignSite.id, ForeignSite.name, ForeignSite.secret_hash, ForeignSite.revoked_at).where(
    ForeignSite.secret_hash == bindparam("secret_hash"))


def find_site_by_secret(connection: Connection, secret: str) -> tuple[int, str] | None:
    """The active site (id, name) whose secret this is; None when unknown, revoked or malformed.

    The index is searched by the secret's SHA-256, so its timing says nothing about the secret
    (finding a matching prefix would need SHA-256 preimages); the digests are then compared in
    constant time all the same.
    """
    if not secret or len(secret) > credentials.MAX_CREDENTIAL_LENGTH:
        return None
    digest = credentials.hash_credential(secret)
    row = connection.execute(_BY_HASH, {"secret_hash": digest}).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, digest):
        return None
    return row.id, row.name
