"""Templates render in a sandbox with a time and size budget; failures are contained."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerting.errors import InvalidTemplate
from alerting.samples import channel_sample, rule_sample
from alerting.templating import MAX_RENDERED, TemplateFailure, check, render
from tests.factories import make_rule

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        # loops over a prebuilt range make no call and read no attribute: each iteration counts
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
        "{% set r = range(100000) %}{% for i in r if i %}{% for j in r if j %}{% endfor %}{% endfor %}",
        "{% set r = range(100000) %}{% for i in r %}{% for j in r|list %}{% endfor %}{% endfor %}",
        "{% set r = range(100000) %}{% for i in r recursive %}{% if i < 2 %}{{ loop(r) }}{% endif %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ 10 ** 100000 }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
    ],
)
def test_hostile_templates_fail_fast_instead_of_hanging_or_escaping(source: str):
    with pytest.raises(TemplateFailure):
        render(source, {})


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}xxxxxxxxxx{% endfor %}",
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}x{% endfor %}{% endfor %}",
        "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{{ loop.index }}{% endfor %}{% endfor %}",
    ],
)
def test_output_is_capped(source: str):
    assert len(render(source, {})) == MAX_RENDERED


def test_ordinary_templates_render():
    assert render("CPU at {{ '%.1f' | format(value) }}% ({{ 'x' * 3 }})", {"value": 91.25}) == "CPU at 91.2% (xxx)"


def test_loops_still_unpack_filter_and_recurse():
    source = "{% for k, v in labels|dictsort %}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% endfor %}"
    assert render(source, {"labels": {"b": "2", "a": "1"}}) == "a=1,b=2"
    nested = "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}{% endfor %}"
    tree = [{"name": "a", "kids": [{"name": "b", "kids": []}]}]
    assert render(nested, {"tree": tree}) == "a(b)"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", "too long"),
        ("{{ value / 0 }}", "ZeroDivisionError"),
        ("{{ alert.no_such_field }}", "UndefinedError"),
        ("{{ value ", "does not parse"),
    ],
)
def test_check_refuses_a_template_that_fails_on_the_sample_naming_the_field(source: str, message: str):
    with pytest.raises(InvalidTemplate) as raised:
        check(source, "annotations.summary", rule_sample(make_rule(), NOW))
    assert raised.value.field == "annotations.summary"
    assert message in raised.value.message


def test_check_accepts_labels_and_annotations_the_sample_lacks():
    sample = channel_sample("ops", "Ops", NOW)
    check(
        "{{ labels.team }} {{ alert.labels.team }} {{ alert.annotations.runbook }} {{ value }}", "template.body", sample
    )


def test_rule_sample_carries_the_rule_at_its_thresholds():
    rule = make_rule(labels={"team": "web"})
    sample = rule_sample(rule, NOW)
    assert (sample.rule_name, sample.labels, sample.series) == ("High CPU", {"team": "web"}, {"Service": "web"})
    assert [(v.threshold, v.value) for v in sample.values] == [(85, 85)]
