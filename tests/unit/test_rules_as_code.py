"""Rules as code: the folder loader reports every problem with file and field."""

from __future__ import annotations

from pathlib import Path

from alerting.rules_as_code import load_folder, load_policies, main, reference_problems

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


def test_shipped_example_policies_are_valid_and_not_read_as_rules():
    policies, problems = load_policies(ROOT / "rules")
    assert problems == [] and [p.policy_id for p in policies] == ["web-oncall"]
    assert load_folder(ROOT / "rules")[1] == []


def test_policies_sit_beside_rules_and_rules_must_name_declared_ones(tmp_path: Path):
    (tmp_path / "policies.yaml").write_text(POLICY_FILE)
    (tmp_path / "r.yaml").write_text(
        "name: R\nescalation_policy_id: nope\n"
        "conditions:\n  - metric: {namespace: A, name: B}\n    operator: gt\n    threshold: 1\n"
    )
    rules, rule_problems = load_folder(tmp_path)
    policies, policy_problems = load_policies(tmp_path)
    assert (rule_problems, policy_problems) == ([], [])
    assert [(p.file, p.field) for p in reference_problems(rules, policies)] == [("r", "escalation_policy_id")]


def test_an_invalid_policy_names_file_and_field(tmp_path: Path):
    (tmp_path / "p.yaml").write_text(POLICY_FILE.replace("900", "5"))
    _, problems = load_policies(tmp_path)
    assert [(Path(p.file).name, p.field) for p in problems] == [
        ("p.yaml", "escalation_policies[0].levels.0.escalate_after_seconds")
    ]
