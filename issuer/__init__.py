"""The issuer service: registers an agency on the ledger, issues SD-JWT VCs, publishes status lists."""
