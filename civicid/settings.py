"""Settings shared by every part: where data lives, and the loopback defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import platformdirs

DATA_DIR_ENV: Final = "CIVICID_DATA_DIR"
DEFAULT_HOST: Final = "127.0.0.1"
LEDGER_PORT: Final = 8700
ISSUER_PORT: Final = 8701
VERIFIER_PORT: Final = 8702
WITNESS_PORT: Final = 8703  # the first witness; more on the ports after it
MIRROR_PORT: Final = 8710


def default_data_dir() -> Path:
    """``$CIVICID_DATA_DIR``, else the per-user data directory (e.g. ~/.local/share/civicid)."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("civicid"))
