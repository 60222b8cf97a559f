"""The presentation's size bound, exactly at it: a text of the limit's length is parsed (and
refused for what it is), one character more is refused unread as too large."""

from __future__ import annotations

from tests.verifier.attacks import refused
from tests.verifier.world import World
from verifier.checks import MAX_PRESENTATION_CHARS
from verifier.service import Verifier


def test_a_text_of_the_limit_is_read(world: World, verifier: Verifier) -> None:
    text = "A" * MAX_PRESENTATION_CHARS  # no "~": read, and refused as not an SD-JWT
    refused(verifier, text, "sdjwt_malformed", nonce="n" * 24, step="structure")


def test_one_character_more_is_too_large(world: World, verifier: Verifier) -> None:
    text = "A" * (MAX_PRESENTATION_CHARS + 1)
    refused(verifier, text, "presentation_too_large", nonce="n" * 24, step="structure")
