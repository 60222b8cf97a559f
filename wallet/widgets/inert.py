"""Strings from outside (claim values, names, a desk's purpose, URLs, messages) as Textual
content that is never read as markup and sends no control character to the terminal.

Textual reads a ``str`` handed to a Label, Static, Checkbox or DataTable cell as markup
(``[link=…]``, ``[@click=…]``, ``[conceal]``), and passes ESC and C1 controls through to
the terminal (OSC 52 writes the clipboard, OSC 8 makes links, CSI clears or hides text).
Every string the wallet did not write itself goes through ``plain`` or ``cell`` here, which
build it from text made inert by the kernel's ``civicid.console.inert`` (the command line's
too), so both show a hostile string alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.table import Table
from rich.text import Text
from textual.content import Content

from civicid.console import inert

Part = str | tuple[str, str] | Content


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


Fact = tuple[str, str] | tuple[str, str, str]
# A warning's style in a row of facts: its words say it, the colour only repeats them.
WARNING_STYLE: Final = "bold #ff6b6b"


def facts(rows: Sequence[Fact], key_width: int = 10) -> Table:
    """Rows of a word and what it says (and, third, a style for it), the value wrapping under
    itself (a hanging indent, so a long purpose or DID does not run back under the words);
    values are inert."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=key_width, no_wrap=True, style="bold")
    grid.add_column(ratio=1, overflow="fold")
    for key, value, *style in rows:
        grid.add_row(Text(key), Text(inert(value), style=style[0] if style else ""))
    return grid
