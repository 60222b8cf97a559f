"""What a Textual app would write to the terminal for its current screen, read back through
the compositor (the same full-screen update the driver writes, as Textual's own screenshot
reads it), for tests that look at the screen as a person would."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def painted(app: App[None]) -> tuple[str, list[str]]:
    """The bytes a full repaint sends to the terminal, and the screen's text line by line."""
    width, height = app.size
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert update is not None
    console = Console(
        file=io.StringIO(),
        width=width,
        height=height,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    console.print(update)
    terminal = console.file.getvalue()  # type: ignore[attr-defined]
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    return terminal, lines
