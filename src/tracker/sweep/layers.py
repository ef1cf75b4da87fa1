"""The rule in force for each candidate row, computed inside the rule's own SQL statement.

`tracker.domain.resolve_rule` answers for one asset; the sweeper needs the same answer for a
million rows at once, so the layering is done in SQL: one LEFT JOIN per layer of
`alert_rules` and a COALESCE from the most specific layer down to `DEFAULT_RULES`.
"""

from __future__ import annotations

from tracker.domain import DEFAULT_RULES, AlertKind


def rule_joins(*, asset_type: str, site: str) -> str:
    """FROM-clause joins that expose `rule.threshold_s`, `rule.severity` and `rule.enabled`.

    `asset_type` and `site` are SQL expressions of the candidate row. Layers, most specific
    first: a row for this type at this site, the site's row, the type's row, a row for every
    type and site, then the default. The table's NULLS NOT DISTINCT unique constraint keeps
    each layer to at most one row, so the joins never multiply candidates. A NULL
    threshold_s keeps the layer below, as an unset field of a `RuleOverride` does.
    """
    layers = {
        "r_type_site": f"r_type_site.asset_type_id = {asset_type} AND r_type_site.site_id = {site}",
        "r_site": f"r_site.asset_type_id IS NULL AND r_site.site_id = {site}",
        "r_type": f"r_type.asset_type_id = {asset_type} AND r_type.site_id IS NULL",
        "r_all": "r_all.asset_type_id IS NULL AND r_all.site_id IS NULL",
    }
    joins = "\n".join(
        f"LEFT JOIN alert_rules {alias} ON {alias}.kind = :kind AND {condition}"
        for alias, condition in layers.items()
    )

    def first_set(column: str, default: str) -> str:
        chain = ", ".join(f"{alias}.{column}" for alias in layers)
        return f"COALESCE({chain}, {default})"

    return f"""{joins}
CROSS JOIN LATERAL (SELECT
    {first_set("threshold_s", "CAST(:default_threshold_s AS bigint)")} AS threshold_s,
    {first_set("severity", "CAST(:default_severity AS text)")} AS severity,
    {first_set("enabled", "CAST(:default_enabled AS boolean)")} AS enabled
) AS rule"""


# A rule fires once its reference time plus its threshold has been reached: the same instant
# `tracker.domain.fires_at` names. A NULL threshold (disabled in effect) never fires.
RULE_FIRES = (
    "rule.enabled AND rule.threshold_s IS NOT NULL "
    "AND {reference} + rule.threshold_s * interval '1 second' <= :now"
)


# The shortest threshold any layer sets for a kind. A row whose reference time is later than
# `now` minus this cannot fire under any layer, so the statements pre-filter on it (on an index
# where there is one) before working out each row's rule. It is read first and passed in as a
# value, because the planner can only estimate how few rows pass a filter it can see.
SHORTEST_THRESHOLD = """SELECT LEAST(CAST(:default_threshold_s AS bigint), min(threshold_s))
FROM alert_rules WHERE kind = :kind"""


def rule_parameters(kind: AlertKind) -> dict[str, object]:
    """The default layer of one kind, from the domain's rules table."""
    rule = DEFAULT_RULES[kind]
    threshold = rule.threshold
    return {
        "kind": kind.value,
        "default_threshold_s": None if threshold is None else int(threshold.total_seconds()),
        "default_severity": rule.severity.value,
        "default_enabled": rule.enabled,
    }
