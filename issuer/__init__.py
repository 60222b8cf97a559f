"""The issuer service: registers an agency, issues SD-JWT VCs, publishes status lists."""
