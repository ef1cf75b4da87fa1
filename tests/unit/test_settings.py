from __future__ import annotations

import os
from pathlib import Path

import pytest

from tagtrail.settings import KafkaSecurity, Settings


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("TAGTRAIL_")]:
        monkeypatch.delenv(name)
    settings = Settings(_env_file=None)
    assert settings.db_url() == "postgresql+asyncpg://tagtrail:tagtrail@127.0.0.1:55432/tagtrail"
    assert settings.bootstrap_servers() == "127.0.0.1:59092"
    assert settings.uses_local_stack_db and settings.uses_local_stack_kafka


def test_env_vars_point_at_existing_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_DATABASE_URL", "postgresql+asyncpg://u:s3cret@db.example:5432/x")
    monkeypatch.setenv("TAGTRAIL_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    monkeypatch.setenv("TAGTRAIL_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("TAGTRAIL_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("TAGTRAIL_KAFKA_SASL_USERNAME", "tracker")
    monkeypatch.setenv("TAGTRAIL_KAFKA_SASL_PASSWORD", "hunter2")
    settings = Settings(_env_file=None)
    assert settings.db_url().endswith("@db.example:5432/x")
    assert not settings.uses_local_stack_db
    options = settings.kafka_client_options()
    assert options["bootstrap_servers"] == "k1:9092,k2:9092"
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == "hunter2"
    assert settings.kafka_security_protocol is KafkaSecurity.sasl_plaintext


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAGTRAIL_API_PORT", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("TAGTRAIL_API_PORT=8123\nTAGTRAIL_READS_PARTITIONS=24\n")
    settings = Settings(_env_file=env_file)
    assert settings.api_port == 8123
    assert settings.reads_partitions == 24


def test_masked_view_never_shows_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_DATABASE_URL", "postgresql+asyncpg://u:s3cret@db:5432/x")
    monkeypatch.setenv("TAGTRAIL_KAFKA_SASL_PASSWORD", "hunter2")
    shown = Settings(_env_file=None).masked()
    text = "\n".join(f"{k}={v}" for k, v in shown.items())
    assert "s3cret" not in text
    assert "hunter2" not in text
    assert shown["database_url (effective)"] == "postgresql+asyncpg://u:***@db:5432/x"
    assert shown["kafka_sasl_password"] == "********"


def test_stack_dir_is_made_absolute() -> None:
    assert Settings(_env_file=None, stack_dir=Path("rel/dir")).stack_dir.is_absolute()
