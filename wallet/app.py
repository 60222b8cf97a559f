"""The wallet's Textual app (placeholder until the screens land)."""

from __future__ import annotations

from wallet.settings import WalletSettings


class WalletApp:
    def __init__(self, settings: WalletSettings) -> None:
        self.settings = settings

    def run(self) -> None:
        raise NotImplementedError
