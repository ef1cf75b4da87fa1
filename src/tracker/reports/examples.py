"""Examples of the three reports for the OpenAPI schema: the test fixture's figures
(tests/integration/test_report_figures.py), lists cut to their first entry."""

from typing import Any

VALUE_STREAM: dict[str, Any] = {
    "since": "2026-10-01T00:00:00Z",
    "until": None,
    "sites": None,
    "overall": {
        "key": None,
        "loops": 7,
        "lead_time_p50_s": 360000.0,
        "lead_time_p90_s": 777600.0,
        "bottleneck": "at_custodian",
        "stages": [
            {"stage": "at_home", "loops": 1, "p50_s": 108000.0, "p90_s": 108000.0, "share": None},
            {
                "stage": "outbound_transit",
                "loops": 7,
                "p50_s": 36000.0,
                "p90_s": 136800.0,
                "share": 0.159509,
            },
            {
                "stage": "at_custodian",
                "loops": 7,
                "p50_s": 144000.0,
                "p90_s": 396000.0,
                "share": 0.435583,
            },
            {
                "stage": "return_transit",
                "loops": 6,
                "p50_s": 36000.0,
                "p90_s": 396000.0,
                "share": 0.319018,
            },
            {
                "stage": "in_recovery",
                "loops": 1,
                "p50_s": 108000.0,
                "p90_s": 108000.0,
                "share": 0.03681,
            },
            {
                "stage": "unaccounted",
                "loops": 1,
                "p50_s": 144000.0,
                "p90_s": 144000.0,
                "share": 0.04908,
            },
        ],
    },
    "by_type": None,
    "by_custodian": [
        {
            "key": "acme",
            "loops": 4,
            "lead_time_p50_s": 396000.0,
            "lead_time_p90_s": 734400.0,
            "bottleneck": "in_recovery",
            "stages": [
                {"stage": "at_home", "loops": 0, "p50_s": None, "p90_s": None, "share": None},
                {
                    "stage": "outbound_transit",
                    "loops": 4,
                    "p50_s": 90000.0,
                    "p90_s": 158400.0,
                    "share": 0.207547,
                },
                {
                    "stage": "at_custodian",
                    "loops": 4,
                    "p50_s": 90000.0,
                    "p90_s": 270000.0,
                    "share": 0.283019,
                },
                {
                    "stage": "return_transit",
                    "loops": 4,
                    "p50_s": 54000.0,
                    "p90_s": 525600.0,
                    "share": 0.45283,
                },
                {
                    "stage": "in_recovery",
                    "loops": 1,
                    "p50_s": 108000.0,
                    "p90_s": 108000.0,
                    "share": 0.056604,
                },
                {"stage": "unaccounted", "loops": 0, "p50_s": None, "p90_s": None, "share": 0.0},
            ],
        }
    ],
}

LOSS: dict[str, Any] = {
    "since": "2026-10-01T00:00:00Z",
    "until": None,
    "sites": None,
    "overall": {
        "overdue_count": 4,
        "overdue_value": "1885.00",
        "missing_count": 1,
        "missing_value": "42.50",
        "lost_count": 3,
        "lost_value": "992.50",
    },
    "by_custodian": [
        {
            "overdue_count": 1,
            "overdue_value": "42.50",
            "missing_count": 0,
            "missing_value": "0.00",
            "lost_count": 2,
            "lost_value": "950.00",
            "key": "globex",
        }
    ],
    "by_site": [
        {
            "overdue_count": 0,
            "overdue_value": "0.00",
            "missing_count": 0,
            "missing_value": "0.00",
            "lost_count": 1,
            "lost_value": "900.00",
            "key": "dc2",
        }
    ],
    "weekly": [
        {
            "overdue_count": 1,
            "overdue_value": "42.50",
            "missing_count": 0,
            "missing_value": "0.00",
            "lost_count": 0,
            "lost_value": "0.00",
            "week": "2026-10-05",
        }
    ],
}

RECOVERY: dict[str, Any] = {
    "since": "2026-10-01T00:00:00Z",
    "until": None,
    "sites": None,
    "overall": {
        "cases": 5,
        "value_recovered": "423.70",
        "repair_cost": "17.50",
        "net_value": "406.20",
        "redeployed": 2,
        "redeployment_rate": 0.4,
        "intake_to_decision_p50_s": 64800.0,
        "intake_to_decision_p90_s": 164160.0,
        "intake_to_done_p50_s": 108000.0,
        "intake_to_done_p90_s": 224640.0,
    },
    "by_category": [
        {
            "cases": 1,
            "value_recovered": "300.00",
            "repair_cost": "0.00",
            "net_value": "300.00",
            "redeployed": 0,
            "redeployment_rate": 0.0,
            "intake_to_decision_p50_s": 216000.0,
            "intake_to_decision_p90_s": 216000.0,
            "intake_to_done_p50_s": 259200.0,
            "intake_to_done_p90_s": 259200.0,
            "key": "product_failure",
        }
    ],
    "by_path": [
        {
            "cases": 1,
            "value_recovered": "300.00",
            "repair_cost": "0.00",
            "net_value": "300.00",
            "redeployed": 0,
            "redeployment_rate": 0.0,
            "intake_to_decision_p50_s": 216000.0,
            "intake_to_decision_p90_s": 216000.0,
            "intake_to_done_p50_s": 259200.0,
            "intake_to_done_p90_s": 259200.0,
            "key": "parts",
        }
    ],
    "weekly": [
        {
            "cases": 1,
            "value_recovered": "50.00",
            "repair_cost": "10.00",
            "net_value": "40.00",
            "redeployed": 1,
            "redeployment_rate": 1.0,
            "intake_to_decision_p50_s": 64800.0,
            "intake_to_decision_p90_s": 64800.0,
            "intake_to_done_p50_s": 100800.0,
            "intake_to_done_p90_s": 100800.0,
            "week": "2026-10-05",
        }
    ],
}
