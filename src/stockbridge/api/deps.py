"""Request dependencies: the database session (one transaction per request) and the caller.

The session dependency owns the request's transaction: it commits once after the route
has returned and its answer has been serialised, and rolls back if anything raised, so
a failed request never leaves half its writes behind. It runs in FastAPI's ``function``
scope so the commit happens *before* the answer is sent: a failed commit becomes an
error answer, never a success the database did not keep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import Principal, authenticate, record_key_use
from stockbridge.api.problems import Forbidden, NotAuthenticated
from stockbridge.commerce.channels import ChannelContext
from stockbridge.db.engine import mark_no_wait, mark_read_only
from stockbridge.sync.queue import JobQueue

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

logger = logging.getLogger(__name__)

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key (`stockbridge keys create`), sent as `Authorization: Bearer <key>`.",
)


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session, session.begin():
        if request.method in READ_METHODS:
            mark_read_only(session)
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise NotAuthenticated("send an API key as 'Authorization: Bearer <key>'")
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise NotAuthenticated("the API key is unknown or revoked")
    if principal.use_unrecorded:
        _record_use(request, session, principal.key_id)
    return principal


def _record_use(request: Request, session: Session, key_id: int) -> None:
    """Note when a key was last used, without making reads wait for writers.

    A writing request records it in its own transaction; a reading one in a short
    transaction of its own that gives up at once if a writer holds the lock: it is
    bookkeeping, and a read must neither fail nor queue behind a writer for it.
    """
    if request.method not in READ_METHODS:
        record_key_use(session, key_id)
        return
    factory: sessionmaker[Session] = request.app.state.session_factory
    try:
        with factory() as own:
            mark_no_wait(own)
            record_key_use(own, key_id)
            own.commit()
    except OperationalError:
        logger.info("API key %s: last use not recorded, the database is busy", key_id)


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


# --- routes that call a marketplace ---------------------------------------------------
#
# A marketplace call may take seconds; a request transaction held meanwhile would hold
# SQLite's write lock (or the API key's row on PostgreSQL) and stall every stock change.
# Such routes therefore get no request session: the caller is authenticated in a short
# transaction of its own, and the route opens its own short transactions around the call.


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]


def detached_principal(
    request: Request,
    factory: SessionFactoryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, authenticated (and its use recorded) in a transaction already closed."""
    if credentials is None:
        raise NotAuthenticated("send an API key as 'Authorization: Bearer <key>'")
    with factory() as session, session.begin():
        principal = authenticate(session, credentials.credentials)
        if principal is None:
            raise NotAuthenticated("the API key is unknown or revoked")
        if principal.use_unrecorded:
            record_key_use(session, principal.key_id)
    if request.method not in READ_METHODS:
        writer_principal(principal)
    return principal


DetachedPrincipal = Annotated[Principal, Depends(detached_principal)]


def get_channel_context(request: Request) -> ChannelContext:
    context: ChannelContext = request.app.state.channel_context
    return context


ChannelContextDep = Annotated[ChannelContext, Depends(get_channel_context)]


def get_job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]
