"""Every filter, test and method call a template makes: its result's bound refused past the cap
before it runs (`alerting.sandbox.estimates`), what it built checked and counted after. Which
filters and methods select rather than build, which need their items counted, and which methods
of the builtin types a template may call at all."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from functools import cache, wraps
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import _PassArg

from alerting.sandbox import estimates
from alerting.sandbox.budget import MAX_RENDERED, bounded, built, current, listed, refuse_past_cap

# Filters whose result is (part of) their input, a number, or a lazy iterator whose items other
# checked calls build: nothing to bound before, nothing new to count after.
SELECTING_FILTERS = frozenset(
    {
        "attr", "count", "d", "default", "first", "items", "last", "length", "map", "max",
        "min", "random", "reject", "rejectattr", "select", "selectattr", "unique",
    }
)  # fmt: skip

# Filters whose bound needs the number of items (a lazy input is listed first, within the budget).
COUNTING_FILTERS = frozenset({"join", "sum"})

# Methods that build at most a few times their inputs.
LINEAR_METHODS = frozenset(
    {
        "capitalize", "casefold", "copy", "decode", "encode", "escape", "hex", "lower", "lstrip",
        "maketrans", "partition", "removeprefix", "removesuffix", "rpartition", "rsplit",
        "rstrip", "split", "splitlines", "strip", "striptags", "swapcase", "title", "unescape",
        "upper",
    }
)  # fmt: skip
# Methods that return a part of their input, a number or a view: nothing new to count.
SELECTING_METHODS = frozenset(
    {
        "as_integer_ratio", "bit_count", "bit_length", "conjugate", "count", "endswith", "find",
        "get", "index", "is_integer", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit",
        "isdisjoint", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
        "istitle", "isupper", "items", "keys", "rfind", "rindex", "startswith", "values",
    }
)  # fmt: skip
# Whose methods are held to these lists and `estimates.METHOD_BOUNDS`; any other method of
# theirs is refused (``(1).to_bytes(10**9, 'big')``, ``{}.fromkeys(...)``).
BUILTIN_TYPES = (str, bytes, bytearray, int, float, list, tuple, dict, set, frozenset)

_PASSED_PARAMETERS = {"context", "eval_ctx", "environment", "env"}


def checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` inside the budget: its result's bound refused past the cap before it runs,
    what it built checked and counted after. Jinja's ``map``, ``select``... call filters and
    tests through the environment, so they reach these too."""
    passed = int(_PassArg.from_obj(function) is not None)  # the context Jinja passes first
    parameters = list(signature(function).parameters)
    # an async-variant filter's signature is its sync function's, which may lack the passed one
    named_from = 0 if passed and parameters and parameters[0] in _PASSED_PARAMETERS else passed
    selects = name in SELECTING_FILTERS

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        current()
        if name in COUNTING_FILTERS and len(args) > passed:
            args = (*args[:passed], listed(args[passed]), *args[passed + 1 :])
        if not selects:
            refuse_past_cap(_filter_bound(name, function, args[named_from:], args[passed:], kwargs))
        result = function(*args, **kwargs)
        return bounded(result) if selects else built(result)

    return checked


def _filter_bound(
    name: str, function: Callable[..., Any], named: tuple[Any, ...], inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> int:
    if name not in estimates.FILTER_BOUNDS:
        return estimates.inputs_bound((*inputs, *kwargs.values()), MAX_RENDERED)
    arguments = bind(function, named, kwargs)
    return 0 if arguments is None else estimates.filter_bound(name, arguments, MAX_RENDERED)


def checked_test(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    stringifies = name in ("lower", "upper")  # str(value) first

    @wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        current()
        if stringifies and args:
            refuse_past_cap(estimates.size_of(args[0], MAX_RENDERED))
        return bounded(function(*args, **kwargs))

    return checked


def builtin_method(obj: Any) -> tuple[Any, str] | None:
    """(its object, its name) when ``obj`` is a method of a str, list, dict... (the sandbox hands
    ``str.format`` out wrapped, its original as ``__wrapped__``)."""
    target = getattr(obj, "__wrapped__", obj)
    owner = getattr(target, "__self__", None)
    if isinstance(owner, BUILTIN_TYPES) or (isinstance(owner, type) and issubclass(owner, BUILTIN_TYPES)):
        return owner, getattr(target, "__name__", "")
    return None


def method_bound(owner: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The bound of ``owner.name(*args, **kwargs)``; a method on no list is refused."""
    if name == "format" and isinstance(owner, str):
        return estimates.format_bound(owner, args, kwargs, MAX_RENDERED)
    if name == "format_map" and isinstance(owner, str) and len(args) == 1 and isinstance(args[0], Mapping):
        return estimates.format_bound(owner, (), args[0], MAX_RENDERED)
    if name in LINEAR_METHODS:
        return estimates.inputs_bound((owner, *args, *kwargs.values()), MAX_RENDERED)
    bound = estimates.METHOD_BOUNDS.get(name)
    if bound is None or not isinstance(owner, str | bytes | bytearray):
        raise SecurityError(f"{type(owner).__name__}.{name}() is not allowed in a template")
    base = next(kind for kind in (str, bytes, bytearray) if isinstance(owner, kind))
    arguments = bind(getattr(base, name), (owner, *args), kwargs)
    return 0 if arguments is None else bound(owner, list(arguments.values())[1:], MAX_RENDERED)


@cache
def signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def bind(function: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The call's arguments by name, defaults filled in; None if they do not fit the signature
    (the call itself then fails)."""
    try:
        bound = signature(function).bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    return dict(bound.arguments)
