"""RFC 8628, the OAuth 2.0 Device Authorization Grant ("device code").

:func:`start_device_code` asks the device authorization endpoint for a code and returns a
:class:`DeviceCodeSignIn` at once; a daemon thread polls the token endpoint, honouring
``interval`` (5 s when absent, §3.2) and ``slow_down`` (+5 s, §3.5), and stops on success,
``access_denied``, ``expired_token``, the code's own expiry, or :meth:`cancel`.

Example::

    handle = auth.sign_in_with_device_code()
    print(handle.verification_uri_complete, handle.user_code)
    session = handle.wait(timeout=300)
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import (
    AccessDeniedError,
    AuthError,
    ExpiredDeviceCodeError,
    OAuthError,
    ServiceError,
)
from ..net.secure_urls import check_secure_url, is_secure_url
from .client import OIDCClient
from .rfc7636 import PKCE
from .sign_in_handle import SignInHandle
from .tokens import OIDCTokens

__all__ = ["DEVICE_CODE_GRANT", "DeviceCodeSignIn", "start_device_code"]

log = logging.getLogger("nbauth.oidc")

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0  # RFC 8628 §3.2
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5
MIN_INTERVAL = 1.0  # never hammer a token endpoint, whatever the IdP says
MAX_INTERVAL = 60.0  # nor wait a minute between polls of a code a person is approving
#: The longest a device code may live (an IdP answering more is broken or hostile).
MAX_EXPIRES_IN = 24 * 3600.0
#: Transient poll failures (5xx, network, garbage) tolerated in a row before giving up.
MAX_TRANSIENT_FAILURES = 5


class DeviceCodeSignIn(SignInHandle):
    """A pending device-code sign-in. Show ``user_code`` and ``verification_uri`` to the user.

    ``status``: ``pending`` → ``signed_in`` | ``denied`` | ``expired`` | ``cancelled`` |
    ``failed``. The device code itself (a secret) is never shown.
    """

    def __init__(
        self,
        *,
        user_code: str,
        verification_uri: str,
        verification_uri_complete: str | None,
        expires_at: float,
        interval: float,
        provider: str,
    ) -> None:
        super().__init__()
        self.user_code = user_code
        self.verification_uri = verification_uri
        self.verification_uri_complete = verification_uri_complete or verification_uri
        self.expires_at = expires_at
        self.interval = interval
        self.provider = provider
        self.polls = 0

    def seconds_left(self, now: float | None = None) -> float:
        return max(0.0, self.expires_at - (time.time() if now is None else now))

    def __repr__(self) -> str:
        return (
            f"DeviceCodeSignIn(status={self.status!r}, user_code={self.user_code!r}, "
            f"verification_uri={self.verification_uri!r}, "
            f"seconds_left={self.seconds_left():.0f})"
        )


def start_device_code(
    client: OIDCClient,
    *,
    scopes: tuple[str, ...] | None,
    on_tokens: Callable[[OIDCTokens], Any],
    clock: Callable[[], float] = time.time,
    sleep: Callable[[threading.Event, float], bool] | None = None,
) -> DeviceCodeSignIn:
    """Request a device code and start polling; ``on_tokens`` finishes the sign-in.

    ``on_tokens(tokens)`` runs in the polling thread with the (unverified) token response and
    returns the flow's result; an :class:`AuthError` it raises fails the flow.
    """
    endpoint = client.metadata.require("device_authorization_endpoint", "the device-code flow")
    scope = " ".join(scopes or client.spec.scopes)
    # RFC 8628 has no PKCE, but IdPs that enforce it on a client (Keycloak with a client's
    # "pkce.code.challenge.method") want it on the device request too, and the verifier on
    # each poll. Sent only where discovery offers S256; the verifier stays in this flow.
    pkce = PKCE.generate() if "S256" in client.metadata.code_challenge_methods_supported else None
    form = {"scope": scope, **(pkce.authorization_params() if pkce else {})}
    answer = client.post_form(endpoint, form, "Device authorization")
    try:
        device_code = str(answer["device_code"])
        user_code = str(answer["user_code"])
        verification_uri = str(answer.get("verification_uri") or answer["verification_url"])
        expires_in = float(answer["expires_in"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ServiceError(
            "The device authorization answer lacks device_code, user_code, verification_uri "
            "or expires_in (RFC 8628 §3.2).",
        ) from None
    if not 0 < expires_in <= MAX_EXPIRES_IN:  # NaN fails too
        raise ServiceError(f"The device code's expires_in ({expires_in!r}) is out of range.")
    # The person opens these links: a javascript:, file: or plain-http one is never shown.
    check_secure_url(verification_uri, "The device flow's verification_uri", ServiceError)
    complete = answer.get("verification_uri_complete")
    if complete is not None and not is_secure_url(complete):
        log.warning("Ignoring an unsafe verification_uri_complete from %s", client.spec.name)
        complete = None
    interval = answer.get("interval")
    handle = DeviceCodeSignIn(
        user_code=user_code,
        verification_uri=verification_uri,
        verification_uri_complete=complete,
        expires_at=clock() + expires_in,
        interval=min(MAX_INTERVAL, max(MIN_INTERVAL, float(interval)))
        if isinstance(interval, (int, float))
        and not isinstance(interval, bool)
        and math.isfinite(interval)
        else DEFAULT_INTERVAL,
        provider=client.spec.name,
    )
    wait = sleep or (lambda event, seconds: event.wait(seconds))
    thread = threading.Thread(
        target=_poll,
        args=(client, handle, device_code, pkce, on_tokens, clock, wait),
        name="nbauth-device-code",
        daemon=True,
    )
    thread.start()
    return handle


def _poll(
    client: OIDCClient,
    handle: DeviceCodeSignIn,
    device_code: str,
    pkce: PKCE | None,
    on_tokens: Callable[[OIDCTokens], Any],
    clock: Callable[[], float],
    wait: Callable[[threading.Event, float], bool],
) -> None:
    transient = 0
    grant = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code}
    if pkce is not None:
        grant["code_verifier"] = pkce.verifier
    while True:
        if wait(handle.stop_event, handle.interval) or handle.done:
            return  # cancelled
        if clock() >= handle.expires_at:
            handle.finish(
                "expired",
                ExpiredDeviceCodeError(
                    "The device code expired before it was approved.", name="expired_token"
                ),
            )
            return
        handle.polls += 1
        try:
            response = client.token_request("Device-code sign-in", grant)
        except OAuthError as exc:
            if exc.name == "authorization_pending":
                transient = 0
                continue
            if exc.name == "slow_down":
                transient = 0
                handle.interval += SLOW_DOWN_STEP
                continue
            status = {AccessDeniedError: "denied", ExpiredDeviceCodeError: "expired"}.get(
                type(exc), "failed"
            )
            handle.finish(status, exc)
            return
        except AuthError as exc:
            if exc.retryable and transient < MAX_TRANSIENT_FAILURES:
                transient += 1
                log.warning("Polling the token endpoint failed (%s); retrying", exc.name)
                handle.interval = min(handle.interval * 2, 60.0)
                continue
            handle.finish("failed", exc)
            return
        transient = 0
        if handle.done:
            return  # cancelled while the request was in flight: drop the tokens
        try:
            tokens = OIDCTokens.from_response(response, now=clock())
            result = on_tokens(tokens)
        except AuthError as exc:
            handle.finish("failed", exc)
            return
        except Exception as exc:  # never leave a handle pending forever
            log.exception("Finishing the device-code sign-in failed")
            handle.finish(
                "failed", ServiceError(f"Sign-in failed: {type(exc).__name__}", underlying=exc)
            )
            return
        handle.finish("signed_in", result=result)
        return
