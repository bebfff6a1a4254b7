"""Which field names carry secrets: found in botocore's service models, not listed by hand.

botocore's service models mark secret shapes ``"sensitive": true`` — Cognito's
``AuthParametersType`` and ``ChallengeResponsesType`` (the maps that carry ``PASSWORD``,
``NEW_PASSWORD``, ``SECRET_HASH``, SRP values), ``SecretCodeType`` (the TOTP seed),
``PasswordType``, ``SessionType``, ``TokenModelType``, ``ClientSecretType``, STS's
``SecretAccessKey``… Every structure member whose shape (or the member itself) is sensitive —
or is a list or map of sensitive shapes — names a field whose whole value is a secret.

:func:`sensitive_names` is what the log redaction asks for. It starts from
:data:`FALLBACK_NAMES` (the OAuth/OIDC field names, Cognito's upper-case parameter keys, and
the sensitive members of the services nbauth calls as of botocore 1.43, for when botocore is
absent) and, once botocore is loaded by anyone, adds the names walked from the models of
:data:`SERVICES` — once, cached. Nothing here imports botocore unless it is already in
``sys.modules``, so ``import nbauth`` stays light.

Names are compared normalized (:func:`normalize`: lower case, without ``_`` and ``-``), so
``client_secret``, ``ClientSecret`` and ``CLIENT-SECRET`` are one name.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "FALLBACK_NAMES",
    "SERVICES",
    "botocore_sensitive_names",
    "normalize",
    "refresh_from_botocore",
    "sensitive_names",
]

#: The services whose models are walked: the ones nbauth's own clients call, and the S3 and
#: STS calls of the sessions it hands out.
SERVICES = ("cognito-idp", "cognito-identity", "sts", "s3")

_OAUTH = (
    # RFC 6749 / 7636 / 8628 / 7523 / 7009, OpenID Connect, and what IdPs add
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "device_code",
    "password",
    "client_assertion",
    "assertion",
    "subject_token",
    "actor_token",
    "token",
    "authorization",
    "proxy_authorization",
    "cookie",
    "set_cookie",
    "x-amz-security-token",
    "session_token",
    "secret_key",
    "aws_secret_access_key",
    "aws_session_token",
)
_COGNITO_KEYS = (
    # keys inside AuthParameters / ChallengeResponses, and other Cognito secrets
    "PASSWORD",
    "NEW_PASSWORD",
    "SECRET_HASH",
    "SRP_A",
    "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA_CODE",
    "EMAIL_OTP_CODE",
    "ANSWER",
    "REFRESH_TOKEN",
    "DEVICE_KEY",
    "SecretCode",
    "TemporaryPassword",
    "ClientSecret",
    "Logins",
    "ConfirmationCode",
    "UserCode",
    "PASSWORD_CLAIM_SIGNATURE",
)
_BOTOCORE_1_43 = (
    # sensitive members of SERVICES' models in botocore 1.43 (tests check this is a subset)
    "AccessToken",
    "AuthParameters",
    "ChallengeResponses",
    "ClientId",
    "ClientSecret",
    "ClientSecretValue",
    "CopySourceSSECustomerKey",
    "FeedbackToken",
    "IdToken",
    "Password",
    "PreviousPassword",
    "ProposedPassword",
    "RefreshToken",
    "SAMLAssertion",
    "SSECustomerKey",
    "SSEKMSEncryptionContext",
    "SecretAccessKey",
    "SecretCode",
    "SecretHash",
    "SecretKey",
    "Session",
    "SessionToken",
    "TemporaryPassword",
    "Token",
    "UserContextData",
    "Username",
    "WebIdentityToken",
)


def normalize(name: str) -> str:
    """``name`` as compared: lower case, without ``_`` and ``-``."""
    return name.lower().replace("_", "").replace("-", "")


#: Secret field names without botocore (normalized).
FALLBACK_NAMES = frozenset(normalize(n) for n in (*_OAUTH, *_COGNITO_KEYS, *_BOTOCORE_1_43))

_lock = threading.Lock()
_names: frozenset[str] = FALLBACK_NAMES
_walked: bool = False


def _secret_shapes(shapes: Mapping[str, Any]) -> set[str]:
    """Shape names that are sensitive, or lists/maps of sensitive shapes (to a fixed point)."""
    secret = {name for name, shape in shapes.items() if shape.get("sensitive")}
    changed = True
    while changed:
        changed = False
        for name, shape in shapes.items():
            if name in secret:
                continue
            kind = shape.get("type")
            inner = []
            if kind == "list":
                inner = [shape.get("member", {})]
            elif kind == "map":
                inner = [shape.get("value", {}), shape.get("key", {})]
            if any(ref.get("sensitive") or ref.get("shape") in secret for ref in inner):
                secret.add(name)
                changed = True
    return secret


def names_in_model(model: Mapping[str, Any]) -> set[str]:
    """Member names of one service model (botocore's ``service-2`` JSON) that hold secrets."""
    shapes = model.get("shapes", {})
    secret = _secret_shapes(shapes)
    found = set()
    for shape in shapes.values():
        if shape.get("type") != "structure":
            continue
        for member_name, ref in shape.get("members", {}).items():
            if ref.get("sensitive") or ref.get("shape") in secret:
                found.add(member_name)
                if ref.get("locationName"):  # the wire name (headers, XML, query)
                    found.add(ref["locationName"])
    return found


def botocore_sensitive_names(services: Iterable[str] = SERVICES) -> set[str]:
    """Member names marked sensitive in botocore's models of ``services`` (imports botocore).

    A service this botocore doesn't know is skipped.
    """
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import create_loader

    loader = create_loader()
    found: set[str] = set()
    for service in services:
        try:
            model = loader.load_service_model(service, "service-2")
        except UnknownServiceError:
            continue
        found |= names_in_model(model)
    return found


def refresh_from_botocore() -> bool:
    """Add botocore's sensitive names to :func:`sensitive_names` (once; True when done).

    Does nothing unless botocore is already imported. Cheap after the first call; the first
    walks the models (~0.1 s). Never raises: on any failure the fallback names stay in use.
    """
    global _names, _walked
    if _walked:
        return True
    if "botocore.loaders" not in sys.modules:
        return False
    if not _lock.acquire(blocking=False):
        return False  # another thread is walking; the fallback serves meanwhile
    try:
        if not _walked:
            try:
                derived = botocore_sensitive_names()
            except Exception:  # a broken botocore must not break logging
                derived = set()
            _names = FALLBACK_NAMES | {normalize(n) for n in derived}
            _walked = True
    finally:
        _lock.release()
    return True


def sensitive_names() -> frozenset[str]:
    """The normalized secret field names now: the fallback, plus botocore's once it is loaded."""
    if not _walked:
        refresh_from_botocore()
    return _names
