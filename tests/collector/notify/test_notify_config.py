"""Notification settings: webhooks need an http(s) URL and a secret; secrets stay out of repr."""

import pytest

from collector.config import ConfigError, load_config

SECRET = "0123456789abcdef-secret"


def test_webhooks_and_smtp_from_a_file_and_the_environment(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text('[collector]\nsmtp_host = "mail.example.org"\nmail_from = "stocktake@example.org"\n'
                    'smtp_starttls = false\n'
                    '[collector.webhook_urls]\nops = "https://hooks.example.org/T0/secret-path"\n')
    config = load_config(path, environ={"STOCKTAKE_WEBHOOK_SECRETS": f"ops={SECRET}",
                                        "STOCKTAKE_SMTP_PASSWORD": "pw-from-env-123"})
    assert config.webhook("ops") == ("https://hooks.example.org/T0/secret-path", SECRET)
    assert config.webhook("itsm") is None
    assert config.smtp_starttls is False and config.smtp_password == "pw-from-env-123"
    shown = repr(config)
    assert SECRET not in shown and "pw-from-env-123" not in shown and "secret-path" not in shown


@pytest.mark.parametrize("environ, message", [
    ({"STOCKTAKE_WEBHOOK_URLS": "ops=ftp://x.example.org/", "STOCKTAKE_WEBHOOK_SECRETS": f"ops={SECRET}"},
     "webhook_urls.ops must be an http:// or https:// URL"),
    ({"STOCKTAKE_WEBHOOK_URLS": "ops=https://", "STOCKTAKE_WEBHOOK_SECRETS": f"ops={SECRET}"},
     "webhook_urls.ops must be an http:// or https:// URL"),
    ({"STOCKTAKE_WEBHOOK_URLS": "ops=https://x.example.org/"}, "webhook 'ops' needs a secret of at least 16"),
    ({"STOCKTAKE_WEBHOOK_URLS": "ops=https://x.example.org/", "STOCKTAKE_WEBHOOK_SECRETS": "ops=short"},
     "webhook 'ops' needs a secret of at least 16"),
    ({"STOCKTAKE_WEBHOOK_SECRETS": f"ops={SECRET}"}, "webhook_secrets names 'ops', which has no URL"),
    ({"STOCKTAKE_WEBHOOK_URLS": "Ops Team=https://x.example.org/"}, "webhook 'Ops Team': names are"),
    ({"STOCKTAKE_WEBHOOK_URLS": "no-equals-sign"}, "expected name=value pairs"),
    ({"STOCKTAKE_SMTP_HOST": "mail.example.org"}, "mail_from must be an email address"),
    ({"STOCKTAKE_SMTP_STARTTLS": "maybe"}, "expected true or false"),
    ({"STOCKTAKE_SMTP_PORT": "0"}, "smtp_port must be from 1 to 65535"),
    ({"STOCKTAKE_NOTIFY_BACKOFF_MAX_S": "5"}, "notify_backoff_max_s must be at least notify_backoff_base_s"),
    ({"STOCKTAKE_NOTIFY_MAX_ATTEMPTS": "0"}, "notify_max_attempts must be a positive integer"),
])
def test_bad_settings_fail_naming_the_key(environ, message):
    with pytest.raises(ConfigError) as refused:
        load_config(environ=environ)
    assert message in str(refused.value)
    assert SECRET not in str(refused.value)
