"""The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636) and RFC 9207 checks.

:func:`start_redirect` builds the authorization URL (S256 challenge, ``state``, ``nonce``,
Amplify's ``customOAuthState`` folded into ``state``) and returns a :class:`RedirectSignIn`.
The redirect comes back through a :class:`~nbauth.oidc.rfc8252.LoopbackListener` (``loopback``
mode), through the Jupyter server's ``nbauth/callback`` page and a private drop box
(``jupyter`` mode, for remote kernels; see :mod:`nbauth.oidc.jupyter_callback`), or the user
pastes the final URL into :meth:`RedirectSignIn.complete` (``paste`` mode). The callback is
checked — ``error``, ``state``, and ``iss`` (RFC 9207) — before the code is exchanged with the
``code_verifier``.

Example::

    handle = auth.sign_in_with_redirect(provider="corp")
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
    SignInTimeoutError,
)
from .client import OIDCClient
from .jupyter_callback import CALLBACK_PATH, CallbackInbox, jupyter_redirect_uri
from .oauth_state import decode_custom_state, encode_state
from .rfc7636 import PKCE
from .rfc8252 import LoopbackListener
from .sign_in_handle import SignInHandle
from .tokens import OIDCTokens
from .transport import oauth_error

__all__ = ["RedirectSignIn", "decode_custom_state", "start_redirect"]

log = logging.getLogger("nbauth.oidc")

MODES = ("loopback", "paste", "jupyter")


class RedirectSignIn(SignInHandle):
    """A pending code + PKCE sign-in. Open ``url`` in a browser.

    ``status``: ``pending`` → ``signed_in`` | ``denied`` | ``cancelled`` | ``timed_out`` |
    ``failed``. Secrets (verifier, nonce, state) stay private.
    """

    def __init__(
        self, *, url: str, redirect_uri: str, mode: str, provider: str, custom_state: str | None
    ) -> None:
        super().__init__()
        self.url = url
        self.redirect_uri = redirect_uri
        self.mode = mode
        self.provider = provider
        self.custom_state = custom_state
        self._complete: Callable[[str], None] | None = None
        self._listener: LoopbackListener | CallbackInbox | None = None

    def complete(self, redirect_url: str) -> Any:
        """Finish with the URL the browser was redirected to (paste mode, or by hand)."""
        if not isinstance(redirect_url, str) or "?" not in redirect_url:
            raise InvalidParameterError(
                "Paste the whole URL the browser ended on (it contains '?code=' or '?error=').",
            )
        if self.done:
            return self.wait(0)
        assert self._complete is not None
        self._complete(redirect_url.strip())
        return self.wait(0)

    def cancel(self) -> None:
        super().cancel()
        if self._listener is not None:
            self._listener.close()

    def __repr__(self) -> str:
        return f"RedirectSignIn(status={self.status!r}, mode={self.mode!r}, url={self.url!r})"


def start_redirect(
    client: OIDCClient,
    *,
    scopes: tuple[str, ...] | None,
    custom_state: str | None,
    mode: str,
    on_tokens: Callable[[OIDCTokens, str, str | None], Any],
    timeout: float = 300.0,
    redirect_uri: str | None = None,
    extra_params: dict[str, str] | None = None,
) -> RedirectSignIn:
    """Build the authorization request; ``on_tokens(tokens, nonce, custom_state)`` finishes it."""
    if mode not in MODES:
        raise InvalidParameterError(
            f"mode must be one of {', '.join(MODES)}, got {mode!r}.",
            "Use 'loopback' on your own machine, 'jupyter' on a remote kernel in Jupyter "
            "(JupyterHub, Binder), 'paste' anywhere else.",
        )
    endpoint = client.metadata.require("authorization_endpoint", "the code + PKCE flow")
    if (
        "S256" not in client.metadata.code_challenge_methods_supported
        and client.metadata.code_challenge_methods_supported
    ):
        log.warning("%s does not list S256 for PKCE; sending it anyway", client.spec.issuer)
    pkce = PKCE.generate()
    nonce = secrets.token_urlsafe(24)
    state = encode_state(custom_state)
    lock = threading.Lock()

    listener: LoopbackListener | CallbackInbox | None = None
    handle: RedirectSignIn

    def finish(url: str) -> None:
        with lock:
            if handle.done:
                return
            try:
                result = _exchange(
                    client,
                    url,
                    state=state,
                    verifier=pkce.verifier,
                    redirect_uri=handle.redirect_uri,
                    nonce=nonce,
                    custom_state=custom_state,
                    on_tokens=on_tokens,
                )
            except AccessDeniedError as exc:
                handle._finish("denied", exc)
            except AuthError as exc:
                handle._finish("failed", exc)
            except Exception as exc:
                log.exception("Finishing the redirect sign-in failed")
                handle._finish(
                    "failed", ServiceError(f"Sign-in failed: {type(exc).__name__}", underlying=exc)
                )
            else:
                handle._finish("signed_in", result=result)

    def timed_out() -> None:
        where = "the loopback listener" if mode == "loopback" else "the Jupyter server"
        handle._finish(
            "timed_out",
            SignInTimeoutError(f"No redirect reached {where} within {timeout:.0f} s."),
        )

    if mode == "jupyter":
        # Resolve (and fail on) the redirect URI before anything is written or started.
        final_redirect, box = jupyter_redirect_uri(
            redirect_uri or _first_jupyter_callback(client.spec.redirect_uris)
        )
    elif mode == "loopback":
        port, path = _loopback_target(redirect_uri or _first_loopback(client.spec.redirect_uris))
        listener = LoopbackListener(
            lambda url: threading.Thread(
                target=finish, args=(url,), daemon=True, name="nbauth-redirect"
            ).start(),
            path=path,
            port=port,
            timeout=timeout,
            on_timeout=timed_out,
        )
        final_redirect = listener.redirect_uri
    else:
        final_redirect = (
            redirect_uri
            or _first_loopback(client.spec.redirect_uris)
            or "http://127.0.0.1/callback"
        )

    scope_list = tuple(scopes or client.spec.scopes)
    params = dict(client.spec.authorize_params)
    if "offline_access" in scope_list and client.spec.kind == "oidc":
        params.setdefault("prompt", "consent")  # OIDC Core 11: offline_access needs consent
    params.update(extra_params or {})
    session = client.oauth_session(scopes=scope_list, redirect_uri=final_redirect)
    try:
        url, _ = session.create_authorization_url(
            endpoint,
            state=state,
            nonce=nonce,
            **{**params, **pkce.authorization_params()},
        )
    finally:
        session.close()
    handle = RedirectSignIn(
        url=url,
        redirect_uri=final_redirect,
        mode=mode,
        provider=client.spec.name,
        custom_state=custom_state,
    )
    handle._complete = finish
    if mode == "jupyter":
        # The redirect is the server's to receive: the kernel polls the drop box off-thread.
        inbox = CallbackInbox(box, state, finish, timeout=timeout, on_timeout=timed_out)
        handle._listener = inbox
        handle.on_done(lambda h: inbox.report(h.status, _outcome_message(h)))
        return handle
    handle._listener = listener
    if listener is not None:
        handle.on_done(lambda _h: listener.close())
    return handle


def _outcome_message(handle: RedirectSignIn) -> str:
    """What the callback page shows: the status in words, or the error's message (no secret)."""
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
    verifier: str,
    redirect_uri: str,
    nonce: str,
    custom_state: str | None,
    on_tokens: Callable[[OIDCTokens, str, str | None], Any],
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
        lambda s: s.fetch_token(
            client.metadata.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            state=state,
        ),
        redirect_uri=redirect_uri,
    )
    tokens = OIDCTokens.from_response(response, now=client.clock())
    return on_tokens(tokens, nonce, custom_state)


def _first_jupyter_callback(uris: tuple[str, ...]) -> str | None:
    """A registered redirect URI served by the nbauth server extension (Cognito's
    ``redirect_sign_in_uri`` must match exactly, so a registered one wins over a guess)."""
    for uri in uris:
        if urlsplit(uri).path.rstrip("/").endswith("/" + CALLBACK_PATH):
            return uri
    return None


def _first_loopback(uris: tuple[str, ...]) -> str | None:
    for uri in uris:
        host = urlsplit(uri).hostname
        if host in ("127.0.0.1", "localhost"):
            return uri
    return None


def _loopback_target(uri: str | None) -> tuple[int, str]:
    if not uri:
        return 0, "/callback"
    parts = urlsplit(uri)
    if parts.hostname not in ("127.0.0.1", "localhost") or parts.scheme != "http":
        raise InvalidParameterError(
            f"A loopback redirect URI must be http://127.0.0.1:<port>/<path>, got {uri!r}.",
        )
    return parts.port or 0, parts.path or "/callback"
