"""Upper bounds, computed from a call's inputs before it runs, on the size of what a filter or a
method called from a template builds: ``alerting.sandbox.calls`` refuses a call whose bound is
past the cap, so ``'x'|center(10**9)`` never allocates its gigabyte.

Sizes count characters once stringified, as `size_of` measures them. A bound counts every
amplification a call's arguments ask for (a width, a count, a separator per item, a prefix per
line, a link attribute per word); the constant factor by which a call may grow its input
(escaping, ``repr``, upper-casing 'ß') is left out, so a call may build a few times the cap
before the check after it refuses the result.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from jinja2.utils import Namespace

# A float printed with ``%f`` or ``{:f}`` takes up to 309 digits before its point.
FLOAT_DIGITS = 330
# Past any cap: the bound of a call whose size its inputs cannot tell (a ``*`` width).
UNBOUNDED = 2**62
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines splits
_WRAP_POINTS = re.compile(r"[\s-]")  # where textwrap may end a line
_SPACES = re.compile(r"\s")
_DIGITS = re.compile(r"\d+")
_FIELD_HEAD = re.compile(r"[.\[]")
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d*)(?:\.(?P<precision>\*|\d*))?[hlL]?(?P<type>.?)", re.S
)


def size_of(value: Any, limit: int, indent: int = 0) -> int:
    """Characters ``value`` may take once stringified, up to just past ``limit`` (measuring stops
    there, so it costs at most ``limit`` steps). A reference shared by many items counts every
    time: ``[s] * 20000`` weighs 20,000 ``s``, as its string would. ``indent`` adds that many
    characters per item and level of nesting (what ``tojson(indent=...)`` prints)."""
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack and total <= limit:
        item, depth = stack.pop()
        total += depth * indent
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1  # at least its decimal digits
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, range):
            total += 1  # lazy: whoever iterates it builds its items one at a time
        elif isinstance(item, Namespace):
            stack.append((object.__getattribute__(item, "_Namespace__attrs"), depth))
        elif isinstance(item, Mapping):
            total += 2 * len(item)
            if total <= limit:
                stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, Collection):
            total += len(item) + 1
            if total <= limit:
                stack.extend((part, depth + 1) for part in item)
        else:
            total += 1
    return total


def _count(value: Any) -> int:
    """A count or width argument (anything else makes the call itself fail)."""
    return max(value, 0) if isinstance(value, int) else 0


def _width(value: Any) -> int:
    """``indent``'s width: a count of spaces, or the string itself."""
    return len(value) if isinstance(value, str) else _count(value)


def _items(value: Any) -> int:
    return len(value) if isinstance(value, Collection) else UNBOUNDED


def _lines(text: Any, limit: int) -> int:
    if isinstance(text, str):
        return sum(map(text.count, _LINE_BREAKS)) + 1
    return size_of(text, limit) + 1


def _wrapped_lines(text: Any, width: Any, limit: int) -> int:
    """Lines ``wordwrap`` may cut ``text`` into: one per place a line may end (a space, a
    hyphen, a line break) plus one per ``width`` characters of words too long to fit."""
    if not isinstance(text, str):
        return size_of(text, limit) + 1
    return len(_WRAP_POINTS.findall(text)) + len(text) // max(_count(width), 1) + 1


def _words(text: Any, limit: int) -> int:
    if not isinstance(text, str):
        return size_of(text, limit) + 1
    return len(_SPACES.findall(text)) + 1


def _replacements(text: Any, old: Any, count: Any, limit: int) -> int:
    if isinstance(text, str) and isinstance(old, str):
        found = text.count(old) if old else len(text) + 1  # '' matches between every character
    else:
        found = size_of(text, limit) + 1
    return min(found, count) if isinstance(count, int) and count >= 0 else found


def _longest(table: Any, limit: int) -> int:
    values: Iterable[Any] = (
        table.values() if isinstance(table, Mapping) else table if isinstance(table, Collection) else ()
    )
    return max((size_of(value, limit) for value in values), default=1)


def _formatted(value: Any, limit: int) -> int:
    return FLOAT_DIGITS if isinstance(value, float) else size_of(value, limit)


def _inputs(limit: int, *values: Any) -> int:
    return sum(size_of(value, limit) for value in values)


def inputs_bound(values: Iterable[Any], limit: int) -> int:
    """The bound of a call that builds at most a few times its inputs."""
    return _inputs(limit, *values)


def binop_bound(operator: str, left: Any, right: Any, limit: int) -> int:
    """``left <operator> right`` for the operators the sandbox intercepts: ``*``, ``**``, ``+``, ``%``."""
    if operator == "*":
        sequence, count = (right, left) if isinstance(left, int) else (left, right)
        if isinstance(count, int) and isinstance(sequence, str | bytes | bytearray | list | tuple):
            return size_of(sequence, limit) * max(count, 0)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int):
            return size_of(left, limit) * max(right, 1)  # right times the digits of left
    elif operator == "%" and isinstance(left, str):
        return printf_bound(left, right, limit)
    return _inputs(limit, left, right)


