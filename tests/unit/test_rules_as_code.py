"""Rules as code: the folder loader reports every problem with file and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerting.cli import main
from alerting.kinds import RULE
from alerting.models.policies import EscalationPolicy
from alerting.models.rules import Rule
from alerting.repositories.applied import Applied
from alerting.rule_files import load_folder, load_sections, reference_problems
from alerting.rules_plan import Table, content_digest, labelled, plan
from tests.factories import make_rule

ROOT = Path(__file__).parents[2]


def test_shipped_example_rules_are_valid():
    rules, problems = load_folder(ROOT / "rules")
    assert problems == []
    assert {r.rule_id for r in rules} >= {"high-cpu-usage", "checkout-latency-p99", "checkout-errors"}


def test_validate_reports_every_error_with_file_and_field(tmp_path: Path, capsys):
    (tmp_path / "bad.yaml").write_text(
        "name: Bad\nbreaches_to_fire: 3\nout_of: 2\nwindow_seconds: 90\n"
        "conditions:\n  - metric: {namespace: A, name: B, statistic: Median}\n    operator: gt\n    threshold: x\n"
    )
    (tmp_path / "many.yaml").write_text("rules:\n  - {rule_id: ok, name: Ok, conditions: []}\n")
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    bad = str(tmp_path / "bad.yaml")
    for field in ("window_seconds", "conditions.0.metric.statistic", "conditions.0.threshold"):
        assert f"{bad}: {field}:" in err
    assert f"{tmp_path / 'many.yaml'}: rules[0].conditions:" in err


def test_cross_field_error_names_both_fields(tmp_path: Path):
    (tmp_path / "r.yaml").write_text(
        "name: R\nbreaches_to_fire: 3\nout_of: 2\n"
        "conditions:\n  - metric: {namespace: A, name: B}\n    operator: gt\n    threshold: 1\n"
    )
    _, problems = load_folder(tmp_path)
    assert {p.field for p in problems} == {"breaches_to_fire", "out_of"}


def test_single_rule_file_takes_its_id_from_the_file_name(tmp_path: Path):
    (tmp_path / "Disk_Full.yml").write_text(
        "name: Disk\nconditions:\n  - metric: {namespace: A, name: B}\n    operator: gt\n    threshold: 1\n"
    )
    rules, problems = load_folder(tmp_path)
    assert problems == [] and rules[0].rule_id == "disk-full"


def test_duplicate_ids_across_files_are_reported(tmp_path: Path):
    body = (
        "rule_id: same\nname: R\nconditions:\n  - metric: {namespace: A, name: B}\n    operator: gt\n    threshold: 1\n"
    )
    (tmp_path / "a.yaml").write_text(body)
    (tmp_path / "b.yaml").write_text(body)
    _, problems = load_folder(tmp_path)
    assert [p.field for p in problems] == ["rule_id"]


POLICY_FILE = """
escalation_policies:
  - policy_id: web
    name: Web
    levels:
      - {targets: [{channel: ops}], escalate_after_seconds: 900}
