"""The holder domain: keys, encrypted store, OpenID4VCI/VP clients; no Textual here.

``Wallet.create`` / ``Wallet.open`` give the one object every shell (TUI, CLI, demo) drives.
"""

from wallet.holder.wallet import Wallet

__all__ = ["Wallet"]
