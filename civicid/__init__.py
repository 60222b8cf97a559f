"""CivicID shared kernel: errors, keys and JOSE, DIDs, Merkle proofs, checkpoints, ledger client.

Nothing in this package imports a terminal framework, and only ``civicid.shell`` (the
services' shared edge) a web framework; the four parts build on it.
"""

__version__ = "0.1.0"
