"""Counts as the transparency page says them: grouped in thousands, as a person reads them."""

from __future__ import annotations


def count(number: int) -> str:
    """``131072`` as ``131,072``: the page is in English, where a comma groups thousands.
    Entry numbers a reader types into the page's form are shown as typed, not through this."""
    return f"{number:,}"
