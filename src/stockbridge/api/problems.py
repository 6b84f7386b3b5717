"""RFC 9457 problem details: the one place where errors become HTTP answers.

Every error answer is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance`` (the request path), plus the error's own members
(``available`` and ``requested`` for short stock, ``errors`` for invalid input).

``type`` is ``about:blank`` for plain HTTP errors (unknown route, wrong method) and a
``tag:`` URI naming the error class otherwise (RFC 9457 asks for ``tag:`` URIs where
types are not resolvable web pages), e.g. ``tag:stockbridge,2026:insufficient-stock``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from stockbridge.errors import StockbridgeError

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "tag:stockbridge,2026:"


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; members beyond the standard five depend on the problem type."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class NotAuthenticated(StockbridgeError):
    """No API key, or one that is unknown or revoked (answered with ``WWW-Authenticate``)."""

    status = 401
    title = "Not authenticated"


class Forbidden(StockbridgeError):
    status = 403
    title = "Forbidden"


class PayloadTooLarge(StockbridgeError):
    status = 413
    title = "Payload too large"


class TooManyRequests(StockbridgeError):
    """Answered with ``Retry-After``: the seconds until the caller may send again."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


def _error_headers(error: StockbridgeError) -> dict[str, str] | None:
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after)}
    return None


def problem_type(error_class: type[StockbridgeError]) -> str:
    """``InsufficientStock`` -> ``tag:stockbridge,2026:insufficient-stock``."""
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", error_class.__name__).lower()
    return PROBLEM_TYPE_PREFIX + slug


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str | None,
    type_: str = "about:blank",
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    # Extension members never overwrite the standard ones.
    body.update((key, value) for key, value in (extra or {}).items() if key not in body)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _stockbridge_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StockbridgeError)
    return problem_response(
        request,
        status=error.status,
        title=error.title,
        detail=error.detail,
        type_=problem_type(type(error)),
        extra=error.extra,
        headers=_error_headers(error),
    )


def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Only loc, msg and type: pydantic's ctx/input may hold objects JSON cannot carry.
    errors = [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in error.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        detail=f"{where}: {first['msg']}" if where else str(first["msg"]),
        type_=PROBLEM_TYPE_PREFIX + "invalid-input",
        extra={"errors": errors},
    )


def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    title = HTTPStatus(error.status_code).phrase
    detail = error.detail if error.detail != title else None
    return problem_response(
        request,
        status=error.status_code,
        title=title,
        detail=detail,
        headers=dict(error.headers) if error.headers else None,
    )


@dataclass(frozen=True)
class DatabaseProblem:
    """The fixed answer to one kind of database error; the error itself goes to the log."""

    status: int
    title: str
    detail: str
    slug: str
    headers: dict[str, str] | None = None

    def __call__(self, request: Request, error: Exception) -> JSONResponse:
        logger.warning("%s on %s %s: %s", self.slug, request.method, request.url.path, error)
        return problem_response(
            request,
            status=self.status,
            title=self.title,
            detail=self.detail,
            type_=PROBLEM_TYPE_PREFIX + self.slug,
            headers=self.headers,
        )


DATABASE_PROBLEMS: dict[type[Exception], DatabaseProblem] = {
    # A race past a service's own duplicate check ends here.
    IntegrityError: DatabaseProblem(
        409,
        "Conflict",
        "the change conflicts with data already stored; reload and try again",
        "conflict",
    ),
    DataError: DatabaseProblem(
        422,
        "Invalid input",
        "a value is out of the range the database can store",
        "invalid-input",
    ),
    # SQLite busy past its timeout, or PostgreSQL unreachable: worth retrying, not a bug.
    OperationalError: DatabaseProblem(
        503,
        "Service unavailable",
        "the database is busy or cannot be reached; try again shortly",
        "service-unavailable",
        headers={"Retry-After": "1"},
    ),
}


def _client_disconnected(request: Request, error: Exception) -> JSONResponse:
    """The client went away before its request body was read: nothing was done, and the
    answer reaches nobody. A client's choice, not the server's error."""
    logger.info(
        "client disconnected before its request was read: %s %s",
        request.method,
        request.url.path,
    )
    return problem_response(
        request,
        status=400,
        title="Client disconnected",
        detail="the connection closed before the request body was read",
    )


def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        request,
        status=500,
        title="Internal Server Error",
        detail="an unexpected error occurred; it has been logged",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with problem details."""
    app.add_exception_handler(StockbridgeError, _stockbridge_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    for error_class, answer in DATABASE_PROBLEMS.items():
        app.add_exception_handler(error_class, answer)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem answers with these statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase + " (problem details)",
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
        for status in statuses
    }


def add_problem_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Register ``ProblemDetails`` in an OpenAPI document that refers to it (once: FastAPI
    caches the document and hands back the same dict on every call)."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    if "ProblemDetails" not in schemas:
        schemas["ProblemDetails"] = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    return openapi
