"""A screen's form: a pane that scrolls to whichever field or button has the focus."""

from __future__ import annotations

from textual.containers import VerticalScroll


class Form(VerticalScroll, can_focus=False):
    """Never a stop of its own in the Tab order: a focused pane shows no mark and Enter does
    nothing there, so a person tabbing on from the last button was left on nothing visible.
    It still scrolls to the field or button that has the focus. For a form whose focus
    starts in its first field, at the top (a form whose first field sits lower would open
    scrolled to it, its head out of view)."""
