"""Field paths into a scenario mapping: ``space.constellations[name=TRK].planes``.

A path is dot-separated keys, each optionally followed by list selectors: ``[2]`` (the
item at that index) or ``[key=value]`` (the one mapping item whose ``key`` equals
``value`` as text). Setting a path replaces the value there; the last key may be new (an
optional field), every earlier step must exist.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

__all__ = ["PathError", "parse_path", "set_path"]

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\[\]]*)\]")

Token = str | int | tuple[str, str]


class PathError(ValueError):
    """A path is malformed or does not lead anywhere in the mapping."""


def parse_path(path: str) -> list[Token]:
    """Split a path into keys (str), indices (int) and ``(key, value)`` selectors.

    Examples
    --------
    >>> parse_path("space.constellations[name=TRK].planes")
    ['space', 'constellations', ('name', 'TRK'), 'planes']
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or (m.group(0).startswith(".") and pos == 0):
            raise PathError(f"cannot read the path {path!r} at character {pos + 1}")
        key, selector = m.group(1), m.group(2)
        if key is not None:
            if pos > 0 and not m.group(0).startswith("."):
                raise PathError(f"expected '.' or '[' at character {pos + 1} of {path!r}")
            tokens.append(key.strip())
        elif "=" in selector:
            k, _, v = selector.partition("=")
            if not k.strip():
                raise PathError(f"empty key in selector [{selector}] of {path!r}")
            tokens.append((k.strip(), v.strip()))
        else:
            try:
                tokens.append(int(selector))
            except ValueError:
                raise PathError(
                    f"[{selector}] in {path!r}: expected an index [N] or a selector [key=value]"
                ) from None
        pos = m.end()
    if not tokens or not isinstance(tokens[0], str):
        raise PathError(f"a path starts with a field name, got {path!r}")
    return tokens


def _describe(tokens: list[Token]) -> str:
    text = ""
    for t in tokens:
        if isinstance(t, str):
            text += f".{t}" if text else t
        elif isinstance(t, int):
            text += f"[{t}]"
        else:
            text += f"[{t[0]}={t[1]}]"
    return text


def _step(node: Any, token: Token, done: list[Token], path: str) -> tuple[Any, Token]:
    """The child of ``node`` at ``token``, and the token as a concrete key or index."""
    where = _describe(done) or "the top level"
    if isinstance(token, str):
        if not isinstance(node, MutableMapping):
            raise PathError(f"{path}: {where} is not a mapping, cannot take .{token}")
        if token not in node:
            keys = ", ".join(sorted(map(str, node))) or "none"
            raise PathError(f"{path}: {where} has no field {token!r} (it has: {keys})")
        return node[token], token
    if not isinstance(node, list):
        raise PathError(f"{path}: {where} is not a list, cannot select [{_describe([token])}]")
    if isinstance(token, int):
        if not -len(node) <= token < len(node):
            raise PathError(f"{path}: {where} has {len(node)} items, no index {token}")
        index = token % len(node)
        return node[index], index
    key, value = token
    hits = [
        i
        for i, item in enumerate(node)
        if isinstance(item, MutableMapping) and str(item.get(key)) == value
    ]
    if len(hits) != 1:
        found = "no item" if not hits else f"{len(hits)} items"
        raise PathError(f"{path}: {found} of {where} with {key} = {value!r} (need exactly one)")
    return node[hits[0]], hits[0]


def set_path(data: MutableMapping[str, Any], path: str, value: Any) -> str:
    """Set ``value`` at ``path`` in ``data`` (in place).

    Returns
    -------
    str
        The concrete path, with selectors resolved to indices
        (``space.constellations[0].planes``), as validation errors spell it.

    Raises
    ------
    PathError
        The path is malformed, or a step does not exist; the message says which.
    """
    tokens = parse_path(path)
    node: Any = data
    concrete: list[Token] = []
    for token in tokens[:-1]:
        node, key = _step(node, token, concrete, path)
        concrete.append(key)
    last = tokens[-1]
    if isinstance(last, str):
        if not isinstance(node, MutableMapping):
            raise PathError(f"{path}: {_describe(concrete)} is not a mapping, cannot set .{last}")
        node[last] = value  # a new key is fine: validation says if the field is unknown
        concrete.append(last)
    else:
        _, index = _step(node, last, concrete, path)
        node[index] = value
        concrete.append(index)
    return _describe(concrete)
