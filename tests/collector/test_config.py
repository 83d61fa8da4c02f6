import pytest

from collector.config import ConfigError, load_config


def test_defaults_use_sqlite_in_the_data_dir(tmp_path):
    config = load_config(environ={"STOCKTAKE_DATA_DIR": str(tmp_path)})
    assert config.effective_database_url == f"sqlite:///{tmp_path / 'stocktake.db'}"
    assert config.max_body_bytes == 16 * 1024 * 1024


def test_toml_file_then_environment_override(tmp_path):
    path = tmp_path / "collector.toml"
    path.write_text('[collector]\ndatabase_url = "postgresql+psycopg://db/x"\nmax_body_bytes = 1024\n')
    config = load_config(path, environ={"STOCKTAKE_MAX_BODY_BYTES": "2048"})
    assert config.database_url == "postgresql+psycopg://db/x"
    assert config.max_body_bytes == 2048


@pytest.mark.parametrize(
    "toml, message",
    [
        ("max_body_bytes = 'lots'", "max_body_bytes: expected an integer"),
        ("max_body_bytes = 0", "max_body_bytes must be a positive integer"),
        ("databse_url = 'sqlite://'", "unknown setting 'databse_url'"),
        ("database_url = 'mysql://x'", "database_url must be"),
        ("log_format = 'xml'", "log_format must be"),
        ("this is not toml", "not valid TOML"),
        ("max_clock_skew_s = -1", "max_clock_skew_s must be from 0 to"),
        ("max_clock_skew_s = 3600", "max_clock_skew_s must be from 0 to"),
    ],
)
def test_bad_config_names_the_key(tmp_path, toml, message):
    path = tmp_path / "collector.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", environ={})
