"""QR codes for offer links (segno): SVG and PNG for the staff screen, and text for a
terminal. Error correction M: a printed or screen-shown code survives some damage."""

from __future__ import annotations

import io
from typing import Final

import segno

from civicid.encoding import b64_encode

ERROR_CORRECTION: Final = "m"
SCALE: Final = 4  # pixels per module: readable on a phone from a desk screen


def svg(link: str) -> str:
    buffer = io.BytesIO()
    segno.make(link, error=ERROR_CORRECTION).save(buffer, kind="svg", scale=SCALE, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error=ERROR_CORRECTION).save(buffer, kind="png", scale=SCALE)
    return buffer.getvalue()


def png_data_uri(link: str) -> str:
    return "data:image/png;base64," + b64_encode(png(link))


def terminal(link: str) -> str:
    """The code drawn with half-block characters, two modules per character row."""
    buffer = io.StringIO()
    segno.make(link, error=ERROR_CORRECTION).terminal(out=buffer, compact=True)
    return buffer.getvalue()
