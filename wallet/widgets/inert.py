"""Strings from outside (claim values, names, a desk's purpose, URLs, messages) as Textual
content that is never read as markup and sends no control character to the terminal.

Textual reads a ``str`` handed to a Label, Static, Checkbox or DataTable cell as markup
(``[link=…]``, ``[@click=…]``, ``[conceal]``), and passes ESC and C1 controls through to
the terminal (OSC 52 writes the clipboard, OSC 8 makes links, CSI clears or hides text).
Every string the wallet did not write itself goes through ``plain`` (or ``inert``) here.
"""

from __future__ import annotations

import re
from typing import Final

from rich.text import Text
from textual.content import Content

# C0 and C1 controls (ESC, BEL, CR, the 8-bit CSI 0x9b…), DEL, and the bidirectional
# overrides and isolates that can make text read in another order than it is stored
# (CVE-2021-42574, "Trojan Source"). Newline and tab too: one value is one line, so a
# purpose cannot draw a line of its own that looks like the wallet's "✔ Accredited".
UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

Part = str | tuple[str, str] | Content


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(value: object) -> str:
    """``value`` as one line of text with each control character shown as its escape
    (``\\x1b``), so what was sent can be seen and none of it acts."""
    return UNSAFE.sub(_visible, str(value))


def plain(*parts: Part) -> Content:
    """One line of content from ``parts``: a ``str`` is taken literally (never as markup),
    a ``(text, style)`` pair styles its literal text, a ``Content`` is kept as built."""
    pieces: list[Content | tuple[str, str]] = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, tuple):
            pieces.append((inert(part[0]), part[1]))
        else:
            pieces.append(Content(inert(part)))
    return Content.assemble(*pieces)


def lines(*rows: Content | str) -> Content:
    """Rows (each made by ``plain``, or a literal ``str``) one under the other."""
    return Content("\n").join(r if isinstance(r, Content) else plain(r) for r in rows)


def cell(value: object) -> Text:
    """A DataTable cell: Rich ``Text`` (a ``str`` cell would be read as markup)."""
    return Text(inert(value), end="")
