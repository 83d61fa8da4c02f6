"""SNMP credentials encrypted at rest with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``).

The key is the collector's, never the database's: a stolen database or backup holds only
tokens. It comes from ``credentials_key`` (e.g. STOCKTAKE_CREDENTIALS_KEY) or the file
``credentials_key_file`` (default ``<data_dir>/credentials.key``), which is created with
mode 0600 the first time a key is needed. Several keys (comma-separated, or one per
line in the file) rotate: the first encrypts, any of them decrypts, and
``stocktake-collector scan-profile rotate-key`` re-encrypts every profile with the first.
Neither keys nor decrypted credentials are ever logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from collector.config import CollectorConfig
from collector.errors import ServiceError

__all__ = ["CredentialsKeyError", "credentials_cipher", "decrypt_credentials", "encrypt_credentials",
           "key_file_path", "rotate_token"]

log = logging.getLogger(__name__)
KEY_FILE_NAME = "credentials.key"


class CredentialsKeyError(ServiceError):
    """The credentials key is missing, malformed or not the one the credentials were encrypted with."""

    status = 500


def key_file_path(config: CollectorConfig) -> Path:
    return Path(config.credentials_key_file or Path(config.data_dir) / KEY_FILE_NAME)


def credentials_cipher(config: CollectorConfig):
    """A MultiFernet over the configured keys (the file is created on first use)."""
    from cryptography.fernet import Fernet, MultiFernet

    if config.credentials_key:
        keys, origin = config.credentials_key.split(","), "credentials_key"
    else:
        path = key_file_path(config)
        keys, origin = _read_or_create_key_file(path), str(path)
    keys = [key.strip() for key in keys if key.strip()]
    if not keys:
        raise CredentialsKeyError(f"the credentials key in {origin} is empty")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise CredentialsKeyError(f"the credentials key in {origin} is not a Fernet key "
                                  "(32 bytes, URL-safe base64: 44 characters)") from None


def _read_or_create_key_file(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CredentialsKeyError(f"cannot read the credentials key file {path}: {exc.strerror}") from None
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: of two workers starting together, one creates the key and the other reads it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_or_create_key_file(path)
    except OSError as exc:
        raise CredentialsKeyError(f"cannot create the credentials key file {path}: {exc.strerror}") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    log.warning("created the credentials key file; back it up: without it the scan profiles' SNMP credentials "
                "cannot be decrypted", extra={"path": str(path)})
    return [key.decode()]


def encrypt_credentials(cipher, entries: list[dict[str, str]]) -> bytes:
    return cipher.encrypt(json.dumps(entries, separators=(",", ":")).encode())


def decrypt_credentials(cipher, token: bytes, profile_name: str) -> list[dict[str, str]]:
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(cipher.decrypt(token))
    except InvalidToken:
        raise CredentialsKeyError(f"cannot decrypt the SNMP credentials of scan profile {profile_name!r}: the "
                                  "credentials key is not the one they were encrypted with") from None


def rotate_token(cipher, token: bytes, profile_name: str) -> bytes:
    """The token re-encrypted with the first key (MultiFernet.rotate)."""
    from cryptography.fernet import InvalidToken

    try:
        return cipher.rotate(token)
    except InvalidToken:
        raise CredentialsKeyError(f"cannot decrypt the SNMP credentials of scan profile {profile_name!r}: none "
                                  "of the credentials keys is the one they were encrypted with") from None
