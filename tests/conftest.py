"""Shared fixtures: the official vectors, a fresh data directory per test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).parent / "vectors" / "data"


def load_vector(relative: str) -> Any:
    """Load an official vector file (copied verbatim from the sources in data/README.md)."""
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


@pytest.fixture
def vectors() -> Path:
    return VECTORS
