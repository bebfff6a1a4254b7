"""The temporary credentials the sandbox issued, by access key id.

The strict identity pool records every set it mints (with the Cognito identity it was minted
for); credentials that moto's STS minted for anyone else (``sts.assume_role`` made with the
admin key) are found through ``fallback``, a lookup into moto's STS backend. The signed-request
layer asks :meth:`IssuedCredentialsRegistry.lookup` for the secret, session token, expiry and
role behind an access key. Deleting an identity marks its credentials as revoked: requests
signed with them are then refused as signed with an invalid token.

Pure Python and thread-safe; nothing here imports moto.

Example::

    registry = IssuedCredentialsRegistry()
    registry.record(IssuedCredentials("ASIA…", "secret", "token", expiration=time.time() + 3600,
                                      role_arn=role, session_name="CognitoIdentityCredentials",
                                      identity_id="us-east-1:…"))
    registry.lookup("ASIA…").secret_key
    registry.revoke_identity("us-east-1:…")   # -> 1
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["IssuedCredentials", "IssuedCredentialsRegistry"]

#: Records expired this long ago are forgotten (a request with them then names an unknown key).
_FORGET_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True)
class IssuedCredentials:
    """One set of temporary credentials, as STS issued them.

    ``expiration`` is in epoch seconds; ``identity_id`` is the Cognito identity for
    identity-pool credentials (None for other STS callers); ``revoked`` is set once that
    identity was deleted.
    """

    access_key_id: str
    secret_key: str
    session_token: str
    expiration: float
    role_arn: str
    session_name: str
    identity_id: str | None = None
    revoked: bool = False

    def __repr__(self) -> str:  # never the secret or the token
        return (
            f"IssuedCredentials(access_key_id={self.access_key_id!r}, role_arn={self.role_arn!r}, "
            f"identity_id={self.identity_id!r}, expiration={self.expiration!r}, "
            f"revoked={self.revoked!r})"
        )


Lookup = Callable[[str], "IssuedCredentials | None"]


class IssuedCredentialsRegistry:
    """Access key id → :class:`IssuedCredentials`; thread-safe.

    ``fallback(access_key_id)`` is asked for keys never recorded here (moto's STS backend in
    the sandbox). ``clock`` is only used to forget long-expired records.
    """

    def __init__(
        self, *, fallback: Lookup | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._fallback = fallback
        self._clock = clock
        self._lock = threading.Lock()
        self._by_key: dict[str, IssuedCredentials] = {}
        self._revoked_identities: set[str] = set()

    def record(self, credentials: IssuedCredentials) -> None:
        """Remember a set the sandbox just issued."""
        horizon = self._clock() - _FORGET_AFTER_SECONDS
        with self._lock:
            for key in [k for k, c in self._by_key.items() if c.expiration < horizon]:
                del self._by_key[key]
            self._by_key[credentials.access_key_id] = credentials

    def lookup(self, access_key_id: str) -> IssuedCredentials | None:
        """The credentials behind ``access_key_id``, or None if the sandbox never issued it."""
        with self._lock:
            found = self._by_key.get(access_key_id)
        if found is None and self._fallback is not None:
            found = self._fallback(access_key_id)
        if found is None:
            return None
        with self._lock:
            revoked = found.identity_id in self._revoked_identities
        return dataclasses.replace(found, revoked=True) if revoked else found

    def revoke_identity(self, identity_id: str) -> int:
        """Mark every set issued to ``identity_id`` (the identity was deleted); returns how many
        recorded sets that covers. Sets issued later to the same id stay revoked too."""
        with self._lock:
            self._revoked_identities.add(identity_id)
            return sum(1 for c in self._by_key.values() if c.identity_id == identity_id)