"""


def test_shipped_example_configuration_is_valid_and_not_read_as_rules():
    declared, problems = load_sections(ROOT / "rules")
    assert problems == []
    ids = {key: [item.model_dump()[item.ID_FIELD] for item in items] for key, items in declared.items()}
    assert ids == {
        "schedules": ["web-primary"],
        "escalation_policies": ["web-oncall"],
        "mute_windows": ["sunday-maintenance"],
        "routes": [],
        "inhibitions": ["region-down"],
    }
    assert load_folder(ROOT / "rules")[1] == [] and reference_problems(load_folder(ROOT / "rules")[0], declared) == []


def test_policies_sit_beside_rules_and_references_must_be_declared(tmp_path: Path):
    (tmp_path / "policies.yaml").write_text(
        POLICY_FILE + "      - {targets: [{schedule: nobody}], escalate_after_seconds: 900}\n"
    )
    (tmp_path / "r.yaml").write_text(
        "name: R\nescalation_policy_id: nope\n"
        "conditions:\n  - metric: {namespace: A, name: B}\n    operator: gt\n    threshold: 1\n"
    )
    rules, rule_problems = load_folder(tmp_path)
    declared, section_problems = load_sections(tmp_path)
    assert (rule_problems, section_problems) == ([], [])
    assert [(p.file, p.field) for p in reference_problems(rules, declared)] == [
        ("r", "escalation_policy_id"),
        ("web", "levels"),
    ]


def test_invalid_entries_name_file_and_field(tmp_path: Path):
    (tmp_path / "p.yaml").write_text(POLICY_FILE.replace("900", "5"))
    (tmp_path / "q.yaml").write_text(
        "mute_windows:\n  - {mute_window_id: w, name: W, time_zone: Nowhere/Land,\n"
        "     times: [{start: '01:00', end: '02:00'}]}\n"
        "inhibitions:\n  - {inhibition_id: i, source: [], target: [{label: a, value: b}]}\n"
        "schedules: {}\n"
    )
    _, problems = load_sections(tmp_path)
    assert sorted((Path(p.file).name, p.field) for p in problems) == [
        ("p.yaml", "escalation_policies[0].levels.0.escalate_after_seconds"),
        ("q.yaml", "inhibitions[0].source"),
        ("q.yaml", "mute_windows[0].time_zone"),
        ("q.yaml", "schedules"),
    ]


# -- the plan (make rules-plan): a pure function of the files and the table ----------------------

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def stored(rule: Rule, version: int = 1) -> Rule:
    return rule.model_copy(update={"version": version, "created_at": NOW, "updated_at": NOW})


def applied(item: Rule) -> Applied:
    return Applied(
        kind=RULE.name, item_id=item.rule_id, version=item.version, digest=content_digest(item), applied_at=NOW
    )


def table(
    *items: Rule, records: tuple[Applied, ...] = (), channels: frozenset[str] = frozenset(), **kinds: Any
) -> Table:
    return Table(
        {RULE.name: {r.rule_id: r for r in items}, **kinds},
        channels,
        {(r.kind, r.item_id): r for r in records},
    )


def files(*rules: Rule, **kinds: list[Any]) -> dict[str, list[Any]]:
    return {RULE.name: [labelled(r) for r in rules], **kinds}


def test_plan_lists_creates_updates_with_their_fields_deletes_and_unchanged():
    same, changed, gone = (labelled(make_rule(rule_id=i)) for i in ("same", "changed", "gone"))
    current = table(
        stored(same), stored(changed), stored(gone), records=tuple(applied(stored(r)) for r in (same, changed, gone))
    )

    result = plan(
        files(same, make_rule(rule_id="changed", severity="low", name="New"), make_rule(rule_id="new")), current
    )

    assert [(c.action, c.item_id, c.fields) for c in result.changes] == [
        ("unchanged", "same", ()),
        ("update", "changed", ("name", "severity")),
        ("create", "new", ()),
        ("delete", "gone", ()),
    ]
    assert result.ok and result.blocked == []
    assert result.render().splitlines() == [
        "  ~ rule changed: name, severity",
        "  + rule new",
        "  - rule gone   (kept: deletes need --prune)",
        "Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged (deletes only with --prune).",
    ]


def test_plan_deletes_only_managed_resources_and_only_with_prune():
    by_hand = make_rule(rule_id="by-hand")
    labelled_by_sync = labelled(make_rule(rule_id="old-sync"))  # `sync` labelled, recorded nothing
    recorded = make_rule(rule_id="recorded", labels={})
    current = table(stored(by_hand), stored(labelled_by_sync), stored(recorded), records=(applied(stored(recorded)),))

    kept, pruned = plan(files(), current), plan(files(), current, prune=True, force=True)

    assert [c.item_id for c in kept.of("delete")] == ["old-sync", "recorded"]
    assert "  - rule recorded" in pruned.render().splitlines()
    assert pruned.ok


def test_plan_needs_force_to_overwrite_a_change_made_since_the_last_apply():
    written = stored(labelled(make_rule(rule_id="cpu")))
    by_api = stored(written.model_copy(update={"name": "Renamed by hand"}), version=2)
    current = table(by_api, records=(applied(written),))

    refused = plan(files(make_rule(rule_id="cpu", severity="low")), current)
    forced = plan(files(make_rule(rule_id="cpu", severity="low")), current, force=True)

    assert [c.item_id for c in refused.blocked] == ["cpu"]
    assert not refused.ok
    assert refused.render().splitlines()[1] == (
        "      needs --force: changed outside rules as code since the last apply "
        "(version 2, updated 2026-12-07T09:00:00Z; it wrote version 1)"
    )
    assert forced.ok and "      --force overwrites: changed outside" in forced.render()


def test_plan_needs_force_to_take_over_what_it_never_wrote_but_records_what_is_already_identical():
    made, identical = stored(make_rule(rule_id="made")), stored(labelled(make_rule(rule_id="identical")))

    result = plan(files(make_rule(rule_id="made"), make_rule(rule_id="identical")), table(made, identical))

    assert [(c.action, c.item_id, c.drift is not None) for c in result.changes] == [
        ("update", "made", True),
        ("unchanged", "identical", False),
    ]
    assert result.blocked[0].drift == "not written by rules as code (version 1, updated 2026-12-07T09:00:00Z)"
    assert [c.needs_record for c in result.changes] == [False, True]


def test_plan_of_an_unchanged_resource_with_its_record_writes_nothing():
    rule = stored(labelled(make_rule(rule_id="cpu")))

    result = plan(files(make_rule(rule_id="cpu")), table(rule, records=(applied(rule),)))

    assert [c.needs_record for c in result.changes] == [False]
    assert result.render() == "Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged."


POLICY = EscalationPolicy.model_validate(
    {"policy_id": "web", "name": "Web", "levels": [{"targets": [{"channel": "ops"}], "escalate_after_seconds": 60}]}
)


def test_plan_checks_references_against_the_table_as_it_will_be():
    rules = files(
        make_rule(rule_id="a", channels=["ops", "nobody"], escalation_policy_id="web"),
        make_rule(rule_id="b", escalation_policy_id="gone"),
        policy=[POLICY],
    )

    result = plan(rules, table(channels=frozenset({"ops"})))

    assert [str(p) for p in result.problems] == [
        "rule a: channels.1: no channel 'nobody'",
        "rule b: escalation_policy_id: no escalation policy 'gone'",
    ]
    assert not result.ok


def test_plan_refuses_to_prune_what_something_outside_it_still_uses():
    policy = POLICY.model_copy(update={"created_at": NOW, "updated_at": NOW})
    record = Applied(kind="policy", item_id="web", version=1, digest=content_digest(policy), applied_at=NOW)
    user = stored(make_rule(rule_id="by-hand", escalation_policy_id="web"))
    current = table(user, records=(record,), channels=frozenset({"ops"}), policy={"web": policy})

    result = plan(files(), current, prune=True)

    assert [str(p) for p in result.problems] == ["escalation policy web: -: is used by rule by-hand: cannot be deleted"]
    assert plan(files(), current).problems == []  # without --prune nothing is deleted
