"""Password hashing for web users: scrypt from the standard library.

scrypt is memory-hard (RFC 7914), so guessing costs memory as well as time, and it needs no
extra dependency (argon2id would add a C extension for a similar margin). Each hash carries
its own parameters and a random 16-byte salt, so the cost can be raised later and old hashes
still verify (``needs_rehash`` says when to upgrade at the next login). Comparison is
constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "dummy_hash", "hash_password", "needs_rehash", "password_problem", "verify_password"]

# 2**15 × 8 × 128 bytes = 32 MiB per hash, about 0.1 s here: OWASP's scrypt recommendation.
N, R, P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024
_DKLEN = 32
MIN_LENGTH = 12
# Long enough for passphrases, short enough that nobody can make the server hash megabytes.
MAX_LENGTH = 1024


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if "\x00" in password:
        return "must not contain NUL"
    return None


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAXMEM, dklen=_DKLEN)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, base64.b64decode(expected))
    except ValueError:
        return False


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${N}${R}${P}$")


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so timing does not reveal it."""
    return hash_password(secrets.token_urlsafe(16))
