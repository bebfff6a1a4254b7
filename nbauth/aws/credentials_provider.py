"""The built-in credentials provider: identity-pool credentials with cached identity ids.

It implements Amplify's ``CredentialsAndIdentityIdProvider`` against a
Cognito identity pool (enhanced flow: ``GetId`` then
``GetCredentialsForIdentity``):

* the identity id is cached per pool and login in the storage backend, so a
  warm start costs one call;
* whatever ``IdentityId`` the service answers with is adopted (identities
  merge when a user links a second login);
* a cached id the service no longer accepts ("Access to Identity … is
  forbidden", or not found) is dropped and a new one fetched, once;
* transient failures (network, 5xx, throttling) never touch the cache.

The credentials are cached too, as the AWS CLI caches them: one JSON record per pool and login
under :meth:`~IdentityPoolCredentialsProvider.credentials_key` (the store keeps it 0600), so a
new kernel or process whose cached credentials are still good needs **no** call at all::

    {"version": 1, "IdentityId": "eu-west-1:…", "FetchedAt": "2026-…Z",
     "Credentials": {"AccessKeyId": "…", "SecretAccessKey": "…", "SessionToken": "…",
                     "Expiration": "2026-…Z"}}

* **Key**: ``nbauth.credentials.<pool>.<Logins key>.<subject>`` (``….guest`` for a guest; a
  token without a subject — an opaque one — is keyed by a hash of the token), plus
  ``.role=<arn>`` for a custom role and ``.id=<identity id>`` for a developer-provided identity
  id, so credentials are only ever reused for the same login, role and identity.
* **Usable**: more than ``min(min_valid_seconds, lifetime / 2)`` left before the record's
  expiry (and never within the refresh engine's expiry skew), where ``lifetime`` is the record's
  ``Expiration - FetchedAt``. The credentials pipeline passes the engine's margin + jitter: a
  record it adopts is "fresh" for the engine, which would otherwise refresh again at once; the
  ``lifetime / 2`` cap is the engine's own cap, so short-lived credentials are shared too.
* **Refresh**: under :func:`~nbauth.core.storage_lock.storage_lock` on the record's key,
  *re-read* (another process may just have refreshed), else ``GetCredentialsForIdentity``
  (``GetId`` only without a cached identity id), *write*. One refresh across threads and
  processes.
* ``replacing`` (the access key of credentials being replaced — stale, or rejected by AWS) is
  never adopted from the cache; ``force_refresh`` skips the cache except a record *other* than
  ``replacing`` (another process refreshed after the rejected credentials were issued).
* A corrupt or truncated record is treated as absent and overwritten; a store that cannot be
  written (or locked) costs the sharing, never the credentials (one warning, no secret).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core.jwt import decode_jwt
from ..core.logins import logins_key_from_issuer
from ..core.storage import KeyValueStorage
from ..core.storage_lock import LockTimeoutError, storage_lock
from ..core.values import AuthTokens, AWSCredentials, CredentialsAndIdentityId
from ..errors import IdentityForbiddenError, IdentityNotFoundError, InvalidTokenError
from .identity_pool import IdentityPoolClient

__all__ = ["IdentityPoolCredentialsProvider", "logins_for_tokens"]

log = logging.getLogger("nbauth.identity_pool")

_GUEST = "guest"
_RECORD_VERSION = 1
#: Cached credentials this close to their expiry (capped at a tenth of their lifetime) are
#: never handed out: the refresh engine's own expiry skew.
EXPIRY_SKEW_SECONDS = 10.0
#: How long a refresh waits for another thread or process refreshing the same credentials.
LOCK_TIMEOUT_SECONDS = 30.0


def logins_for_tokens(tokens: AuthTokens, logins_key: str | None = None) -> dict[str, str]:
    """The Logins map for a signed-in user's tokens: key from ``iss`` unless given."""
    token = tokens.federation_token
    if logins_key is None:
        issuer = token.issuer
        if not issuer:
            raise InvalidTokenError(
                "The token has no 'iss' claim, so nbauth cannot tell which provider issued it.",
                "Return an ID token from your token provider, or federate with an explicit "
                "provider.",
            )
        logins_key = logins_key_from_issuer(issuer)
    return {logins_key: token.to_string()}


def _subject(token: str) -> str | None:
    try:
        return decode_jwt(token).subject or None
    except InvalidTokenError:
        return None  # an opaque token (e.g. Facebook's)


