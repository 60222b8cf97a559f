"""The app factory every service starts from: its title and version, its OpenAPI description
as it behaves, Swagger UI and ReDoc served locally, the shared error handlers, HEAD answered
wherever GET is, and the Host check of a service that names its hosts (``dispatch``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from civicid import __version__
from civicid.shell import docs, handlers, openapi
from civicid.shell.dispatch import ServiceApp
from civicid.shell.ijson import IJsonRoute


def create_service_app(
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    render_error: handlers.ErrorRenderer | None = None,
    error_headers: Mapping[str, str] | None = None,
    served_names: frozenset[str] | None = None,
    served_once: tuple[str, ...] = (),
) -> FastAPI:
    """A FastAPI app with what every service has; the caller adds its routers.
    ``lifespan`` opens the service's resources (``app.state``) and closes them.
    ``served_names``: the Host names it answers to (``hosts.served_names``; None: any);
    ``served_once``: path prefixes of what a GET spends, where HEAD is refused."""
    app = ServiceApp(
        title=title,
        version=__version__,
        description=description,
        lifespan=lifespan,
        # Served by ``docs`` from local files: the defaults load Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
        # No redirect from a path with a trailing slash: its Location would be built from the
        # request's Host header (an open redirect on the services that do not check Host).
        redirect_slashes=False,
    )
    # Routes added to the app itself read bodies as I-JSON too (routers say so each).
    app.router.route_class = IJsonRoute
    app.served_names = served_names
    app.served_once = served_once
    openapi.install(app, host_checked=served_names is not None)
    handlers.install(app, render=render_error, headers=error_headers)
    app.include_router(docs.router)
    return app
