"""A screen's form: a pane that scrolls to whichever field or button has the focus."""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll


class Form(VerticalScroll, can_focus=False):
    """Never a stop of its own in the Tab order: a focused pane shows no mark and Enter does
    nothing there, so a person tabbing on from the last button was left on nothing visible.
    It still scrolls to the field or button that has the focus; to its first one (where Tab
    comes round to from the last button), all the way to the top, so the form's title and
    what it says of itself are in view again, not scrolled off above the field."""

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        first = next((w for w in self.screen.focus_chain if self in w.ancestors), None)
        if event.widget is first:
            # After the screen's own scroll to the focused widget, which would centre it.
            self.call_after_refresh(self.scroll_home, animate=False, immediate=True)
