"""``inert``: a string from outside, shown so that nothing in it acts on a terminal. One case
per family of sequences a hostile claim value, name, purpose or message could carry."""

from __future__ import annotations

import unicodedata

import pytest

from civicid.console import inert

FAMILIES = {
    # CSI: clear the screen, home the cursor, conceal what follows, move up and overwrite.
    "csi clear": ("Ada\x1b[2J\x1b[H", "Ada\\x1b[2J\\x1b[H"),
    "csi conceal": ("\x1b[8mNOT accredited\x1b[28m", "\\x1b[8mNOT accredited\\x1b[28m"),
    "csi cursor up": ("x\x1b[1A\x1b[2Kaccredited", "x\\x1b[1A\\x1b[2Kaccredited"),
    # OSC 52: write the clipboard (BEL- or ST-terminated).
    "osc 52 clipboard": ("\x1b]52;c;Y3VybCBldmls\x07", "\\x1b]52;c;Y3VybCBldmls\\x07"),
    # OSC 8: a hyperlink whose text says one thing and whose target is another.
    "osc 8 hyperlink": (
        "\x1b]8;;https://evil.example/\x1b\\gov.example\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.example/\\x1b\\gov.example\\x1b]8;;\\x1b\\",
    ),
    # C1 controls: the 8-bit CSI, OSC and ST some terminals still obey.
    "c1 csi": ("\x9b2J", "\\x9b2J"),
    "c1 osc st": ("\x9d52;c;eA==\x9c", "\\x9d52;c;eA==\\x9c"),
    # C0 that move or ring: carriage return over a line, backspace, bell, NUL, DEL.
    "c0 carriage return": ("valid\rrevoked", "valid\\x0drevoked"),
    "c0 newline and tab": ("Ada\nDecision: eligible\t", "Ada\\x0aDecision: eligible\\x09"),
    "c0 backspace bell nul del": ("a\x08\x07\x00\x7fb", "a\\x08\\x07\\x00\\x7fb"),
    # Bidirectional overrides, embeddings, isolates and marks (CVE-2021-42574).
    "bidi override": ("\u202eexe.txt", "\\u202eexe.txt"),
    "bidi isolate": ("\u2066a\u2067b\u2068c\u2069", "\\u2066a\\u2067b\\u2068c\\u2069"),
    "bidi marks": ("\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"),
    # Invisible text: zero-width space, BOM, tag characters; line and paragraph separators.
    "invisible": ("a\u200bb\ufeffc\U000e0041", "a\\u200bb\\ufeffc\\U000e0041"),
    "separators": ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_is_shown_as_its_escapes(family: str) -> None:
    hostile, shown = FAMILIES[family]
    assert inert(hostile) == shown
    assert all(unicodedata.category(c)[0] not in "CZ" or c == " " for c in inert(hostile))


@pytest.mark.parametrize(
    "text",
    [
        "Ada Lovelace",
        "12 Rue de la Paix, 69002 Lyon",
        "José Ñúñez-Çelik",
        "Ελένη Παπαδοπούλου",
        "محمد\u200cرضا",  # noqa: RUF001 - a Persian name: the ZWNJ joins, it does not act
        "👩\u200d👩\u200d👧",  # an emoji family: ZWJ sequences
        "北京市",
        "a\u00a0b",  # a no-break space is a space
        "\\x1b is written here as text",
    ],
)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert inert(text) == text


def test_anything_is_shown_as_its_text() -> None:
    assert inert(None) == "None" and inert(18) == "18"
    assert inert(b"\x1b") == "b'\\x1b'"  # str() of bytes is its repr: printable
