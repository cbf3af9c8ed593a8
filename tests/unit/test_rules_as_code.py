"""Rules as code: the folder loader reports every problem with file and field."""

from __future__ import annotations

from pathlib import Path

from alerting.rules_as_code import load_folder, load_sections, main, reference_problems

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
