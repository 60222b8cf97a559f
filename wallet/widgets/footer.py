"""The keys of the screen, readable whole at 80 columns.

Textual's footer ends with the command palette's key, which pushed the wallet's own last
key ("^q Quit") out of an 80-column line; the palette (ctrl+p) is listed in the help (?).
The footer is compact (one space between keys, each key still set apart by its colour): the
cards' keys, "a Ask by rule" among them, then fit on one 80-column line.
"""

from __future__ import annotations

from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)
