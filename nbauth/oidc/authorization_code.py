"""The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636) and RFC 9207 checks.

:func:`start_redirect` builds the authorization URL (S256 challenge, ``state``, ``nonce``,
Amplify's ``customOAuthState`` folded into ``state``) and returns a :class:`RedirectSignIn`.
The redirect comes back through a :class:`~nbauth.oidc.redirect_receivers.RedirectReceiver`
picked by ``mode``: the RFC 8252 loopback listener (``"loopback"``), the user pasting the final
URL into :meth:`RedirectSignIn.complete` (``"paste"``), or a registered receiver such as the
Jupyter server's callback page (``"jupyter"``, from :mod:`nbauth.notebook.jupyter_receiver`).
Whatever delivers it, ``state`` is checked first: a redirect without this sign-in's state is
refused and the sign-in keeps waiting (DESIGN invariant 11). Then ``iss`` (RFC 9207) and
``error`` are checked before the code is exchanged with the ``code_verifier``.

Example::

    handle = start_redirect(client, scopes=None, custom_state="/reports", mode="loopback",
                            on_tokens=lambda tokens, nonce, custom_state: ...)
    webbrowser.open(handle.url)
    session = handle.wait(timeout=300)
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import (
    AccessDeniedError,
    AuthError,
    CallbackValidationError,
    InvalidParameterError,
    ServiceError,
)
from .client import OIDCClient
from .oauth_state import decode_custom_state, encode_state
from .presets import FORBIDDEN_AUTHORIZE_PARAMS
from .redirect_receivers import RedirectReceiver, redirect_receiver_factory
from .redirect_state import WRONG_STATE_MESSAGE, state_matches
from .rfc7636 import PKCE
from .sign_in_handle import SignInHandle
from .tokens import OIDCTokens
from .transport import oauth_error

__all__ = ["RedirectSignIn", "decode_custom_state", "start_redirect"]

log = logging.getLogger("nbauth.oidc")

#: ``on_tokens(tokens, nonce, custom_state)``: verify and install the tokens; its return value is
#: the sign-in's result, an :class:`AuthError` it raises fails the sign-in.
OnTokens = Callable[[OIDCTokens, str, str | None], Any]


class RedirectSignIn(SignInHandle):
    """A pending code + PKCE sign-in. Open ``url`` in a browser.

    ``status``: ``pending`` → ``signed_in`` | ``denied`` | ``cancelled`` | ``timed_out`` |
    ``failed``. Secrets (verifier, nonce, state) stay private.
    """

    def __init__(
        self,
        *,
        url: str,
        redirect_uri: str,
        mode: str,
        provider: str,
        custom_state: str | None,
        receiver: RedirectReceiver,
        complete: Callable[[str], None],
    ) -> None:
        super().__init__()
        self.url = url
        self.redirect_uri = redirect_uri
        self.mode = mode
        self.provider = provider
        self.custom_state = custom_state
        self._receiver = receiver
        self._complete = complete

    @property
    def receiver(self) -> RedirectReceiver:
        """What receives the redirect in this ``mode`` (closed once the sign-in ends)."""
        return self._receiver

    def complete(self, redirect_url: str) -> Any:
        """Finish with the URL the browser was redirected to (paste mode, or by hand).

        A URL without this sign-in's ``state`` raises
        :class:`~nbauth.errors.CallbackValidationError` and changes nothing: the sign-in stays
        pending, so the right URL can be pasted next.
        """
        if not isinstance(redirect_url, str) or "?" not in redirect_url:
            raise InvalidParameterError(
                "Paste the whole URL the browser ended on (it contains '?code=' or '?error=').",
            )
        if not self.done:
            self._complete(redirect_url.strip())
        return self.wait(0)

    def cancel(self) -> None:
        super().cancel()
        self._receiver.close()

    def __repr__(self) -> str:
        return f"RedirectSignIn(status={self.status!r}, mode={self.mode!r}, url={self.url!r})"


def start_redirect(
    client: OIDCClient,
    *,
    scopes: tuple[str, ...] | None,
    custom_state: str | None,
    mode: str,
    on_tokens: OnTokens,
    timeout: float = 300.0,
    redirect_uri: str | None = None,
    extra_params: dict[str, str] | None = None,
) -> RedirectSignIn:
    """Build the authorization request; ``on_tokens(tokens, nonce, custom_state)`` finishes it.

    ``mode`` names the redirect receiver (:mod:`nbauth.oidc.redirect_receivers`); ``timeout`` is
    how long a listening receiver waits; ``redirect_uri`` overrides the receiver's choice.
    """
    make_receiver = redirect_receiver_factory(mode)
    endpoint = client.metadata.require("authorization_endpoint", "the code + PKCE flow")
    if (
        "S256" not in client.metadata.code_challenge_methods_supported
        and client.metadata.code_challenge_methods_supported
    ):
        log.warning("%s does not list S256 for PKCE; sending it anyway", client.spec.issuer)
    pkce = PKCE.generate()
    nonce = secrets.token_urlsafe(24)
    state = encode_state(custom_state)
    # Resolve (and fail on) the redirect URI before anything is written or started.
    receiver = make_receiver(
        redirect_uri=redirect_uri, registered_uris=client.spec.redirect_uris, timeout=timeout
    )
    lock = threading.Lock()
    handle: RedirectSignIn

    def finish(url: str) -> None:
        with lock:
            if handle.done:
                return
            if not state_matches(url, state):
                # Not this sign-in's redirect: refuse it, and keep waiting for the real one.
                raise CallbackValidationError(
                    WRONG_STATE_MESSAGE,
                    "Use the URL the browser ended on after opening this sign-in's link "
                    "(handle.url), or start the sign-in again.",
                    name="state_mismatch",
                )
            try:
                result = _exchange(
                    client,
                    url,
                    state=state,
                    pkce=pkce,
                    redirect_uri=handle.redirect_uri,
                    nonce=nonce,
                    custom_state=custom_state,
                    on_tokens=on_tokens,
                )
            except AccessDeniedError as exc:
                handle.finish("denied", exc)
            except AuthError as exc:
                handle.finish("failed", exc)
            except Exception as exc:
                log.exception("Finishing the redirect sign-in failed")
                handle.finish(
                    "failed", ServiceError(f"Sign-in failed: {type(exc).__name__}", underlying=exc)
                )
            else:
                handle.finish("signed_in", result=result)

    try:
        url = _authorization_url(
            client, endpoint, scopes, receiver.redirect_uri, state, nonce, pkce, extra_params
        )
        handle = RedirectSignIn(
            url=url,
            redirect_uri=receiver.redirect_uri,
            mode=mode,
            provider=client.spec.name,
            custom_state=custom_state,
            receiver=receiver,
            complete=finish,
        )
        receiver.start(state, finish, handle.time_out)
    except BaseException:
        receiver.close()
        raise
    handle.on_done(lambda h: receiver.report(h.status, outcome_message(h)))
    return handle


def _authorization_url(
    client: OIDCClient,
    endpoint: str,
    scopes: tuple[str, ...] | None,
    redirect_uri: str,
    state: str,
    nonce: str,
    pkce: PKCE,
    extra_params: dict[str, str] | None,
) -> str:
    scope_list = tuple(scopes or client.spec.scopes)
    # The provider's extra parameters (a preset's, the configuration's authorize_params) never
    # replace nbauth's own: state, nonce, PKCE, redirect_uri, scope, response_type, client_id.
    params = {
        key: value
        for key, value in (*client.spec.authorize_params, *(extra_params or {}).items())
        if key.lower() not in FORBIDDEN_AUTHORIZE_PARAMS
    }
    if "offline_access" in scope_list and client.spec.kind == "oidc":
        params.setdefault("prompt", "consent")  # OIDC Core 11: offline_access needs consent
    params.update(pkce.authorization_params())
    session = client.oauth_session(scopes=scope_list, redirect_uri=redirect_uri)
    try:
        url, _ = session.create_authorization_url(endpoint, state=state, nonce=nonce, **params)
    finally:
        session.close()
    return str(url)


def outcome_message(handle: SignInHandle) -> str:
    """What a callback page shows: the status in words, or the error's message (no secret)."""
    if handle.status == "signed_in":
        return "You are signed in. Return to your notebook."
    if handle.error is not None:
        return handle.error.message
    return f"The sign-in ended: {handle.status}."


