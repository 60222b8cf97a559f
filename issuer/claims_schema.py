"""A credential type's JSON Schema compiled once into one check of claims that only says yes
when the schema's own validator would find nothing wrong: most offers' claims are valid, and
jsonschema walks a schema keyword by keyword for each of them (~0.1-0.4 ms for the national
ID, the largest part of a clerk's offer after the cryptography).

Only a subset of JSON Schema is compiled, each keyword as jsonschema reads it (drafts 4 to
2020-12 read these alike): ``type`` (string, object, array, boolean, null), ``properties``,
``required``, ``additionalProperties`` (true or false), ``minLength``, ``maxLength``,
``pattern``, ``format`` (by the same format checker), ``items`` (one schema), ``minItems``,
``maxItems``, ``uniqueItems``, ``enum`` (of strings), and annotations. A schema with any
other keyword is not compiled. A "no", or no compiled check, sends the claims to jsonschema,
which decides and names what fails, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

Check = Callable[[Any], bool]

# Keywords that say nothing about validity (annotations).
ANNOTATIONS: Final = frozenset(
    {"$schema", "$comment", "title", "description", "examples", "default", "deprecated"}
    | {"readOnly", "writeOnly"}
)
# JSON types by what jsonschema's type checker takes them to be. Numbers are left out: draft
# 4 and later read 1.0 differently as an integer.
TYPES: Final[dict[str, type]] = {
    "string": str,
    "object": dict,
    "array": list,
    "boolean": bool,
    "null": type(None),
}


class Unsupported(Exception):
    """The schema uses something this compiler does not read: jsonschema alone checks."""


Conforms = Callable[[Any, str], bool]


def compile_schema(schema: Any, conforms: Conforms) -> Check | None:
    """One check for ``schema``; ``conforms(instance, format)`` is the validator's format
    checker's own. None when the schema uses anything outside the subset."""
    try:
        return _Node(schema, conforms).check
    except Unsupported:
        return None


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise Unsupported
    return value


class _Node:
    """One (sub)schema, its keywords read once: ``check`` applies each as jsonschema does
    (a keyword about strings passes what is no string, and so on)."""

    __slots__ = (
        "allowed",
        "conforms",
        "each",
        "formats",
        "kinds",
        "known",
        "max_items",
        "max_length",
        "members",
        "min_items",
        "min_length",
        "required",
        "search",
        "unique",
    )

    def __init__(self, schema: Any, conforms: Conforms) -> None:
        self.conforms = conforms
        self.kinds: tuple[type, ...] | None = None
        self.members: tuple[tuple[str, _Node], ...] = ()
        self.required: tuple[str, ...] = ()
        self.known: frozenset[str] | None = None  # additionalProperties false: these only
        self.min_length = 0
        self.max_length: int | None = None
        self.search: Callable[[str], Any] | None = None
        self.formats: tuple[str, ...] = ()
        self.each: _Node | None = None
        self.min_items = 0
        self.max_items: int | None = None
        self.unique = False
        self.allowed: frozenset[str] | None = None
        if schema is True:
            return
        if not isinstance(schema, dict):
            raise Unsupported  # false (nothing is valid: jsonschema says why), or no schema
        for keyword, value in schema.items():
            if keyword in ANNOTATIONS:
                continue
            if keyword == "type":
                names = value if isinstance(value, list) else [value]
                if not names or any(not isinstance(n, str) or n not in TYPES for n in names):
                    raise Unsupported
                self.kinds = tuple(TYPES[n] for n in names)
            elif keyword == "properties":
                if not isinstance(value, dict):
                    raise Unsupported
                self.members = tuple((name, _Node(sub, conforms)) for name, sub in value.items())
            elif keyword == "required":
                if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                    raise Unsupported
                self.required = tuple(value)
            elif keyword == "additionalProperties":
                if value is False and "patternProperties" not in schema:
                    self.known = frozenset(schema.get("properties", {}))
                elif value is not True:
                    raise Unsupported
            elif keyword == "minLength":
                self.min_length = _count(value)
            elif keyword == "maxLength":
                self.max_length = _count(value)
            elif keyword == "pattern":
                if not isinstance(value, str):
                    raise Unsupported
                try:
                    self.search = re.compile(value).search  # jsonschema: re.search, unanchored
                except re.error as exc:
                    raise Unsupported from exc
            elif keyword == "format":
                if not isinstance(value, str):
                    raise Unsupported
                self.formats = (value,)
            elif keyword == "items":
                if not isinstance(value, dict) and value is not True:
                    raise Unsupported  # an array of schemas (2019-09 and before), or false
                self.each = _Node(value, conforms)
            elif keyword == "minItems":
                self.min_items = _count(value)
            elif keyword == "maxItems":
                self.max_items = _count(value)
            elif keyword == "uniqueItems":
                if not isinstance(value, bool):
                    raise Unsupported
                self.unique = value
            elif keyword == "enum":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise Unsupported
                self.allowed = frozenset(value)
            else:
                raise Unsupported

    def check(self, x: Any) -> bool:
        if self.kinds is not None and not isinstance(x, self.kinds):
            return False
        if self.allowed is not None and not (isinstance(x, str) and x in self.allowed):
            return False
        for name in self.formats:
            if not self.conforms(x, name):
                return False
        if isinstance(x, str):
            if len(x) < self.min_length:
                return False
            if self.max_length is not None and len(x) > self.max_length:
                return False
            return self.search is None or self.search(x) is not None
        if isinstance(x, dict):
            if self.known is not None and not x.keys() <= self.known:
                return False
            for name in self.required:
                if name not in x:
                    return False
            return all(node.check(x[name]) for name, node in self.members if name in x)
        if isinstance(x, list):
            if len(x) < self.min_items:
                return False
            if self.max_items is not None and len(x) > self.max_items:
                return False
            if self.unique and not _unique_strings(x):
                return False
            return self.each is None or all(map(self.each.check, x))
        return True


def _unique_strings(items: list[Any]) -> bool:
    """Unique, when every element is a string (others' equality is jsonschema's to judge:
    ``1`` and ``true`` differ there, not in a Python set)."""
    return all(isinstance(x, str) for x in items) and len(set(items)) == len(items)
