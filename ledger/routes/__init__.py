"""HTTP routes of the ledger service."""