def _exchange(
    client: OIDCClient,
    url: str,
    *,
    state: str,
    pkce: PKCE,
    redirect_uri: str,
    nonce: str,
    custom_state: str | None,
    on_tokens: OnTokens,
) -> Any:
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    # RFC 9207: the issuer in the response must be the one we asked (mix-up attacks).
    iss = params.get("iss")
    expected_iss = client.metadata.issuer
    if iss is not None and iss != expected_iss:
        raise CallbackValidationError(
            f"The redirect came from issuer {iss!r}, not {expected_iss!r} (RFC 9207).",
            name="issuer_mismatch",
        )
    if params.get("state") != state:
        raise CallbackValidationError(
            "The redirect's state does not match this sign-in (stale tab or forged redirect).",
            name="state_mismatch",
        )
    if "error" in params:
        raise oauth_error(params["error"], params.get("error_description"), "Sign-in")
    if iss is None and client.metadata.authorization_response_iss_parameter_supported:
        raise CallbackValidationError(
            "The redirect lacks the 'iss' parameter its provider promises (RFC 9207).",
            name="issuer_missing",
        )
    code = params.get("code")
    if not code:
        raise CallbackValidationError(
            "The redirect carries no authorization code.", name="code_missing"
        )
    response = client.token_request(
        "Code exchange",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pkce.verifier,
        },
    )
    tokens = OIDCTokens.from_response(response, now=client.clock())
    return on_tokens(tokens, nonce, custom_state)
