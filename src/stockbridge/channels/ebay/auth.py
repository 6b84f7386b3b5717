"""eBay OAuth for one shop: where to talk, the consent URL, code exchange and token refresh.

eBay's authorization-code grant ("Getting user access tokens"): the seller is sent to
``<auth host>/oauth2/authorize`` with ``client_id``, ``redirect_uri`` (the app's RuName,
which eBay maps to the accept URL), ``response_type=code``, ``scope`` and ``state``; the
code that comes back is exchanged, and the access token later refreshed, at
``<api host>/identity/v1/oauth2/token`` with HTTP Basic client authentication. A user
access token lives 2 hours; the refresh token about 18 months, and a refresh answers
no new one.

:class:`TokenKeeper` owns the tokens of one connection: it refreshes shortly before
expiry (and when the client reports an auth failure), hands every new set to
``save_tokens``, and warns when the refresh token is about to run out, since then only
the shop owner can reconnect.

The ``state`` nonce is the caller's (``commerce.channels`` seals and checks it) and
passes through unchanged; a callback without one is refused here.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import httpx

from stockbridge.channels.base import TokenSet
from stockbridge.channels.ebay.schemas import TokenAnswer
from stockbridge.errors import ChannelError, ChannelErrorCategory

log = logging.getLogger(__name__)

TOKEN_PATH = "/identity/v1/oauth2/token"
AUTHORIZE_PATH = "/oauth2/authorize"
#: Refresh this long before the access token runs out, so no call meets an expired one.
REFRESH_MARGIN = timedelta(minutes=5)
#: Warn the shop owner this long before the refresh token runs out.
REFRESH_TOKEN_WARNING = timedelta(days=30)

_SCOPE_ROOT = "https://api.ebay.com/oauth/api_scope"
#: What stockbridge asks the seller to grant: listings, orders, policies, refunds
#: (issueRefund takes ``sell.finances``, not ``sell.fulfillment``), notifications.
SCOPES: tuple[str, ...] = (
    _SCOPE_ROOT,
    f"{_SCOPE_ROOT}/sell.inventory",
    f"{_SCOPE_ROOT}/sell.account",
    f"{_SCOPE_ROOT}/sell.fulfillment",
    f"{_SCOPE_ROOT}/sell.finances",
    f"{_SCOPE_ROOT}/commerce.notification.subscription",
)
#: What an application token (client-credentials grant) is asked for: the Notification
#: API's config, destinations, public keys and application topics take only this.
APPLICATION_SCOPES: tuple[str, ...] = (_SCOPE_ROOT,)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Environment:
    """Where one connection's API and consent page answer."""

    name: str  # "production", "ebay-sandbox" or "stockbridge-sandbox"
    api_base: str
    auth_base: str


PRODUCTION = Environment("production", "https://api.ebay.com", "https://auth.ebay.com")
EBAY_SANDBOX = Environment(
    "ebay-sandbox", "https://api.sandbox.ebay.com", "https://auth.sandbox.ebay.com"
)


def environment_for(base_url: str, credentials: Mapping[str, object]) -> Environment:
    """eBay production, eBay's own sandbox, or a stockbridge sandbox at ``base_url``.

    An empty ``base_url`` means production unless ``credentials["environment"]`` is
    ``"sandbox"``. Any host that is not eBay's is a stockbridge sandbox, which serves
    both the API and the consent page.
    """
    if not base_url.strip():
        return EBAY_SANDBOX if credentials.get("environment") == "sandbox" else PRODUCTION
    host = (urlsplit(base_url.strip()).hostname or "").lower()
    for known in (PRODUCTION, EBAY_SANDBOX):
        if host in {urlsplit(known.api_base).hostname, urlsplit(known.auth_base).hostname}:
            return known
    root = base_url.strip().rstrip("/")
    return Environment("stockbridge-sandbox", root, root)


def authorize_url(
    environment: Environment, client_id: str, redirect: str, scopes: Sequence[str], state: str
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": state,
        }
    )
    return f"{environment.auth_base}{AUTHORIZE_PATH}?{query}"


# --- the token endpoint -------------------------------------------------------------


def _oauth_error(response: httpx.Response, grant: str) -> ChannelError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    if response.status_code >= 500 or response.status_code == 429:
        category = (
            ChannelErrorCategory.RATE_LIMITED
            if response.status_code == 429
            else ChannelErrorCategory.TRANSIENT
        )
    elif error == "invalid_grant" and grant == "authorization_code":
        category = ChannelErrorCategory.VALIDATION  # a bad or used code: start over
    elif error in {"invalid_client", "invalid_grant", "unauthorized_client"}:
        category = ChannelErrorCategory.AUTH_FAILED  # the owner must reconnect
    elif error in {"invalid_scope", "invalid_request", "unsupported_grant_type"}:
        category = ChannelErrorCategory.VALIDATION
    else:
        category = ChannelErrorCategory.CRITICAL
    return ChannelError(
        f"eBay token endpoint ({grant}): {error or response.status_code} {description}".strip(),
        category=category,
        http_status=response.status_code,
        code=error or None,
        retry_after=60.0 if response.status_code == 429 else None,
    )


