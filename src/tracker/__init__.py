"""The domain: assets, identifiers, sites/zones/read points, custody, lifecycle, alerts, recovery.

Pure transition functions plus the Postgres tables and queries that answer the API.
Imports nothing of ours.
"""
