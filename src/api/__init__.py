"""The operations API (FastAPI): assets, custody, alerts, config, live stream, ops endpoints."""
