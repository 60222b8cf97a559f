"""A query parameter given twice, refused on every route a service includes with it."""
# ``async`` on purpose: FastAPI runs a plain ``def`` dependency in its thread pool.

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from civicid.errors import REQUEST_INVALID


async def one_value_each(request: Request) -> None:
    """A query parameter given twice is ``request_invalid`` (a parameter the route takes as a
    list excepted): the framework takes the last (``?seq=1&seq=2`` was a proof of entry 2),
    where a cache or a proxy in front may key on the first."""
    names = [name for name, _ in request.query_params.multi_items()]
    if len(names) == len(set(names)):
        return
    route = request.scope.get("route")
    lists = {
        field.alias
        for field in (route.dependant.query_params if isinstance(route, APIRoute) else ())
        if _is_list(field.field_info.annotation)
    }
    twice = sorted({name for name in names if names.count(name) > 1} - lists)
    if twice:
        raise REQUEST_INVALID(f"query parameter {twice[0]!r} given more than once")


def _is_list(annotation: Any) -> bool:
    """Whether a query parameter of this type is taken as a list (``list[str] | None``)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return (origin or annotation) in (list, tuple, set, frozenset)


OneValueEach = Depends(one_value_each)
