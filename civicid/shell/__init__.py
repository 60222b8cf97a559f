"""The service shell: what the ledger, issuer and verifier services share at their edge.

An app factory (local API docs, our error bodies), the settings base (TOML file plus
environment), and one hardened server configuration. The only part of the kernel allowed to
import FastAPI, Starlette and uvicorn; nothing else in the kernel imports it. Import the
modules themselves: this package imports nothing, so ``civicid.shell.settings`` costs no web
framework.
"""
