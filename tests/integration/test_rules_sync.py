"""Rules as code as a plan and an apply (`make rules-plan`, `make rules-apply`) against the
config table built from the template, with the API beside it: references are refused as the API
refuses them, a change made through the API is not overwritten without --force, and deletes are
of managed resources only, with --prune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alerting import rules_plan
from alerting.cli import main
from alerting.models.common import utcnow
from alerting.repositories.applied import AppliedRecords
from alerting.rule_files import load_folder
from alerting.rules_as_code import ApplyFailed, apply, read_table
from alerting.wiring import ConfigTable
from tests.integration.api.client import ApiClient

ROOT = Path(__file__).parents[2]
SHIPPED_CHANNELS = ("ops-slack", "manager-email", "alice-sms", "bob-sms")  # what rules/ names


def rule(rule_id: str, threshold: float = 90, **fields: Any) -> dict[str, Any]:
    condition = {"metric": {"namespace": "App", "name": "CPU"}, "operator": "gt", "threshold": threshold}
    return {"rule_id": rule_id, "name": rule_id.title(), "conditions": [condition], **fields}


@pytest.fixture
def table(aws: Any) -> str:
    name: str = aws.env("ApiFunction")["CONFIG_TABLE"]
    return name


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    return tmp_path / "rules"


def write(folder: Path, **sections: list[dict[str, Any]]) -> Path:
    """One file holding every section given (rules: a `rules:` list), replacing the folder's."""
    for old in folder.glob("*.yaml"):
        old.unlink()
    (folder / "config.yaml").write_text(yaml.safe_dump(sections))
    return folder


def run(capsys: pytest.CaptureFixture[str], command: str, folder: Path, table: str, *flags: str) -> tuple[int, str]:
    capsys.readouterr()  # what the API printed before (its metrics)
    code = main([command, str(folder), "--table", table, *flags])
    out = capsys.readouterr()
    return code, out.out + out.err


def add_channel(api: ApiClient, channel_id: str) -> None:
    body = {"channel_id": channel_id, "name": channel_id, "type": "webhook", "target": {"url": "https://example.com/h"}}
    assert api.post("/channels", body).status == 201


def test_apply_writes_the_shipped_folder_once_then_plans_nothing(api, table, capsys):
    for channel_id in SHIPPED_CHANNELS:
        add_channel(api, channel_id)

    code, out = run(capsys, "apply", ROOT / "rules", table)

    assert code == 0, out
    assert "Plan: 7 to create, 0 to update, 0 to delete, 0 unchanged." in out
    assert "Applied: 7 created, 0 updated, 0 deleted." in out
    stored = api.get("/rules/high-cpu-usage").body
    assert (stored["version"], stored["labels"]["managed-by"]) == (1, "rules-as-code")
    assert api.get("/escalation-policies/web-oncall").body["levels"][1]["targets"] == [
        {"channel": None, "schedule": "web-primary"}
    ]
    assert run(capsys, "plan", ROOT / "rules", table) == (
        0,
        f"{ROOT / 'rules'} against the table {table}:\nPlan: 0 to create, 0 to update, 0 to delete, 7 unchanged.\n",
    )


REFERRERS = [
    ("rules", "/rules", rule("cpu", channels=["ops", "nobody"])),
    ("rules", "/rules", rule("cpu", escalation_policy_id="nope")),
    (
        "escalation_policies",
        "/escalation-policies",
        {
            "policy_id": "web",
            "name": "Web",
            "levels": [{"targets": [{"schedule": "gone"}], "escalate_after_seconds": 60}],
        },
    ),
    (
        "schedules",
        "/schedules",
        {
            "schedule_id": "primary",
            "name": "Primary",
            "time_zone": "UTC",
            "rotation": {
                "participants": ["ops", "alice"],
                "starts_at": "2026-12-07T09:00:00",
                "shift": {"every": 1, "unit": "weeks"},
            },
        },
    ),
]


@pytest.mark.parametrize(("section", "path", "body"), REFERRERS, ids=["channel", "policy", "schedule", "participant"])
def test_plan_refuses_a_reference_with_the_field_and_message_the_api_answers(
    api, table, folder, capsys, section, path, body
):
    add_channel(api, "ops")
    refused = api.post(path, body)
    assert refused.status == 400
    (error,) = refused.body["errors"]

    code, out = run(capsys, "apply", write(folder, **{section: [body]}), table)

    assert code == 1
    assert f": {error['field']}: {error['message']}\n" in out
    assert "Nothing applied." in out
    created_id = next(value for name, value in body.items() if name.endswith("_id") and name != "escalation_policy_id")
    assert api.get(f"{path}/{created_id}").status == 404


def test_a_rule_may_name_a_policy_the_same_apply_creates_or_one_made_through_the_api(api, table, folder, capsys):
    add_channel(api, "ops")
    policy = {
        "policy_id": "web",
        "name": "Web",
        "levels": [{"targets": [{"channel": "ops"}], "escalate_after_seconds": 60}],
    }
    assert api.post("/escalation-policies", policy | {"policy_id": "api-made"}).status == 201

    code, out = run(
        capsys,
        "apply",
        write(
            folder,
            escalation_policies=[policy],
            rules=[rule("a", escalation_policy_id="web"), rule("b", escalation_policy_id="api-made")],
        ),
        table,
    )

    assert code == 0, out
    assert api.get("/rules/a").body["escalation_policy_id"] == "web"


