"""Problems in a YAML input file, one line each: field path, YAML line, and a suggestion.

Each pydantic error becomes ``threats.raids[0].vehicel: unknown field ...; did you mean
'vehicle'? (line 127)``: the field path written one way (keys joined by dots, list items in
brackets, the tags of discriminated unions left out), the line of the YAML file where that
field is (or, for a missing one, where its parent mapping starts; PyYAML's node marks), and
for a misspelt key the closest field names of the model at that place (``difflib``'s
ratio of at least 0.6, as ``difflib.get_close_matches``). A problem that a model-level
check finds names its field at the start of its message; its line comes from that path.
"""

from __future__ import annotations

import collections.abc
import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

__all__ = [
    "LineIndex",
    "did_you_mean",
    "format_validation_errors",
    "known_fields",
    "problem_line",
    "yaml_line_index",
]

#: Field path (keys and list indices) to its 1-based line in the YAML text.
LineIndex = Mapping[tuple[str | int, ...], int]

_LEADING_PATH = re.compile(r"^([A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_][\w-]*)*)\s*:")
_PATH_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][\w-]*)")


def yaml_line_index(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> dict[
    tuple[str | int, ...], int
]:  # fmt: skip
    """The line (1-based) of every key and list item of a YAML document.

    Parameters
    ----------
    text
        The YAML text (already known to parse).
    loader
        The loader class whose composer builds the node tree.

    Returns
    -------
    dict
        Path (keys as text, list indices as int) to the line where it starts; ``()`` to
        the document's first line. Empty if the text does not compose.
    """
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return {}
    index: dict[tuple[str | int, ...], int] = {}
    stack: list[tuple[tuple[str | int, ...], yaml.Node | None]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if node is None:
            continue
        index.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                index[child] = key.start_mark.line + 1
                stack.append((child, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, i), item) for i, item in enumerate(node.value))
    return index


def format_validation_errors(
    exc: ValidationError,
    data: Any,
    *,
    lines: LineIndex | None = None,
    model: type[BaseModel] | None = None,
) -> list[str]:
    """One line per pydantic error: ``path: what was expected, got what (line N)``.

    Parameters
    ----------
    exc
        The validation error.
    data
        The data that was validated (to tell union tags from keys, and find the model
        of a misspelt key).
    lines
        :func:`yaml_line_index` of the file; None: no line numbers.
    model
        The model validated, for "did you mean" on unknown fields; None: no suggestions.
    """
    out = []
    for error in exc.errors(include_url=False):
        keys, holder = _keys(error["loc"], data, model)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            tag = str((error.get("ctx") or {}).get("discriminator", "kind")).strip("'")
            keys = (*keys, tag)
        message = _describe(error)
        if error["type"] == "extra_forbidden" and keys:
            message += did_you_mean(str(keys[-1]), known_fields(holder))
        if keys:
            out.append(problem_line(keys, message, lines))
            continue
        for part in message.split("\n"):  # a model-level check: one problem a line
            lead = _LEADING_PATH.match(part)
            if lead is None:
                out.append(part)
            else:
                out.append(problem_line(_parse_path(lead[1]), part[lead.end() :].strip(), lines))
    return out


def problem_line(keys: Sequence[str | int], message: str, lines: LineIndex | None) -> str:
    """``path: message (line N)``; the line of the longest prefix of the path in the file."""
    path = _path_text(keys)
    line = _line_of(keys, lines)
    text = f"{path}: {message}" if path else message
    return text if line is None else f"{text} (line {line})"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``candidates`` (difflib ratio >= 0.6;
    a second one only if as close, within 0.05), or ``""``."""
    ranked = sorted(
        ((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in set(candidates)),
        key=lambda rc: (-rc[0], rc[1]),
    )
    close = [c for r, c in ranked[:2] if r >= 0.6 and r >= ranked[0][0] - 0.05]
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def _keys(
    loc: Sequence[int | str], data: Any, model: type[BaseModel] | None = None
) -> tuple[tuple[str | int, ...], Any]:
    """The loc's keys and indices in the file, and the type holding its last key.

    Drops validator wrappers and the tags of discriminated unions: a tag is told from a
    key by the model's union members (their ``kind``), or, without a model, by the
    data's ``kind``.
    """
    keys: list[str | int] = []
    node, tp, holder = data, model, None
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            keys.append(part)
            args = typing.get_args(tp)
            tp = args[0] if args else None
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if part.startswith("function-") or part.endswith("]"):
            continue  # validator wrappers and tagged-union member names
        members = _union_models(tp)
        tagged = [m for m in members if _kind_of(m) == part]
        if tagged:
            tp = tagged[0]
            continue  # the tag of a discriminated union, not a key of the file
        if isinstance(node, Mapping) and part not in node and node.get("kind") == part:
            continue  # the same, told from the data
        if members:
            kind = node.get("kind") if isinstance(node, Mapping) else None
            tp = next((m for m in members if _kind_of(m) == kind), members[0])
        keys.append(part)
        holder = tp
        tp = _child_type(tp, part)
        node = node.get(part) if isinstance(node, Mapping) else None
    return tuple(keys), holder


def _unwrap(tp: Any) -> Any:
    """Annotated[X, ...] and Optional[X] to X (other unions stay)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _union_models(tp: Any) -> list[type[BaseModel]]:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return []
    return [m for a in typing.get_args(tp) if isinstance(m := _unwrap(a), type) and _is_model(m)]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _child_type(tp: Any, key: str) -> Any:
    """The type of ``key`` inside ``tp`` (a model's field, or a mapping's values)."""
    if _is_model(tp):
        field = tp.model_fields.get(key)
        return None if field is None else field.annotation
    if typing.get_origin(tp) in (dict, Mapping, collections.abc.Mapping):
        return typing.get_args(tp)[1]
    return None


def known_fields(holder: Any) -> list[str]:
    """Field names and aliases of a model (empty for anything else)."""
    if not _is_model(holder):
        return []
    names = set(holder.model_fields)
    names |= {f.alias for f in holder.model_fields.values() if f.alias}
    return sorted(names)


def _path_text(keys: Sequence[str | int]) -> str:
    text = ""
    for part in keys:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _parse_path(text: str) -> tuple[str | int, ...]:
    return tuple(
        int(index) if index else name for index, name in _PATH_PART.findall(text)
    )  # fmt: skip


def _line_of(keys: Sequence[str | int], lines: LineIndex | None) -> int | None:
    """The line of the longest prefix of ``keys`` the file has (a missing field: its parent)."""
    if not lines:
        return None
    for n in range(len(keys), 0, -1):
        line = lines.get(tuple(keys[:n]))
        if line is not None:
            return line
    return None


def _kind_of(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("kind")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return (
        args[0] if typing.get_origin(field.annotation) is typing.Literal and args else field.default
    )


_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; `tracklayer schema` lists the fields)"
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        return f"must be {symbol} {ctx.get(key)}, got {got!r}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')}, got {ctx.get('tag')!r}"
    if kind == "union_tag_not_found":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {got!r}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if isinstance(got, Mapping | list):
        return message
    return f"{message[:1].lower()}{message[1:]}, got {got!r}"
