"""Templates render in a sandbox with a time and size budget; failures are contained."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from alerting.errors import InvalidTemplate
from alerting.samples import channel_sample, rule_sample
from alerting.sandbox import environment
from alerting.sandbox.budget import MAX_RENDERED
from alerting.templating import TemplateFailure, check, render
from tests.factories import make_rule
from tests.unit.channels.builders import make_alert

NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
# Each bomb below would allocate 17 MB to 500 MB in one call; refused, a render stays far below.
SMALL_PEAK = 4 * 2**20


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


# Calls of constants alone, which Jinja would fold while compiling: refused when saved even in a
# branch the sample alert does not take.
CONSTANT_BOMBS = [
    "{{ 'x'|center(50000000)|length }}",
    "{{ 'x'|center(width=50000000)|length }}",
    "{{ 'x'|indent(50000000, first=true)|length }}",
    "{{ ('x\\n' * 5000)|indent('y' * 10000)|length }}",
    "{{ ('x\\r' * 5000)|indent('y' * 10000)|length }}",  # splitlines splits on a carriage return too
    "{{ ('x ' * 5000)|wordwrap(1, wrapstring='y' * 10000)|length }}",
    "{{ ('x' * 10000)|replace('x', 'y' * 5000)|length }}",
    "{{ ('x' * 10000)|replace('', 'y' * 5000)|length }}",  # '' matches between every character
    "{{ (['x' * 10000] * 5000)|join|length }}",  # 5,000 references to one string, 50M once joined
    "{{ '%50000000s'|format('x')|length }}",
    "{{ '%(a)50000000s'|format(a='x')|length }}",
    "{{ '%.50000000f'|format(1.0)|length }}",
    "{{ [1]|batch(5000000, 'x')|list|length }}",
    "{{ [1]|slice(500000)|list|length }}",
    "{{ ('www.a.co ' * 2000)|urlize(target='t' * 10000)|length }}",
    "{{ {'a': ['x']}|tojson(indent=50000000)|length }}",
    "{{ ('%50000000s' % 'x')|length }}",
    "{{ 'x'.center(50000000)|length }}",
    "{{ 'x'.ljust(50000000)|length }}",
    "{{ 'x'.rjust(50000000)|length }}",
    "{{ 'x'.zfill(50000000)|length }}",
    "{{ ('\\t' * 10000).expandtabs(5000)|length }}",
    "{{ ('y' * 10000).join('a' * 5000)|length }}",
    "{{ ('x' * 10000).replace('x', 'y' * 5000)|length }}",
    "{{ ('x' * 10000).translate({120: 'y' * 5000})|length }}",
    "{{ '{:>50000000}'.format('x')|length }}",
    "{{ '{a:>50000000}'.format_map({'a': 'x'})|length }}",
    "{{ 'x'.encode().center(50000000)|length }}",
    "{{ (1).to_bytes(50000000, 'big')|length }}",  # a method on no list
]
# 15,000 characters referenced 1,000 times: small in memory, 15M characters as text.
NESTED = (
    "{% set s = 'x' * 15000 %}{% set a = [s, s, s, s, s, s, s, s, s, s] %}"
    "{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b, b, b, b, b, b, b, b] %}"
)
S = "{% set s = 'x' * 10000 %}"
BOMBS = [
    *CONSTANT_BOMBS,
    "{{ range(5000)|join('y' * 10000)|length }}",
    "{{ range(1000)|map('string')|join('y' * 20000)|length }}",  # a lazy sequence joined
    "{{ range(2500)|map('center', 20000)|list|length }}",  # each call within the cap, not all
    NESTED + "{{ c|string|length }}",
    NESTED + "{{ c|tojson|length }}",
    NESTED + "{{ c|pprint|length }}",
    NESTED + "{{ {'k': c}|xmlattr|length }}",
    NESTED + "{{ {'k': c}|urlencode|length }}",
    NESTED + "{{ c|upper|length }}",
    NESTED + "{{ c is lower }}",
    NESTED + "{{ c }}",
    NESTED + "{{ (c ~ '')|length }}",
    S + "{% set s = s ~ s %}" * 12 + "{{ s|length }}",  # locals double without any call
    S + "{% set s = s + s %}" * 12 + "{{ s|length }}",
    S + "{% set x %}{% for i in range(5000) %}{{ s }}{% endfor %}{% endset %}{{ x|length }}",
    "{% set x %}{% for i in range(20000) %}" + "y" * 2500 + "{% endfor %}{% endset %}{{ x|length }}",
    S + "{% macro m() %}{% for i in range(5000) %}{{ s }}{% endfor %}{% endmacro %}{{ m()|length }}",
    S + "{% filter length %}{% for i in range(5000) %}{{ s }}{% endfor %}{% endfilter %}",
    "{{ lipsum(500, true, 1000, 1001)|length }}",
]


def peak_memory(run: Callable[[], Any]) -> int:
    render("{{ 1 }}", {})  # Jinja loaded before measuring
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("source", BOMBS)
def test_a_template_that_would_build_too_much_fails_before_it_allocates(source: str):
    def attempt() -> None:
        with pytest.raises(TemplateFailure):
            render(source, {})

    assert peak_memory(attempt) < SMALL_PEAK


@pytest.mark.parametrize(
    "source",
    [
        "{{ range(15000)|batch(1)|sum(start=[])|length }}",  # summing lists copies all so far, each item
        "{% set a = ((10 ** 64) ** 64) ** 64 %}{{ (a * a * a * a) > 1 }}",
    ],
)
def test_a_call_that_would_outrun_the_clock_in_one_step_is_refused_before_it_runs(source: str):
    with pytest.raises(TemplateFailure) as raised:
        render(source, {})
    assert "would build a value that is too large" in str(raised.value)


@pytest.mark.parametrize("source", CONSTANT_BOMBS)
def test_check_refuses_a_constant_bomb_in_a_branch_the_sample_does_not_take(source: str):
    untaken = "{% if false %}" + source + "{% endif %}"

    def attempt() -> None:
        with pytest.raises(InvalidTemplate) as raised:
            check(untaken, "annotations.summary", rule_sample(make_rule(), NOW))
        assert raised.value.field == "annotations.summary"
        assert "overruns its budget" in raised.value.message

    assert peak_memory(attempt) < SMALL_PEAK


def test_compiling_a_template_evaluates_none_of_its_filters(monkeypatch: pytest.MonkeyPatch):
    calls: list[int] = []

    def center(value: str, width: int) -> str:
        calls.append(width)
        return value.center(width)

    monkeypatch.setitem(environment.ENV.filters, "center", center)
    environment.ENV.from_string("{% if false %}{{ 'x'|center(5) }}{% endif %}")
    assert calls == []
    assert render("{{ 'x'|center(5) }}", {}) == "  x  "
    assert calls == [5]


def test_check_refuses_a_template_whose_output_on_the_sample_reaches_the_cap():
    with pytest.raises(InvalidTemplate) as raised:
        check("{% for i in range(100000) %}x{% endfor %}", "template.body", channel_sample("ops", "Ops", NOW))
    assert raised.value.field == "template.body"
    assert "20,000-character cap" in raised.value.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ values|map(attribute='value')|join(', ') }}", "85.0, 90.5"),
        ("{{ '%-6s|%5.1f' % (rule_name, value) }} {{ '%(a)s' % {'a': 1} }}", "High  | 85.0 1"),
        ("{{ '{:.1f} {name}'.format(value, name=rule_name) }}", "85.0 High"),
        ("{{ 'a\\nb'|indent(2) }}|{{ 'a\\nb'|indent('> ', first=true) }}", "a\n  b|> a\n> b"),
        ("{{ ('word ' * 3)|wordwrap(5, wrapstring='/') }}", "word/word/word"),
        ("{{ 'x'.center(5, '*') }} {{ '7'.zfill(3) }} {{ rule_name.replace('High', 'Low') }}", "**x** 007 Low"),
        (
            "{{ ', '.join(labels|sort) }} {{ labels.get('team') }} {{ labels.items()|list }}",
            "team web [('team', 'web')]",
        ),
        (
            "{{ values|batch(1, '-')|list|length }} {{ [1, 2, 3]|slice(2)|list }} {{ [[1], [2]]|sum(start=[]) }}",
            "2 [[1, 2], [3]] [1, 2]",
        ),
        ("{{ {'a': [1]}|tojson(indent=1) }}", '{\n "a": [\n  1\n ]\n}'),
        (
            "{{ 'see www.example.com'|urlize }}",
            'see <a href="https://www.example.com" rel="noopener">www.example.com</a>',
        ),
        ("{{ value * 1000 }} {{ 2 ** 10 }} {{ [1] + [2] }} {{ rule_name ~ '!' }}", "85000.0 1024 [1, 2] High!"),
        ("{% set ns = namespace(n=0) %}{% for v in values %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "2"),
        ("{% macro m(x) %}<{{ x }}>{% endmacro %}{% filter upper %}{{ m(rule_name) }}{% endfilter %}", "<HIGH>"),
    ],
)
def test_filters_methods_and_operators_within_the_budget_render_as_jinja_does(source: str, expected: str):
    variables = {
        "rule_name": "High",
        "value": 85.0,
        "labels": {"team": "web"},
        "values": [{"value": 85.0}, {"value": 90.5}],
    }
    assert render(source, variables) == expected


def test_autoescape_blocks_still_escape_output_and_concatenation():
    source = "{% autoescape true %}{{ x }}{{ 'a'|safe ~ x }}{% endautoescape %}{{ x }}"
    assert render(source, {"x": "<b>"}) == "&lt;b&gt;a&lt;b&gt;<b>"


def test_literals_that_double_what_they_hold_are_refused_before_comparing_them():
    """`[a, a]` thirty times in a 1.6 KB template: comparing two such values took 22 s of C with
    no budget check. A literal is a built value: past the size cap it is refused as it is built."""
    doubling = "".join(f"{{% set a{i} = [a{i - 1}, a{i - 1}] %}}" for i in range(1, 31))
    with pytest.raises(TemplateFailure, match="too large"):
        render("{% set a0 = ['x' * 100] %}" + doubling + "{{ a30 == a30[:] }}", {})
    assert render("{% set a, b = (1, 2) %}{{ a }}{{ b }}{{ {'k': [1, 2]}['k'] | join(',') }}", {}) == "121,2"


def test_every_render_of_an_invocation_shares_its_time():
    """A tick of a 500-series fleet rule with 20 slow annotations would take 0.2 s each: the
    tick's renders share one budget, and past it each falls back at once to the default text."""
    from alerting.templating import invocation_budget, render_annotations

    slow = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    alert = make_alert()
    with invocation_budget(0.0):
        with pytest.raises(TemplateFailure, match="time for this tick or batch is spent"):
            render("{{ 1 }}", {})
        assert render_annotations({"summary": "CPU {{ value }}", "slow": slow}, alert) == {}
    assert render("{{ 1 }}", {}) == "1"  # outside, only the render's own budget


def test_invocations_running_at_once_keep_their_own_template_budgets():
    """Locally the handlers run in threads: one invocation's spent budget is not another's."""
    import threading

    from alerting.templating import invocation_budget

    spent_inside = threading.Event()
    done = threading.Event()

    def other_invocation() -> None:
        with invocation_budget(0.0):
            spent_inside.set()
            done.wait(10)

    thread = threading.Thread(target=other_invocation)
    thread.start()
    spent_inside.wait(10)
    with invocation_budget():
        done.set()  # the other invocation ends first: with one global, ours would restore its spent deadline
        thread.join()
        assert render("{{ 1 }}", {}) == "1"
    assert render("{{ 2 }}", {}) == "2"


def test_an_invocations_io_does_not_spend_its_template_time():
    """Only rendering counts: a notifier batch waiting 5 s on a slow webhook still renders."""
    import time

    from alerting.templating import invocation_budget

    with invocation_budget(0.05):
        assert render("{{ 1 }}", {}) == "1"
        time.sleep(0.1)  # a webhook's round trip: no CPU of this thread
        assert render("{{ 2 }}", {}) == "2"