def test_a_change_made_through_the_api_is_not_overwritten_without_force(api, table, folder, capsys):
    write(folder, rules=[rule("cpu", threshold=90)])
    assert run(capsys, "apply", folder, table)[0] == 0
    edited = api.get("/rules/cpu").body
    edited["conditions"][0]["threshold"] = 70
    assert api.request("PUT", "/rules/cpu", edited).status == 200
    write(folder, rules=[rule("cpu", threshold=95)])

    code, out = run(capsys, "apply", folder, table)

    assert code == 1
    assert (
        "  ~ rule cpu: conditions\n      needs --force: changed outside rules as code since the last apply (version 2"
        in out
    )
    assert "it wrote version 1)" in out
    assert api.get("/rules/cpu").body["conditions"][0]["threshold"] == 70

    code, out = run(capsys, "apply", folder, table, "--force")

    assert code == 0, out
    stored = api.get("/rules/cpu").body
    assert (stored["conditions"][0]["threshold"], stored["version"]) == (95, 3)
    assert run(capsys, "plan", folder, table)[1].endswith("0 to update, 0 to delete, 1 unchanged.\n")


def test_a_resource_made_through_the_api_is_taken_over_only_with_force_unless_it_is_what_the_file_says(
    api, table, folder, capsys
):
    assert api.post("/rules", rule("made", threshold=50)).status == 201
    assert api.post("/rules", rule("same", labels={"managed-by": "rules-as-code"})).status == 201
    write(folder, rules=[rule("made", threshold=60), rule("same")])

    code, out = run(capsys, "plan", folder, table)
    assert code == 1
    assert "  ~ rule made: conditions, labels\n" in out
    assert "      needs --force: not written by rules as code (version 1, updated " in out

    code, out = run(capsys, "apply", folder, table, "--force")
    assert code == 0, out
    assert "Applied: 0 created, 1 updated, 0 deleted, 1 unchanged recorded as managed." in out
    records = AppliedRecords(_dynamodb(), table).all()
    assert sorted(item_id for _, item_id in records) == ["made", "same"]


def _dynamodb() -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


def test_prune_deletes_only_what_rules_as_code_manages(api, table, folder, capsys):
    write(folder, rules=[rule("keep"), rule("gone")])
    assert run(capsys, "apply", folder, table)[0] == 0
    assert api.post("/rules", rule("by-hand")).status == 201
    write(folder, rules=[rule("keep")])

    code, out = run(capsys, "apply", folder, table)
    assert code == 0, out
    assert "  - rule gone   (kept: deletes need --prune)" in out
    assert api.get("/rules/gone").status == 200

    code, out = run(capsys, "apply", folder, table, "--prune")
    assert code == 0, out
    assert "Applied: 0 created, 0 updated, 1 deleted." in out
    assert [api.get(f"/rules/{r}").status for r in ("keep", "gone", "by-hand")] == [200, 404, 200]
    assert ("rule", "gone") not in AppliedRecords(_dynamodb(), table).all()


def test_prune_refuses_to_delete_what_the_api_would_refuse_to_delete(api, table, folder, capsys):
    add_channel(api, "ops")
    policy = {
        "policy_id": "web",
        "name": "Web",
        "levels": [{"targets": [{"channel": "ops"}], "escalate_after_seconds": 60}],
    }
    write(folder, escalation_policies=[policy])
    assert run(capsys, "apply", folder, table)[0] == 0
    assert api.post("/rules", rule("by-hand", escalation_policy_id="web")).status == 201
    assert api.request("DELETE", "/escalation-policies/web").status == 409
    write(folder, rules=[])

    code, out = run(capsys, "apply", folder, table, "--prune")

    assert code == 1
    assert "escalation policy web: -: is used by rule by-hand: cannot be deleted" in out
    assert api.get("/escalation-policies/web").status == 200


def test_prune_of_a_resource_changed_through_the_api_needs_force(api, table, folder, capsys):
    write(folder, rules=[rule("old")])
    assert run(capsys, "apply", folder, table)[0] == 0
    edited = api.get("/rules/old").body | {"name": "Edited by hand"}
    assert api.request("PUT", "/rules/old", edited).status == 200
    write(folder, rules=[rule("new")])

    assert run(capsys, "apply", folder, table, "--prune")[0] == 1
    assert api.get("/rules/old").status == 200
    assert run(capsys, "apply", folder, table, "--prune", "--force")[0] == 0
    assert api.get("/rules/old").status == 404


def test_apply_stops_at_a_change_made_after_the_plan_and_keeps_it(api, table, folder):
    write(folder, rules=[rule("cpu", threshold=90)])
    rules, _ = load_folder(folder)
    config = ConfigTable(_dynamodb(), table)
    first = rules_plan.plan({"rule": [rules_plan.labelled(r) for r in rules]}, read_table(config))
    apply(first, config, utcnow())
    write(folder, rules=[rule("cpu", threshold=95)])
    rules, _ = load_folder(folder)
    second = rules_plan.plan({"rule": [rules_plan.labelled(r) for r in rules]}, read_table(config))
    edited = api.get("/rules/cpu").body
    edited["conditions"][0]["threshold"] = 70
    assert api.request("PUT", "/rules/cpu", edited).status == 200

    with pytest.raises(ApplyFailed, match=r"rule cpu: .*the table changed since the plan"):
        apply(second, config, utcnow())

    assert api.get("/rules/cpu").body["conditions"][0]["threshold"] == 70
