"""Generation and hashing of the collector's bearer credentials.

Enrollment secrets, node keys and API tokens are 256-bit random strings made here, so
SHA-256 is the right storage hash: there is no low-entropy password to stretch, and the
lookup stays one indexed equality per request. Plain values are shown once, never stored
and never logged.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = [
    "API_TOKEN_PREFIX",
    "ENROLL_SECRET_PREFIX",
    "FOREIGN_SITE_PREFIX",
    "MAX_CREDENTIAL_LENGTH",
    "NODE_KEY_PREFIX",
    "display_prefix",
    "generate",
    "hash_credential",
]

ENROLL_SECRET_PREFIX = "stke_"
NODE_KEY_PREFIX = "stkn_"
API_TOKEN_PREFIX = "stka_"
# Foreign-agent site secrets travel in URL paths: token_urlsafe's alphabet needs no escaping there.
FOREIGN_SITE_PREFIX = "stkf_"
MAX_CREDENTIAL_LENGTH = 256


def generate(prefix: str) -> str:
    """A new random credential; the prefix tells its kind apart in logs of leaked-secret scanners."""
    return prefix + secrets.token_urlsafe(32)


def hash_credential(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(value: str) -> str:
    """The first characters after the kind prefix, enough for an admin to tell two apart."""
    return value[:11]
