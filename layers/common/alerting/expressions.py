"""Metric math for a condition: `100 * errors / requests` over the window statistics of its
metrics. A small recursive-descent parser (no `eval`): numbers, metric ids, `+ - * /`,
parentheses and unary minus. Division by zero, a missing operand or a result too large for a
float makes the value missing; a constant too large for one (`1e999`) is refused when parsed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

MAX_DEPTH = 20  # nested parentheses / unary signs: a formula, not a stack overflow
_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[a-z][A-Za-z0-9_]*)|(?P<op>[-+*/()]))")


class ExpressionError(ValueError):
    """The expression is not valid metric math; the message says where."""


@dataclass(frozen=True)
class Unary:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = float | str | Unary | Binary  # a number, a metric id, -operand, left op right


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"unexpected {text[position:].strip()[:10]!r} at position {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("the expression is empty")
        node = self.sum(0)
        if self.at < len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.at][1]!r} after a complete expression")
        return node

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def sum(self, depth: int) -> Node:
        return self.chain(("+", "-"), self.product, depth)

    def product(self, depth: int) -> Node:
        return self.chain(("*", "/"), self.unary, depth)

    def chain(self, operators: tuple[str, str], operand: Callable[[int], Node], depth: int) -> Node:
        """Operands joined by operators of one precedence, left to right: ``a - b - c`` is ``(a - b) - c``."""
        node = operand(depth)
        while self.peek() in operators:
            op = self.tokens[self.at][1]
            self.at += 1
            node = Binary(op, node, operand(depth))
        return node

    def unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"nested deeper than {MAX_DEPTH} levels")
        if self.at >= len(self.tokens):
            raise ExpressionError("the expression ends where an operand is expected")
        kind, text = self.tokens[self.at]
        self.at += 1
        if text in ("-", "+"):
            operand = self.unary(depth + 1)
            return Unary(operand) if text == "-" else operand
        if kind == "number":
            value = float(text)
            if not math.isfinite(value):
                raise ExpressionError(f"the number {text[:20]} is too large")
            return value
        if kind == "name":
            return text
        if text == "(":
            node = self.sum(depth + 1)
            if self.peek() != ")":
                raise ExpressionError("a '(' is not closed")
            self.at += 1
            return node
        raise ExpressionError(f"unexpected {text!r} where an operand is expected")


@cache
def parse(text: str) -> Node:
    return _Parser(text).parse()


def names(node: Node) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, Unary):
        return names(node.operand)
    if isinstance(node, Binary):
        return names(node.left) | names(node.right)
    return set()


def evaluate(node: Node, values: Mapping[str, float | None]) -> float | None:
    """The value, or None when an operand is missing, a division is by zero or a result overflows."""
    if isinstance(node, float):
        return node
    if isinstance(node, str):
        return values.get(node)
    if isinstance(node, Unary):
        inner = evaluate(node.operand, values)
        return None if inner is None else -inner
    left, right = evaluate(node.left, values), evaluate(node.right, values)
    if left is None or right is None:
        return None
    result = _apply(node.op, left, right)
    return result if result is None or math.isfinite(result) else None  # 1e300 * 1e300


def _apply(op: str, left: float, right: float) -> float | None:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    try:
        return None if right == 0 else left / right
    except OverflowError:  # 1e300 / 1e-300
        return None