def token_set(
    answer: TokenAnswer,
    now: datetime,
    previous: TokenSet | None,
    requested: Sequence[str] = (),
) -> TokenSet:
    """A TokenSet from a token answer; a refresh keeps the refresh token it was given.

    eBay's answer names no scopes, so those requested (or held before) are recorded.
    """
    refresh_token = answer.refresh_token or (previous.refresh_token if previous else None)
    if answer.refresh_token_expires_in is not None:
        refresh_expires: datetime | None = now + timedelta(seconds=answer.refresh_token_expires_in)
    else:
        refresh_expires = previous.refresh_expires_at if previous else None
    return TokenSet(
        access_token=answer.access_token,
        access_expires_at=now + timedelta(seconds=answer.expires_in),
        refresh_token=refresh_token,
        refresh_expires_at=refresh_expires,
        scopes=answer.scopes or tuple(requested) or (previous.scopes if previous else ()),
    )


class TokenEndpoint:
    """The two grants stockbridge uses, with HTTP Basic client authentication."""

    def __init__(
        self,
        http: Callable[[], httpx.Client],
        environment: Environment,
        client_id: str,
        client_secret: str,
        spend: Callable[[str], object],
    ) -> None:
        self._http, self._environment = http, environment
        raw = f"{client_id}:{client_secret}".encode()
        self._basic = f"Basic {base64.b64encode(raw).decode()}"
        self._spend = spend

    def _post(self, grant: str, form: Mapping[str, str]) -> TokenAnswer:
        self._spend(f"oauth_{grant}")
        try:
            response = self._http().post(
                f"{self._environment.api_base}{TOKEN_PATH}",
                data={"grant_type": grant, **form},
                headers={"Authorization": self._basic, "Accept": "application/json"},
            )
        except httpx.TransportError as error:
            raise ChannelError(
                f"eBay token endpoint unreachable: {error!r}",
                category=ChannelErrorCategory.TRANSIENT,
            ) from error
        if response.status_code != 200:
            raise _oauth_error(response, grant)
        return TokenAnswer.parse(response.json())

    def exchange_code(self, code: str, redirect: str) -> TokenAnswer:
        return self._post("authorization_code", {"code": code, "redirect_uri": redirect})

    def refresh(self, refresh_token: str, scopes: Sequence[str]) -> TokenAnswer:
        form = {"refresh_token": refresh_token}
        if scopes:
            form["scope"] = " ".join(scopes)
        return self._post("refresh_token", form)

    def application_token(self, scopes: Sequence[str]) -> TokenAnswer:
        return self._post("client_credentials", {"scope": " ".join(scopes)})


class TokenKeeper:
    """The current tokens of one connection; refreshes them and hands new ones on."""

    def __init__(
        self,
        endpoint: TokenEndpoint,
        tokens: TokenSet | None,
        save_tokens: Callable[[TokenSet], None] | None,
        clock: Clock = utc_now,
    ) -> None:
        self._endpoint, self._tokens = endpoint, tokens
        self._save, self._clock = save_tokens, clock

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    def adopt(self, tokens: TokenSet) -> None:
        """Take a fresh set (after a code exchange) and hand it to ``save_tokens``."""
        self._tokens = tokens
        if self._save is not None:
            self._save(tokens)
        self.warn_if_refresh_expiring()

    def access_token(self) -> str:
        """A usable access token, refreshed first when it is about to run out."""
        tokens = self._tokens
        if tokens is None:
            raise ChannelError(
                "this eBay connection has no tokens: connect the account first",
                category=ChannelErrorCategory.AUTH_FAILED,
            )
        expires = tokens.access_expires_at
        if expires is not None and expires - self._clock() <= REFRESH_MARGIN:
            tokens = self.refresh()
        return tokens.access_token

    def refresh(self) -> TokenSet:
        tokens = self._tokens
        if tokens is None or not tokens.refresh_token:
            raise ChannelError(
                "the eBay access token cannot be refreshed (no refresh token): reconnect",
                category=ChannelErrorCategory.AUTH_FAILED,
            )
        answer = self._endpoint.refresh(tokens.refresh_token, tokens.scopes)
        log.info("eBay access token refreshed")
        self.adopt(token_set(answer, self._clock(), tokens))
        assert self._tokens is not None
        return self._tokens

    def refresh_expiry(self) -> tuple[datetime | None, bool]:
        """When the refresh token runs out, and whether that is within the warning window."""
        expires = self._tokens.refresh_expires_at if self._tokens else None
        return expires, expires is not None and expires - self._clock() <= REFRESH_TOKEN_WARNING

    def warn_if_refresh_expiring(self) -> bool:
        expires, soon = self.refresh_expiry()
        if soon and expires is not None:
            log.warning(
                "the eBay refresh token expires on %s: the shop owner must reconnect the account",
                expires.isoformat(),
            )
        return soon


class ApplicationTokens:
    """The app's own access token (client-credentials grant), for calls no seller owns.

    Fetched on first use and again shortly before it runs out, or when a call reports
    it refused; never saved, since a new one costs one call.
    """

    def __init__(self, endpoint: TokenEndpoint, clock: Clock = utc_now) -> None:
        self._endpoint, self._clock = endpoint, clock
        self._tokens: TokenSet | None = None

    def access_token(self) -> str:
        tokens = self._tokens
        expires = tokens.access_expires_at if tokens else None
        if tokens is None or (expires is not None and expires - self._clock() <= REFRESH_MARGIN):
            tokens = self.refresh()
        return tokens.access_token

    def refresh(self) -> TokenSet:
        answer = self._endpoint.application_token(APPLICATION_SCOPES)
        self._tokens = token_set(answer, self._clock(), None, APPLICATION_SCOPES)
        return self._tokens
