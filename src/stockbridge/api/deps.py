"""Request dependencies: the database session (one transaction per request) and the caller.

The session dependency owns the request's transaction: it commits once after the route
has returned and its answer has been serialised, and rolls back if anything raised, so
a failed request never leaves half its writes behind. It runs in FastAPI's ``function``
scope so the commit happens *before* the answer is sent: a failed commit becomes an
error answer, never a success the database did not keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import Principal, authenticate
from stockbridge.api.problems import Forbidden, NotAuthenticated

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key (`stockbridge keys create`), sent as `Authorization: Bearer <key>`.",
)


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise NotAuthenticated("send an API key as 'Authorization: Bearer <key>'")
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise NotAuthenticated("the API key is unknown or revoked")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def writer_principal(principal: CurrentPrincipal) -> Principal:
    if not principal.can_write:
        raise Forbidden(f"an API key with role {principal.role.value!r} may only read")
    return principal


WriterPrincipal = Annotated[Principal, Depends(writer_principal)]


def authorize_by_method(request: Request, principal: CurrentPrincipal) -> None:
    """Guard of the whole ``/api`` tree: a key for everything, a writer's key to change.

    Routes still name ``WriterPrincipal`` where they write; this guard makes a route
    that forgets to do so fail closed instead of open.
    """
    if request.method not in READ_METHODS:
        writer_principal(principal)
