"""CivicID shared kernel: errors, keys and JOSE, DIDs, Merkle proofs, checkpoints, ledger client.

Nothing in this package imports a web or terminal framework; the four parts build on it.
"""

__version__ = "0.1.0"
