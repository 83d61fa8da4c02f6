"""SNMP credentials at rest: encrypted with the collector's key, never in the database, logs or reprs."""

import logging
import stat
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from collector.config import load_config
from collector.models import ScanProfile, utcnow
from collector.scanning.crypto import (CredentialsKeyError, credentials_cipher, decrypt_credentials,
                                       encrypt_credentials, key_file_path, rotate_token)
from collector.scanning.profiles import create_profile

COMMUNITY, AUTH, PRIV = "c0mmunity-Zx81", "auth-Pass-7741", "priv-Pass-9902"
CREDENTIALS = [{"version": "2c", "community": COMMUNITY},
               {"version": "3", "user": "scanner", "auth_key": AUTH, "priv_key": PRIV, "auth_protocol": "SHA256"}]


def _create(database, config, **extra):
    with database.write() as session:
        profile = create_profile(session, {"name": "lab", "ranges": ["198.18.0.0/24"], "interface": "eth0",
                                           "credentials": CREDENTIALS, **extra}, config, utcnow())
        return profile.id


def test_key_file_is_created_0600_once_and_logged_without_the_key(config, caplog):
    caplog.set_level(logging.INFO)
    cipher = credentials_cipher(config)
    path = key_file_path(config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert cipher.decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    credentials_cipher(config)  # the second use reads the same file
    created = [r for r in caplog.records if "created the credentials key file" in r.getMessage()]
    assert len(created) == 1 and created[0].path == str(path)
    assert key not in caplog.text


def test_the_key_can_come_from_the_environment_and_is_not_in_the_config_repr(tmp_path):
    key = Fernet.generate_key().decode()
    config = load_config(environ={"STOCKTAKE_CREDENTIALS_KEY": key, "STOCKTAKE_DATA_DIR": str(tmp_path)})
    token = encrypt_credentials(credentials_cipher(config), CREDENTIALS)
    assert Fernet(key.encode()).decrypt(token)
    assert not key_file_path(config).exists()
    assert key not in repr(config)


def test_the_database_holds_no_secret(database, config):
    profile_id = _create(database, config)
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM scan_profiles WHERE id = :id"), {"id": profile_id}).one()
    stored = repr(tuple(row)) + bytes(row.credentials_token).decode()
    for secret in (COMMUNITY, AUTH, PRIV):
        assert secret not in stored
    with database.session() as session:
        profile = session.get(ScanProfile, profile_id)
        assert profile.credentials_summary == [{"name": "credential-1", "version": "2c", "user": None},
                                               {"name": "credential-2", "version": "3", "user": "scanner"}]
        assert repr(profile) == f"ScanProfile(id={profile_id}, name='lab')"
        assert decrypt_credentials(credentials_cipher(config), profile.credentials_token, "lab")[0]["community"] == COMMUNITY


def test_a_wrong_key_is_a_clear_error(database, config):
    profile_id = _create(database, config)
    other = replace(config, credentials_key=Fernet.generate_key().decode())
    with database.session() as session:
        token = session.get(ScanProfile, profile_id).credentials_token
    with pytest.raises(CredentialsKeyError, match="scan profile 'lab': the credentials key is not the one"):
        decrypt_credentials(credentials_cipher(other), token, "lab")


@pytest.mark.parametrize("key", ["not-a-key", ","])
def test_a_malformed_key_is_a_clear_error(config, key):
    with pytest.raises(CredentialsKeyError, match="credentials_key"):
        credentials_cipher(replace(config, credentials_key=key))


def test_a_malformed_key_file_names_the_file(config, tmp_path):
    path = tmp_path / "bad.key"
    path.write_text("# comment\nshort\n")
    with pytest.raises(CredentialsKeyError, match=f"{path} is not a Fernet key"):
        credentials_cipher(replace(config, credentials_key_file=str(path)))


def test_keys_rotate(config):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = encrypt_credentials(credentials_cipher(replace(config, credentials_key=old)), CREDENTIALS)
    both = credentials_cipher(replace(config, credentials_key=f"{new},{old}"))
    assert decrypt_credentials(both, token, "lab") == CREDENTIALS
    rotated = rotate_token(both, token, "lab")
    assert decrypt_credentials(credentials_cipher(replace(config, credentials_key=new)), rotated, "lab")
    with pytest.raises(CredentialsKeyError):
        rotate_token(credentials_cipher(replace(config, credentials_key=new)), token, "lab")
