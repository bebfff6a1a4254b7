"""Cognito identities and their linked logins, with Cognito's linking rules.

An identity belongs to one pool and has zero (a guest) or more linked logins,
each a ``(logins key, subject)`` pair such as
``("cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "<sub>")`` or, for
developer-authenticated users, ``("login.nbauth.sandbox", "<user id>")``.
A login is linked to at most one identity, so the same user always gets the
same identity id. Merged identities leave an alias (source → target) behind.

All methods are atomic under one lock: the server answers requests from many
threads at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .aws_errors import AwsError

__all__ = ["Identity", "IdentityStore", "LoginRef"]

LoginRef = tuple[str, str]  # (logins key, subject)


@dataclass
class Identity:
    """One identity. ``logins`` empty means unauthenticated (guest)."""

    identity_id: str
    identity_pool_id: str
    logins: set[LoginRef] = field(default_factory=set)
    creation_date: float = 0.0
    last_modified_date: float = 0.0

    @property
    def authenticated(self) -> bool:
        """True once any login is linked."""
        return bool(self.logins)

    def logins_keys(self) -> list[str]:
        """The provider keys of the linked logins, sorted."""
        return sorted({key for key, _ in self.logins})

    def snapshot(self) -> Identity:
        """A copy safe to use outside the store's lock."""
        return Identity(
            identity_id=self.identity_id,
            identity_pool_id=self.identity_pool_id,
            logins=set(self.logins),
            creation_date=self.creation_date,
            last_modified_date=self.last_modified_date,
        )


