"""Where a realm keeps its codes, tokens and device requests: in memory, thread-safe.

Each method is one atomic step the grants need: a code, a refresh token or a
device code is used once even when two requests race; revocation reaches every
token of a grant (``origin``) or of a user. Expired codes and device requests
are forgotten an hour after they expire; token records stay while the sandbox
runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from .models import AuthorizationCode, DeviceCredential, Principal, TokenRecord, normalize_user_code

__all__ = ["GrantStore"]

_FORGET_AFTER_SECONDS = 3600


class GrantStore:
    """Codes, tokens and device requests of one realm; every method is thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._codes: dict[str, AuthorizationCode] = {}
        self._by_jti: dict[str, TokenRecord] = {}
        self._by_refresh: dict[str, TokenRecord] = {}
        self._devices: dict[str, DeviceCredential] = {}
        self._by_user_code: dict[str, DeviceCredential] = {}

    # -- authorization codes ---------------------------------------------------------
    def save_code(self, code: AuthorizationCode) -> None:
        """Keep a new code."""
        with self._lock:
            self._purge()
            self._codes[code.code] = code

    def find_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The unexpired code issued to ``client_id`` (possibly already used)."""
        with self._lock:
            found = self._codes.get(code)
        if found is None or found.client_id != client_id or found.is_expired(self._clock()):
            return None
        return found

    def use_code(self, code: AuthorizationCode) -> bool:
        """Mark ``code`` used; False if it already was (a replay)."""
        with self._lock:
            if code.used:
                return False
            code.used = True
            return True

    # -- tokens ------------------------------------------------------------------------
    def save_token(self, record: TokenRecord) -> None:
        """Keep a new token record."""
        with self._lock:
            self._by_jti[record.access_jti] = record
            if record.refresh_token is not None:
                self._by_refresh[record.refresh_token] = record

    def find_refresh(self, refresh_token: str) -> TokenRecord | None:
        """The record of a usable (active, unexpired) refresh token."""
        with self._lock:
            record = self._by_refresh.get(refresh_token)
            if record is None or not record.refresh_usable(self._clock()):
                return None
            return record

    def find_refresh_any_state(self, refresh_token: str) -> TokenRecord | None:
        """The record of a refresh token, whatever its state (for revocation)."""
        with self._lock:
            return self._by_refresh.get(refresh_token)

    def rotate_refresh(self, record: TokenRecord) -> bool:
        """Use a refresh token once; False if it was used or revoked meanwhile."""
        with self._lock:
            if not record.refresh_usable(self._clock()):
                return False
            record.refresh_state = "rotated"
            return True

    def find_access(self, jti: str) -> TokenRecord | None:
        """The record of an access token by its ``jti``."""
        with self._lock:
            return self._by_jti.get(jti)

    def revoke_access(self, record: TokenRecord) -> None:
        """Revoke one access token."""
        with self._lock:
            record.access_revoked = True

    def revoke_origin(self, origin: str) -> int:
        """Revoke every token issued from one authorization; return refresh tokens revoked."""
        return self._revoke(lambda r: r.origin == origin)

    def revoke_user(self, username: str) -> int:
        """Revoke every token of ``username`` (an admin's global sign-out)."""
        return self._revoke(lambda r: r.principal.user.username == username)

    def _revoke(self, match: Callable[[TokenRecord], bool]) -> int:
        count = 0
        with self._lock:
            for record in self._records():
                if not match(record):
                    continue
                record.access_revoked = True
                if record.refresh_token is not None and record.refresh_state == "active":
                    count += 1
                if record.refresh_token is not None:
                    record.refresh_state = "revoked"
        return count

    def _records(self) -> Iterable[TokenRecord]:
        return list(self._by_jti.values())

    # -- device requests -----------------------------------------------------------------
    def save_device(self, credential: DeviceCredential) -> None:
        """Keep a new device authorization request."""
        with self._lock:
            self._purge()
            self._devices[credential.device_code] = credential
            self._by_user_code[credential.user_code] = credential

    def find_device(self, device_code: str) -> DeviceCredential | None:
        """The request for ``device_code`` unless tokens were already issued for it."""
        with self._lock:
            credential = self._devices.get(device_code)
            return None if credential is None or credential.consumed else credential

    def device_by_user_code(self, user_code: str) -> DeviceCredential | None:
        """The request a person's ``user_code`` names (any state)."""
        with self._lock:
            return self._by_user_code.get(normalize_user_code(user_code))

    def pending_device(self, user_code: str) -> DeviceCredential:
        """The undecided, unexpired request for ``user_code``; ``LookupError`` otherwise."""
        with self._lock:
            credential = self._by_user_code.get(normalize_user_code(user_code))
            if credential is None:
                raise LookupError(f"unknown user code {user_code!r}")
            if credential.is_expired():
                raise LookupError(f"user code {user_code!r} has expired")
            if credential.approved is not None or credential.consumed:
                raise LookupError(f"user code {user_code!r} was already used")
            return credential

    def decide_device(self, user_code: str, principal: Principal | None, approved: bool) -> None:
        """Record the person's decision; ``LookupError`` unless the request is pending."""
        with self._lock:
            credential = self.pending_device(user_code)
            credential.principal = principal
            credential.approved = approved

    def poll_too_fast(self, credential: DeviceCredential, grace: float = 0.05) -> bool:
        """Record a pending poll; True if it came sooner than ``interval`` after the last."""
        now = time.monotonic()
        with self._lock:
            last, credential.last_poll = credential.last_poll, now
        return last is not None and now - last < credential.interval - grace

    def consume_device(self, credential: DeviceCredential) -> bool:
        """Tokens are issued once per device code; False if they already were."""
        with self._lock:
            if credential.consumed:
                return False
            credential.consumed = True
            return True

    # -- housekeeping ----------------------------------------------------------------------
    def _purge(self) -> None:
        """Forget codes and device requests that expired over an hour ago."""
        horizon = self._clock() - _FORGET_AFTER_SECONDS
        for key in [k for k, c in self._codes.items() if c.expires_at < horizon]:
            del self._codes[key]
        for key in [k for k, d in self._devices.items() if d.expires_at < horizon]:
            self._by_user_code.pop(self._devices.pop(key).user_code, None)