def _iso(epoch: float) -> str:
    moment = _dt.datetime.fromtimestamp(epoch, tz=_dt.timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def _epoch(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


class _Record:
    """One cached credentials record, parsed; ``parse`` answers ``None`` for anything torn."""

    def __init__(self, result: CredentialsAndIdentityId, fetched_at: float | None) -> None:
        self.result = result
        self.fetched_at = fetched_at

    @property
    def access_key_id(self) -> str:
        return self.result.credentials.access_key_id

    @classmethod
    def parse(cls, raw: str | None) -> _Record | None:
        if raw is None:
            return None
        try:
            data: Any = json.loads(raw)
            creds = data["Credentials"]
            identity_id, key, secret = (
                data["IdentityId"],
                creds["AccessKeyId"],
                creds["SecretAccessKey"],
            )
            token = creds.get("SessionToken")
            expires_at = _epoch(creds["Expiration"])
            if data.get("version") != _RECORD_VERSION or expires_at is None:
                return None
            if not all(isinstance(v, str) and v for v in (identity_id, key, secret)):
                return None
            if token is not None and not isinstance(token, str):
                return None
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        credentials = AWSCredentials(key, secret, token, expires_at)
        return cls(
            CredentialsAndIdentityId(credentials, identity_id), _epoch(data.get("FetchedAt"))
        )

    @staticmethod
    def dump(result: CredentialsAndIdentityId, now: float) -> str | None:
        creds = result.credentials
        if creds.expires_at is None or not result.identity_id:
            return None  # no expiry: nothing says when the cache would go bad
        return json.dumps(
            {
                "version": _RECORD_VERSION,
                "IdentityId": result.identity_id,
                "FetchedAt": _iso(now),
                "Credentials": {
                    "AccessKeyId": creds.access_key_id,
                    "SecretAccessKey": creds.secret_access_key,
                    "SessionToken": creds.session_token,
                    "Expiration": _iso(creds.expires_at),
                },
            }
        )

    def usable(self, now: float, min_valid_seconds: float) -> bool:
        expires_at = self.result.credentials.expires_at or 0.0
        left = expires_at - now
        fetched = self.fetched_at
        lifetime = expires_at - fetched if fetched is not None and fetched < expires_at else left
        need = max(min(min_valid_seconds, lifetime / 2), min(EXPIRY_SKEW_SECONDS, lifetime / 10))
        return left > 0 and left > need


class IdentityPoolCredentialsProvider:
    """Credentials and identity ids from one Cognito identity pool."""

    def __init__(
        self,
        client: IdentityPoolClient,
        storage: KeyValueStorage,
        *,
        allow_guest: bool = False,
        clock: Callable[[], float] = time.time,
        min_valid_seconds: float = 0.0,
    ) -> None:
        self.client = client
        self.storage = storage
        self.allow_guest = allow_guest
        self.clock = clock
        self.min_valid_seconds = min_valid_seconds
        self._warned = False

    # -- Amplify's CredentialsAndIdentityIdProvider ----------------------------------------

    def get_credentials_and_identity_id(
        self,
        *,
        tokens: AuthTokens | None,
        authenticated: bool,
        force_refresh: bool = False,
    ) -> CredentialsAndIdentityId | None:
        """Credentials for ``tokens`` (authenticated) or guest credentials (if the pool allows)."""
        if authenticated and tokens is not None:
            return self.credentials_for(logins_for_tokens(tokens), force_refresh=force_refresh)
        if not self.allow_guest:
            return None
        return self.credentials_for({}, force_refresh=force_refresh)

    def clear_credentials_and_identity_id(self) -> None:
        """Nothing to drop but cached state; identity ids are kept on purpose (they are stable)."""

    # -- cache keys ------------------------------------------------------------------------

    def cache_key(self, logins: Mapping[str, str]) -> str:
        """Storage key of the identity id for this pool and login (provider + subject)."""
        pool = self.client.identity_pool_id
        if not logins:
            return f"nbauth.identityId.{pool}.{_GUEST}"
        key = sorted(logins)[0]
        # An opaque token (e.g. Facebook's): one cached id per provider.
        return f"nbauth.identityId.{pool}.{key}.{_subject(logins[key]) or ''}"

    def credentials_key(
        self,
        logins: Mapping[str, str],
        *,
        identity_id: str | None = None,
        custom_role_arn: str | None = None,
    ) -> str:
        """Storage key of the cached credentials for this pool, login, role and identity."""
        pool = self.client.identity_pool_id
        if not logins:
            name = f"nbauth.credentials.{pool}.{_GUEST}"
        else:
            key = sorted(logins)[0]
            token = logins[key]
            subject = _subject(token) or "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]
            name = f"nbauth.credentials.{pool}.{key}.{subject}"
        if custom_role_arn:
            name += f".role={custom_role_arn}"
        if identity_id is not None:
            name += f".id={identity_id}"
        return name

    def cached_identity_id(self, logins: Mapping[str, str]) -> str | None:
        return self.storage.get(self.cache_key(logins))

    # -- the enhanced flow -----------------------------------------------------------------

    def credentials_for(
        self,
        logins: Mapping[str, str],
        *,
        identity_id: str | None = None,
        custom_role_arn: str | None = None,
        min_valid_seconds: float | None = None,
        force_refresh: bool = False,
        replacing: str | None = None,
    ) -> CredentialsAndIdentityId:
        """Cached credentials if usable, else ``GetId`` (unless cached or given) then
        ``GetCredentialsForIdentity``; see the module docstring for the cache rules.

        ``identity_id`` is a developer-provided identity id: it is used as is and never
        cached or replaced. ``min_valid_seconds`` (default: the provider's) is how long cached
        credentials must still be good; ``replacing`` is the access key id of credentials the
        caller wants replaced; ``force_refresh`` skips the cache (but see ``replacing``).
        """
        need = self.min_valid_seconds if min_valid_seconds is None else min_valid_seconds
        bypass = force_refresh and replacing is None
        key = self.credentials_key(logins, identity_id=identity_id, custom_role_arn=custom_role_arn)
        if not bypass and (hit := self._adoptable(key, need, replacing)) is not None:
            return hit
        with self._locked(key):
            if not bypass and (hit := self._adoptable(key, need, replacing)) is not None:
                return hit  # another thread or process refreshed while we waited
            result = self._fetch(logins, identity_id, custom_role_arn)
            record = _Record.dump(result, self.clock())
            if record is not None:
                self._write(key, record)
            return result

    def _adoptable(
        self, key: str, min_valid_seconds: float, replacing: str | None
    ) -> CredentialsAndIdentityId | None:
        try:
            record = _Record.parse(self.storage.get(key))
        except Exception as exc:  # a keyring that fails: the cache is an optimisation
            self._warn("read", exc)
            return None
        if record is None or record.access_key_id == replacing:
            return None
        return record.result if record.usable(self.clock(), min_valid_seconds) else None

    def _fetch(
        self, logins: Mapping[str, str], identity_id: str | None, custom_role_arn: str | None
    ) -> CredentialsAndIdentityId:
        if identity_id is not None:
            actual, credentials = self.client.get_credentials_for_identity(
                identity_id, logins, custom_role_arn
            )
            return CredentialsAndIdentityId(credentials, actual)

        key = self.cache_key(logins)
        cached = self.storage.get(key)
        current = cached or self._new_identity_id(key, logins)
        try:
            actual, credentials = self.client.get_credentials_for_identity(
                current, logins, custom_role_arn
            )
        except (IdentityForbiddenError, IdentityNotFoundError) as exc:
            if cached is None:
                raise
            log.info(
                "Cached identity id is no longer valid (%s); getting a new one", type(exc).__name__
            )
            with contextlib.suppress(OSError):
                self.storage.remove(key)
            current = self._new_identity_id(key, logins)
            actual, credentials = self.client.get_credentials_for_identity(
                current, logins, custom_role_arn
            )
        if actual != current:
            log.info("The identity pool answered with another identity id (merged identities)")
            self._write(key, actual)
        return CredentialsAndIdentityId(credentials, actual)

    def _new_identity_id(self, key: str, logins: Mapping[str, str]) -> str:
        identity_id = self.client.get_id(logins)
        self._write(key, identity_id)
        return identity_id

    # -- a store that fails costs the sharing, never the credentials -----------------------

    def _write(self, key: str, value: str) -> None:
        try:
            self.storage.set(key, value)
        except Exception as exc:  # OSError from a file store, a keyring's own errors
            self._warn("write", exc)

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(storage_lock(self.storage, key, timeout=LOCK_TIMEOUT_SECONDS))
        except (OSError, LockTimeoutError) as exc:
            self._warn("lock", exc)  # refresh unlocked: at worst one extra call
        with stack:
            yield

    def _warn(self, action: str, exc: BaseException) -> None:
        if self._warned:
            log.debug("Credentials cache: cannot %s (%s)", action, type(exc).__name__)
            return
        self._warned = True
        log.warning(
            "Cannot %s the shared credentials cache in %r (%s); credentials are still "
            "refreshed, but not shared with other processes.",
            action,
            self.storage,
            type(exc).__name__,
        )
