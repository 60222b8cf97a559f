"""The audit chain's hashes are over RFC 8785 bytes: the store's quick writer of plain event
bodies gives exactly the canonicalizer's bytes, and leaves it everything else. An event's
``detail`` column is the sorted, compact, ASCII JSON it always was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from civicid.encoding import canonical_json
from civicid.errors import Error
from issuer.store import MAX_EXACT_INT, audit_canonical, audit_detail

STRINGS = [
    "",
    "plain",
    'quote " and backslash \\ and slash /',
    "".join(chr(c) for c in range(0x20)),  # every control character
    "\x7f delete, é, ß, 中文, 𝄞 (beyond the BMP), \u2028 \u2029",
    "<script>&amp;</script>",
]


def body(detail: Any, **members: Any) -> dict[str, Any]:
    return {
        "at": 1_750_000_000,
        "actor": "wallet",
        "action": "credential.issue",
        "subject": None,
        "record": "REG-7",
        "outcome": "ok",
        "detail": detail,
        **members,
    }


def same(value: dict[str, Any]) -> None:
    """The same bytes as the canonicalizer, or the same refusal."""
    try:
        expected = canonical_json(value)
    except Error as refusal:
        with pytest.raises(Error) as info:
            audit_canonical(value)
        assert info.value.code == refusal.code == "json_not_canonicalizable"
        return
    assert audit_canonical(value) == expected


@pytest.mark.parametrize("text", STRINGS)
def test_strings_are_written_as_the_canonicalizer_writes_them(text: str) -> None:
    same(body({"name": text, "list": [text, 1, True, None]}, subject=text, record=text))


@pytest.mark.parametrize(
    "number", [0, 1, -1, 4, MAX_EXACT_INT, -MAX_EXACT_INT, MAX_EXACT_INT + 1, 2**64, 0.5, 1e21]
)
def test_numbers_are_written_as_the_canonicalizer_writes_them(number: float) -> None:
    same(body({"copies": number, "nested": {"seq": [number]}}))


def test_members_are_sorted_as_the_canonicalizer_sorts_them() -> None:
    detail = {"z": 1, "a": 2, "txCode": False, "Z": 3, "_": 4, "€": 5, "𝄞": 6, "\uffff": 7}
    same(body(detail))


def test_what_cannot_be_canonicalized_is_refused_as_before() -> None:
    with pytest.raises(Error) as info:
        audit_canonical(body({"name": "\ud800"}))  # a lone surrogate is not Unicode text
    assert info.value.code == "json_not_canonicalizable"
    same(body({"name": "\ud800"}))


DETAILS = [
    {},
    {"offer": "AbC-_9", "copies": 4, "txCode": True, "none": None},
    *({"name": text, "list": [text, 1, False], text: {"z": 1, "a": [text]}} for text in STRINGS),
    {"copies": MAX_EXACT_INT + 1, "ratio": 0.5, "big": 1e21, "tiny": -(2**64)},  # not plain
    {"z": 1, "a": 2, "Z": 3, "€": 5, "𝄞": 6, "\uffff": 7, "name": "\ud800"},
]


@pytest.mark.parametrize("detail", DETAILS)
def test_a_detail_is_written_as_json_dumps_writes_it_sorted_and_ascii(detail: Any) -> None:
    expected = json.dumps(detail, separators=(",", ":"), sort_keys=True)
    assert audit_detail(detail) == expected
    assert json.loads(audit_detail(detail)) == detail