def printf_bound(template: Any, args: Any, limit: int) -> int:
    """``template % args``: its text, each argument, and every width and precision asked for.
    A ``*`` width is read from the arguments: refused rather than traced."""
    if not isinstance(template, str):
        return _inputs(limit, template, args)
    total = len(template)
    positional = iter(args if isinstance(args, tuple) else (args,))
    for spec in _PRINTF.finditer(template):
        if "*" in (spec["width"], spec["precision"]):
            return UNBOUNDED
        total += int(spec["width"] or 0) + int(spec["precision"] or 0)
        if spec["type"] in ("%", ""):
            continue
        if spec["key"] is None:
            total += _formatted(next(positional, None), limit)
        else:
            total += _formatted(args.get(spec["key"]) if isinstance(args, Mapping) else args, limit)
    return total


def format_bound(template: Any, args: Sequence[Any], kwargs: Mapping[str, Any], limit: int) -> int:
    """``template.format(*args, **kwargs)``: its text, the argument each field reads (an
    attribute or item of it is no larger), and the digits of each field's spec (their sum bounds
    its width and precision). A spec with nested fields is refused."""
    if not isinstance(template, str):
        return size_of(template, limit)
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return len(template)  # the call itself fails the same way
    total = 0
    automatic = iter(args)
    for literal, field, spec, _conversion in fields:
        total += len(literal)
        if field is None:
            continue
        if "{" in (spec or ""):
            return UNBOUNDED
        total += sum(int(digits) for digits in _DIGITS.findall(spec or ""))
        head = _FIELD_HEAD.split(field, maxsplit=1)[0]
        if not head:
            argument = next(automatic, None)
        elif head.isdigit():
            argument = args[int(head)] if int(head) < len(args) else None
        else:
            argument = kwargs.get(head)
        total += _formatted(argument, limit)
    return total


FilterBound = Callable[[Mapping[str, Any], int], int]

# Filters that amplify their input, each with the bound of its result from its arguments (by
# the names Jinja's filters give them). Any other filter that builds a value is bounded by the
# size of all its inputs.
FILTER_BOUNDS: dict[str, FilterBound] = {
    "center": lambda p, limit: _inputs(limit, p["value"]) + _count(p["width"]),
    "indent": lambda p, limit: _inputs(limit, p["s"]) + (_lines(p["s"], limit) + 1) * _width(p["width"]),
    "wordwrap": lambda p, limit: (
        _inputs(limit, p["s"]) + _wrapped_lines(p["s"], p["width"], limit) * len(p["wrapstring"] or "\n")
    ),
    "replace": lambda p, limit: (
        _inputs(limit, p["s"]) + _replacements(p["s"], p["old"], p["count"], limit) * size_of(p["new"], limit)
    ),
    "join": lambda p, limit: _inputs(limit, p["value"]) + _items(p["value"]) * size_of(p["d"], limit),
    "format": lambda p, limit: printf_bound(p["value"], p["kwargs"] or p["args"], limit),
    "batch": lambda p, limit: (
        _inputs(limit, p["value"])
        + (0 if p["fill_with"] is None else _count(p["linecount"]) * size_of(p["fill_with"], limit))
    ),
    "slice": lambda p, limit: _inputs(limit, p["value"]) + _count(p["slices"]) * (1 + size_of(p["fill_with"], limit)),
    # summing lists copies the total so far at every item
    "sum": lambda p, limit: (
        0
        if isinstance(p["start"], int | float)
        else _inputs(limit, p["iterable"], p["start"]) * max(_items(p["iterable"]), 1)
    ),
    # any word may become a link carrying ``target``, ``rel``...
    "urlize": lambda p, limit: (
        _inputs(limit, p["value"])
        + _words(p["value"], limit) * _inputs(limit, *(p[name] or "" for name in ("target", "rel", "extra_schemes")))
    ),
    "tojson": lambda p, limit: size_of(p["value"], limit, _width(p["indent"])),
    "pprint": lambda p, limit: size_of(p["value"], limit, 1),
}


def filter_bound(name: str, arguments: Mapping[str, Any], limit: int) -> int:
    """The bound of filter ``name`` from its arguments by name (any filter of FILTER_BOUNDS)."""
    return FILTER_BOUNDS[name](arguments, limit)


def _expandtabs(owner: Any, a: list[Any], limit: int) -> int:
    tabs: int = owner.count("\t" if isinstance(owner, str) else b"\t")
    return len(owner) + tabs * _count(a[0])


MethodBound = Callable[[Any, list[Any], int], int]

# Methods of the builtin types (str, bytes, list, dict...) that amplify, with the bound of their
# result from their arguments (positional, as bound to the method's signature after ``self``).
# ``format`` and ``format_map`` go through `format_bound`; `calls.LINEAR_METHODS` are bounded by
# their inputs, and a method on neither list is refused.
METHOD_BOUNDS: dict[str, MethodBound] = {
    "center": lambda owner, a, limit: len(owner) + _count(a[0]),
    "ljust": lambda owner, a, limit: len(owner) + _count(a[0]),
    "rjust": lambda owner, a, limit: len(owner) + _count(a[0]),
    "zfill": lambda owner, a, limit: len(owner) + _count(a[0]),
    "expandtabs": _expandtabs,
    "join": lambda owner, a, limit: _inputs(limit, a[0]) + _items(a[0]) * len(owner),
    "replace": lambda owner, a, limit: len(owner) + _replacements(owner, a[0], a[2], limit) * size_of(a[1], limit),
    "translate": lambda owner, a, limit: len(owner) * _longest(a[0], limit),
}