def _not_found(identity_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")


def _forbidden(identity_id: str) -> AwsError:
    return AwsError("NotAuthorizedException", f"Access to Identity '{identity_id}' is forbidden.")


def _conflict(logins: Iterable[LoginRef]) -> AwsError:
    keys = ", ".join(sorted({key for key, _ in logins}))
    return AwsError(
        "ResourceConflictException",
        f"Logins [{keys}] are already associated with a different identity.",
    )


class IdentityStore:
    """Identities of every pool served by one sandbox; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._identities: dict[str, Identity] = {}
        self._owner: dict[tuple[str, LoginRef], str] = {}  # (pool, login) -> identity id
        self._aliases: dict[str, str] = {}  # merged source -> target

    # -- helpers (lock held) -------------------------------------------------
    def _resolve(self, identity_id: str) -> Identity | None:
        seen: set[str] = set()
        current = identity_id
        while current in self._aliases and current not in seen:
            seen.add(current)
            current = self._aliases[current]
        return self._identities.get(current)

    def _new(self, identity_pool_id: str) -> Identity:
        region = identity_pool_id.split(":", 1)[0]
        now = self._clock()
        identity = Identity(
            identity_id=f"{region}:{uuid.uuid4()}",
            identity_pool_id=identity_pool_id,
            creation_date=now,
            last_modified_date=now,
        )
        self._identities[identity.identity_id] = identity
        return identity

    def _owners(self, identity_pool_id: str, logins: Iterable[LoginRef]) -> dict[str, Identity]:
        owners: dict[str, Identity] = {}
        for login in logins:
            owner_id = self._owner.get((identity_pool_id, login))
            owner = self._resolve(owner_id) if owner_id else None
            if owner is not None:
                owners[owner.identity_id] = owner
        return owners

    def _asserted(self, identity_pool_id: str, asserted: Iterable[str]) -> dict[str, Identity]:
        found: dict[str, Identity] = {}
        for identity_id in asserted:
            identity = self._resolve(identity_id)
            if identity is None or identity.identity_pool_id != identity_pool_id:
                raise _not_found(identity_id)
            found[identity.identity_id] = identity
        return found

    def _link(self, identity: Identity, logins: Iterable[LoginRef]) -> None:
        changed = False
        for login in logins:
            if login not in identity.logins:
                identity.logins.add(login)
                changed = True
            self._owner[(identity.identity_pool_id, login)] = identity.identity_id
        if changed:
            identity.last_modified_date = self._clock()

    def _merge(self, source: Identity, target: Identity) -> None:
        self._link(target, source.logins)
        del self._identities[source.identity_id]
        self._aliases[source.identity_id] = target.identity_id

    # -- operations ----------------------------------------------------------
    def create_guest(self, identity_pool_id: str) -> str:
        """A new unauthenticated identity (every guest ``GetId`` makes one)."""
        with self._lock:
            return self._new(identity_pool_id).identity_id

    def get_or_create(
        self, identity_pool_id: str, logins: Iterable[LoginRef], asserted: Iterable[str] = ()
    ) -> str:
        """``GetId`` with logins: the identity that owns them, linking new ones.

        ``asserted`` are identity ids proven by a token (developer flow).
        Logins owned by two different identities are a ``ResourceConflictException``.
        """
        logins = list(logins)
        with self._lock:
            owners = self._owners(identity_pool_id, logins)
            owners.update(self._asserted(identity_pool_id, asserted))
            if len(owners) > 1:
                raise _conflict(logins)
            identity = next(iter(owners.values())) if owners else self._new(identity_pool_id)
            self._link(identity, logins)
            return identity.identity_id

    def authorize(
        self,
        identity_pool_id: str,
        identity_id: str,
        logins: Iterable[LoginRef],
        asserted: Iterable[str] = (),
    ) -> Identity:
        """Check that ``logins`` may act as ``identity_id``; link new logins.

        Returns a snapshot of the (possibly merged-into) identity. Rules, as
        Cognito's ``GetCredentialsForIdentity``/``GetOpenIdToken``:

        * unknown identity → ``ResourceNotFoundException``;
        * no logins for an authenticated identity → ``NotAuthorizedException``;
        * an authenticated identity needs at least one of its own logins (or a
          token for it) → else "Access to Identity … is forbidden.";
        * logins of another identity alongside its own → ``ResourceConflictException``;
        * a guest identity presenting a login of another identity is merged into it.
        """
        logins = list(logins)
        asserted = list(asserted)
        with self._lock:
            identity = self._resolve(identity_id)
            if identity is None or identity.identity_pool_id != identity_pool_id:
                raise _not_found(identity_id)
            if not logins and not asserted:
                if identity.authenticated:
                    raise AwsError(
                        "NotAuthorizedException",
                        "Logins don't match. Please include at least one valid login "
                        "for this identity or identity pool.",
                    )
                return identity.snapshot()
            proven = self._asserted(identity_pool_id, asserted)
            if any(other != identity.identity_id for other in proven):
                raise _forbidden(identity_id)
            owners = self._owners(identity_pool_id, logins)
            others = {k: v for k, v in owners.items() if k != identity.identity_id}
            if identity.authenticated:
                if identity.identity_id not in owners and not proven:
                    raise _forbidden(identity_id)
                if others:
                    raise _conflict(login for login in logins if login not in identity.logins)
            elif others:
                if len(others) > 1:
                    raise _conflict(logins)
                target = next(iter(others.values()))
                self._merge(identity, target)
                identity = target
            self._link(identity, logins)
            return identity.snapshot()

    def link_developer(
        self, identity_pool_id: str, identity_id: str | None, logins: Iterable[LoginRef]
    ) -> str:
        """``GetOpenIdTokenForDeveloperIdentity``: link ``logins`` to an identity.

        With ``identity_id``, the logins are linked to it (a conflict if one is
        already on another identity); without, the owning identity or a new one.
        """
        logins = list(logins)
        with self._lock:
            if identity_id is None:
                return self.get_or_create(identity_pool_id, logins)
            identity = self._resolve(identity_id)
            if identity is None or identity.identity_pool_id != identity_pool_id:
                raise _not_found(identity_id)
            owners = self._owners(identity_pool_id, logins)
            if any(other != identity.identity_id for other in owners):
                raise _conflict(logins)
            self._link(identity, logins)
            return identity.identity_id

    def describe(self, identity_id: str) -> Identity | None:
        """A snapshot of the identity (following merges), or None."""
        with self._lock:
            identity = self._resolve(identity_id)
            return identity.snapshot() if identity else None

    def list(self, identity_pool_id: str) -> list[Identity]:
        """Snapshots of the pool's identities, oldest first."""
        with self._lock:
            return [
                i.snapshot()
                for i in self._identities.values()
                if i.identity_pool_id == identity_pool_id
            ]

    def merge(self, source_identity_id: str, target_identity_id: str) -> None:
        """Merge ``source`` into ``target``: its logins and its id now lead to target."""
        with self._lock:
            source = self._resolve(source_identity_id)
            if source is None:
                raise _not_found(source_identity_id)
            target = self._resolve(target_identity_id)
            if target is None:
                raise _not_found(target_identity_id)
            if source.identity_pool_id != target.identity_pool_id:
                raise AwsError(
                    "InvalidParameterException", "Identities belong to different identity pools."
                )
            if source is not target:
                self._merge(source, target)

    def delete(self, identity_id: str) -> bool:
        """Delete an identity and unlink its logins; False if there was none."""
        with self._lock:
            identity = self._identities.pop(identity_id, None)
            if identity is None:
                return False
            for login in identity.logins:
                self._owner.pop((identity.identity_pool_id, login), None)
            for source in [s for s, t in self._aliases.items() if t == identity_id]:
                del self._aliases[source]
            return True
