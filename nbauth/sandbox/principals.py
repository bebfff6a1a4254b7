"""Who signed a request, and the interface between checking signatures and checking policies.

The signed-request layer (:mod:`nbauth.sandbox.signed_requests`) verifies a request's SigV4
signature against the credentials the sandbox issued (or its documented admin key) and turns
them into a :class:`Principal`; an :class:`Authorizer` then decides whether that principal may
do what the request asks (the identity pool's role policies, :mod:`nbauth.sandbox.s3_policies`).

Example::

    principal = Principal("ASIA…", kind="assumed-role", role_arn=role, identity_id=identity)
    authorizer(principal, request)   # raises AwsError("AccessDenied", ...) if not allowed
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["ACCOUNT_ID", "Authorizer", "Principal", "SignedRequest"]

#: moto's default account: every ARN the sandbox makes uses it.
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Principal:
    """The caller behind verified credentials.

    ``kind`` is ``"admin"`` (the sandbox's documented admin key: allowed everything, as the
    account's root user) or ``"assumed-role"`` (temporary credentials from the identity pool
    or STS; ``role_arn`` is the role, ``identity_id`` the Cognito identity for identity-pool
    credentials).
    """

    access_key_id: str
    kind: str
    role_arn: str | None = None
    identity_id: str | None = None
    session_name: str | None = None
    account_id: str = ACCOUNT_ID

    @property
    def arn(self) -> str:
        """The caller's ARN as ``sts:GetCallerIdentity`` reports it."""
        if self.kind == "admin" or self.role_arn is None:
            return f"arn:aws:iam::{self.account_id}:root"
        role_name = self.role_arn.rsplit("/", 1)[-1]
        session = self.session_name or "session"
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{session}"


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature checked out: what an authorizer needs to judge it."""

    service: str  # the SigV4 credential scope's service, e.g. "s3", "sts"
    region: str
    method: str
    path: str  # URL path, percent-decoded
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    host: str = ""


class Authorizer(Protocol):
    """Decides whether ``principal`` may make ``request``; raises ``AwsError`` if not."""

    def __call__(self, principal: Principal, request: SignedRequest) -> None: ...
