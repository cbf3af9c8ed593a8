"""Templates render in a sandbox with a time and size budget; failures are contained."""

from __future__ import annotations

import pytest

from alerting.templating import MAX_RENDERED, TemplateFailure, render


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ 10 ** 100000 }}",
        "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
    ],
)
def test_hostile_templates_fail_fast_instead_of_hanging_or_escaping(source: str):
    with pytest.raises(TemplateFailure):
        render(source, {})


def test_output_is_capped():
    text = render("{% for a in range(100000) %}xxxxxxxxxx{% endfor %}", {})
    assert len(text) == MAX_RENDERED


def test_ordinary_templates_render():
    assert render("CPU at {{ '%.1f' | format(value) }}% ({{ 'x' * 3 }})", {"value": 91.25}) == "CPU at 91.2% (xxx)"
