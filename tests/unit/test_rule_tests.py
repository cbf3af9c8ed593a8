"""Rule tests (`alerting-rules test`, `make rules-test`): the notation, the file's errors, the diff,
and the shipped tests of rules/ and of the demo's rules, which run here in `make test`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from alerting.cli import main
from alerting.models.rules import RuleSpec
from alerting.rule_files import load_folder
from alerting.rule_tests.loading import load
from alerting.rule_tests.notation import NotationError, expand
from alerting.rule_tests.runner import run_files
from alerting.validation import field_errors
from alerting_local.demo import demo_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def test_shipped_rule_tests_pass_against_the_rules_folder():
    rules, problems = load_folder(RULES)
    report = run_files(sorted((RULES / "tests").glob("*.yaml")), {r.rule_id: r for r in rules})
    assert problems == []
    assert report.ok, report.render()
    assert len(report.checks) >= 20


def test_demo_rule_tests_pass_against_the_demo_rules():
    files = sorted((ROOT / "local" / "alerting_local" / "rule_tests").glob("*.yaml"))
    report = run_files(files, {r.rule_id: r for r in demo_rules()})
    assert report.ok, report.render()
    assert {c.test.rule.rule_id for c in report.checks} == {r.rule_id for r in demo_rules()}


@pytest.mark.parametrize(
    ("notation", "values"),
    [
        ("-2+4x3", [-2, 2, 6, 10]),  # promtool's own examples
        ("1-2x4", [1, -1, -3, -5, -7]),
        ("1x4", [1, 1, 1, 1, 1]),
        ("1 _x3 2", [1, None, None, None, 2]),
        ("50 60 90x5 _ 40", [50, 60, 90, 90, 90, 90, 90, 90, None, 40]),  # 90x5: 90 and 5 repeats
        ("_", [None]),
        ("_x0 7", [7]),
        ("1.5+0.5x2 1e2 -3", [1.5, 2.0, 2.5, 100, -3]),
        ("  ", []),
    ],
)
def test_expand_reads_promtool_notation(notation, values):
    assert expand(notation) == values


@pytest.mark.parametrize(
    ("notation", "offset", "message"),
    [
        ("50 abc", 3, "not a number"),
        ("50 90xy", 6, "whole number of repeats"),
        ("1+2 3", 0, "a step needs a count"),
        ("1 stale", 2, "no staleness marker"),
        ("_xz", 2, "whole number of repeats"),
        ("1e999", 0, "finite numbers only"),
    ],
)
def test_expand_refuses_malformed_notation_saying_where(notation, offset, message):
    with pytest.raises(NotationError, match=message) as caught:
        expand(notation)
    assert caught.value.offset == offset


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


SERIES = "metric: {namespace: App/Service, name: CPUUtilization, dimensions: {Service: web}}"


def test_malformed_notation_names_file_line_and_column(tmp_path):
    path = write(
        tmp_path,
        f"""
        rule: high-cpu-usage
        series:
          - {SERIES}
            values: "50 60 90xy _ 40"
          - {SERIES}
            values: 1+2 3
        expect:
          - at: 10
        """,
    )
    _, problems = load(path, {r.rule_id: r for r in load_folder(RULES)[0]})
    assert [(p.line, p.column) for p in problems] == [(4, 23), (6, 13), (8, 9)]
    assert problems[0].message == "series.0.values: x must be followed by a whole number of repeats, not 'y'"
    assert str(problems[2]).startswith(f"{path}:8:9: expect.0.at: a duration")


def test_an_inline_rule_is_refused_with_the_field_errors_post_rules_gives(tmp_path):
    body = {
        "name": "Bad",
        "conditions": [{"metric": {"namespace": "A", "name": "B"}, "operator": "gt", "threshold": 1}],
        "breaches_to_fire": 3,
        "out_of": 2,
    }
    path = write(
        tmp_path,
        """
        rule:
          name: Bad
          conditions: [{metric: {namespace: A, name: B}, operator: gt, threshold: 1}]
          breaches_to_fire: 3
          out_of: 2
        series: [{metric: {namespace: A, name: B}, values: "1"}]
        expect: [{at: 1m}]
        """,
    )
    _, problems = load(path, {})
    with pytest.raises(ValidationError) as refused:
        RuleSpec.model_validate(body)
    assert [p.message for p in problems] == [f"{f}: {m}" for f, m in field_errors(refused.value.errors(), "rule.")]
    assert [(p.line, p.column) for p in problems] == [(4, 21), (5, 11)]


def test_an_inline_rule_template_is_test_rendered(tmp_path):
    path = write(
        tmp_path,
        """
        rule:
          name: Bad template
          conditions: [{metric: {namespace: A, name: B}, operator: gt, threshold: 1}]
          annotations: {summary: "{{ value | nosuchfilter }}"}
        series: [{metric: {namespace: A, name: B}, values: "1"}]
        expect: [{at: 1m}]
        """,
    )
    _, problems = load(path, {})
    assert [p.message.split(":")[0] for p in problems] == ["rule.annotations.summary"]


def test_an_unknown_rule_id_and_a_fleet_alert_without_series_are_problems(tmp_path):
    path = write(
        tmp_path,
        """
        tests:
          - rule: no-such-rule
            series: [{metric: {namespace: A, name: B}, values: "1"}]
            expect: [{at: 1m}]
          - rule:
              name: Fleet
              conditions: [{metric: {namespace: A, name: B, dimensions: {Host: "*"}}, operator: gt, threshold: 1}]
            series: [{metric: {namespace: A, name: B, dimensions: {Host: h1}}, values: "5x3"}]
            expect: [{at: 2m, alerts: [{status: firing}]}]
        """,
    )
    tests, problems = load(path, {})
    assert tests == []
    assert [(p.line, p.message) for p in problems] == [
        (2, "tests.0.rule: no rule 'no-such-rule' (known: none)"),
        (9, "tests.1.expect.0.alerts.0.series: a fleet rule's alert names its series"),
    ]


def test_a_mismatch_prints_expected_and_got_and_exits_1(tmp_path, capsys):
    path = write(
        tmp_path,
        f"""
        rule: high-cpu-usage
        series:
          - {SERIES}
            values: "50 60 90x5 _ 40"
        expect:
          - at: 9m
            alerts: [{{status: firing, severity: critical}}]
          - at: 12m
            alerts: [{{status: firing}}]
          - at: 13m
            alerts: []
        """,
    )
    assert main(["test", str(path), "--rules", str(RULES)]) == 1
    err = capsys.readouterr().err
    assert f"FAIL {path}:6: high-cpu-usage #1, at 9m (2026-01-05T00:09:00Z)" in err
    assert "- {series: {Service: web}, kind: threshold, status: firing, severity: critical}   (expected)" in err
    assert "+ {series: {Service: web}, kind: threshold, status: firing, severity: high}   (got)" in err
    assert "observed {Service: web} over 00:03-00:08: CPUUtilization Average ≥ 85: 90" in err
    assert "- {series: {Service: web}, kind: threshold, status: firing}   (expected, missing)" in err
    assert "1 test(s), 3 check(s): 2 failed" in err


def test_the_cli_passes_and_defaults_to_the_tests_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["test"]) == 0
    assert " check(s): 0 failed" in capsys.readouterr().out


def test_rules_folder_does_not_read_its_tests_as_rules(tmp_path):
    (tmp_path / "tests").mkdir()
    write(tmp_path, "name: R\nconditions: [{metric: {namespace: A, name: B}, operator: gt, threshold: 1}]\n", "r.yaml")
    write(tmp_path / "tests", "rule: r\nseries: []\nexpect: []\n")
    rules, problems = load_folder(tmp_path)
    assert ([r.rule_id for r in rules], problems) == (["r"], [])
