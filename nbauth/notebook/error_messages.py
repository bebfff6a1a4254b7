"""Errors in words a person reads: a short title, the advice that applies, and the details.

Views (the LoginWidget, the ``%nbauth`` magics) show :func:`describe`'s ``title`` and
``advice`` and keep ``details`` (the error's name and message, never a secret) behind a
"Details" toggle. ``title`` says what happened in plain words ("Wrong username or password"),
never a service's exception name; ``advice`` is the one thing to do next.

The words are looked up by the error's class (most specific first) and, where one class covers
several situations, by the error's ``name`` (an OAuth error code, a Cognito exception name), by
the Cognito service that answered (a ``NotAuthorizedException`` is a wrong password to a
user-pool sign-in, an untrusted token to an identity pool) or by the situation Cognito tells
apart only in its message (see :mod:`nbauth.aws.error_mapping`).

Example::

    try:
        auth.sign_in(username="demo", password="nope")
    except AuthError as error:
        words = describe(error)
        print(words.title, "—", words.advice)
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .. import errors as e
from ..errors import AuthError

__all__ = ["HumanMessage", "describe"]


@dataclass(frozen=True)
class HumanMessage:
    """What a person is told about one error."""

    title: str
    advice: str
    details: str


_Words = tuple[str, str | None]  # (title, advice); advice None: the error's own suggestion

_AGAIN = "Start the sign-in again"
_CODE_LINK = "Start the sign-in again from this notebook and finish it in one browser tab."

#: By class: the words for every situation the class covers, unless a finer key below matches.
_BY_CLASS: dict[type[AuthError], _Words] = {
    AuthError: ("Signing in didn't work", None),
    e.ConfigurationError: (
        "nbauth's configuration needs fixing",
        "Fix the setting named in the details (amplify_outputs.json or the dict passed to "
        "configure()), then run the cell again.",
    ),
    e.InsecureEndpointError: (
        "The sign-in address isn't secure",
        "Use the provider's https:// address; plain http:// is allowed only for 127.0.0.1, ::1 "
        "and localhost.",
    ),
    e.InvalidStateError: (
        "That can't be done right now",
        "Check whether someone is signed in (or a sign-in is under way), then try again.",
    ),
    e.UserAlreadyAuthenticatedError: (
        "You're already signed in",
        "Sign out first to sign in as someone else, or keep using this session.",
    ),
    e.InvalidParameterError: (
        "Something in the request isn't valid",
        "Check what was entered (see the details) and try again.",
    ),
    e.InvalidTokenError: (
        "That isn't a sign-in token",
        "Pass the whole ID token (a JWT) your identity provider issued.",
    ),
    e.NotAuthorizedError: (
        "The sign-in was refused",
        "Sign in again; if it keeps happening, see the details.",
    ),
    e.ProviderTokenExpiredError: ("Your sign-in has expired", "Sign in again."),
    e.LoginTokenExpiredError: ("Your sign-in has expired", "Sign in again to get a fresh token."),
    e.IdentityForbiddenError: (
        "This AWS identity belongs to another sign-in",
        "Run the cell again: nbauth fetches the identity that belongs to this sign-in. If you "
        "pass an identity id yourself, use this sign-in's.",
    ),
    e.NoCredentialsError: (
        "There are no AWS credentials yet",
        "Sign in first (or turn on guest access in the identity pool).",
    ),
    e.SharedCredentialsLapsedError: (
        "The AWS credentials shared with this worker have expired",
        "Keep the notebook (the Dask client) that shares them running and signed in, or share "
        "them again from it: nbauth.integrations.dask.share_credentials(client).",
    ),
    e.ResourceConflictError: (
        "This sign-in is already linked to another identity",
        "Use the identity it already belongs to, or unlink it from that identity first.",
    ),
    e.ResourceNotFoundError: (
        "The identity pool or identity wasn't found",
        "Check auth.identity_pool_id and auth.aws_region in the configuration.",
    ),
    e.IdentityNotFoundError: (
        "Your AWS identity no longer exists",
        "Run the cell again: nbauth gets a new identity.",
    ),
    e.IdentityPoolNotFoundError: (
        "The identity pool doesn't exist",
        "Check auth.identity_pool_id and auth.aws_region (the pool must exist in that region).",
    ),
    e.InvalidIdentityPoolConfigurationError: (
        "The identity pool's roles aren't set up correctly",
        "Ask the pool's administrator to check its authenticated and guest roles and their "
        "trust policies.",
    ),
    e.DiscoveryError: (
        "Can't read the identity provider's settings",
        "Check the provider's issuer URL in the configuration: "
        "<issuer>/.well-known/openid-configuration must answer.",
    ),
    e.TokenVerificationError: (
        "The sign-in couldn't be verified",
        "Sign in again. If it keeps happening, check the provider's issuer and client_id in "
        "the configuration, and this computer's clock.",
    ),
    e.OAuthError: (
        "The identity provider refused the sign-in",
        "Sign in again; if it keeps happening, check the provider's settings in the configuration.",
    ),
    e.AccessDeniedError: (
        "The sign-in was declined",
        f"Access was not allowed at the identity provider. {_AGAIN} and choose Allow if you "
        "want to continue.",
    ),
    e.ExpiredDeviceCodeError: (
        "The sign-in code expired",
        f"{_AGAIN} and enter the new code before it expires.",
    ),
    e.InvalidGrantError: ("Your session at the identity provider has ended", "Sign in again."),
    e.InvalidScopeError: (
        "The identity provider won't grant the access asked for",
        "Remove the scopes this client isn't allowed from the provider's configuration, then "
        "sign in again.",
    ),
    e.InvalidClientError: (
        "The identity provider doesn't recognise this app",
        "Check the provider's client_id (and client_secret) in the configuration.",
    ),
    e.UnauthorizedClientError: (
        "This app isn't allowed to sign in this way",
        "Enable this grant (device code, authorization code or refresh tokens) for the client "
        "at the identity provider.",
    ),
    e.MissingIdTokenError: (
        "The identity provider didn't say who signed in",
        "Add 'openid' to the provider's scopes in the configuration (and allow it for this "
        "client at the provider), then sign in again.",
    ),
    e.CallbackValidationError: ("The sign-in's return link couldn't be checked", _CODE_LINK),
    e.SignInCancelledError: ("Sign-in cancelled", f"{_AGAIN} when you're ready."),
    e.SignInTimeoutError: (
        "The sign-in took too long",
        f"{_AGAIN} and finish it within the time shown.",
    ),
    e.TooManyRequestsError: ("Too many attempts right now", "Wait a minute and try again."),
    e.ServiceError: (
        "The sign-in service had a problem",
        "Try again in a moment; your session is kept.",
    ),
    e.ResponseTooLargeError: (
        "The sign-in service sent an unexpected answer",
        "Check the endpoint's URL in the configuration: it may point at the wrong server.",
    ),
    e.RedirectRefusedError: (
        "The sign-in service sent nbauth somewhere else",
        "Configure the endpoint's final address (as the provider's discovery document names it).",
    ),
    e.NetworkError: (
        "Can't reach {where}",
        "Check the internet connection (and any proxy or VPN), then try again.",
    ),
    e.DeadlineExceededError: (
        "Can't reach {where}: it didn't answer in time",
        "The service is slow or unreachable; check the connection and try again in a moment.",
    ),
    e.UnsafeStorageError: (
        "nbauth's credential file isn't private",
        "Remove the file named in the details (or make it yours, mode 0600); nbauth writes it "
        "again.",
    ),
    e.UserNotFoundError: ("No account with that username", "Check the username, or sign up first."),
    e.UserNotConfirmedError: (
        "Your account isn't confirmed yet",
        "Enter the confirmation code that was sent to you (or ask for a new one), then sign in.",
    ),
    e.UsernameExistsError: (
        "That username is taken",
        "Sign in instead, or choose another username.",
    ),
    e.InvalidPasswordError: (
        "That password doesn't meet the password rules",
        "Choose a password that meets the rules in the details (its length and the kinds of "
        "characters required).",
    ),
    e.PasswordResetRequiredError: (
        "You need to reset your password",
        "Reset the password (a code is sent to you), then sign in with the new one.",
    ),
    e.CodeMismatchError: (
        "Wrong code",
        "Check the code and type it again; from an authenticator app, use the current one.",
    ),
    e.ExpiredCodeError: ("That code has expired", "Ask for a new code and enter it."),
    e.CodeDeliveryFailureError: (
        "The code couldn't be sent",
        "Check the account's email address or phone number and try again.",
    ),
    e.LambdaValidationError: (
        "The user pool refused this request",
        "The user pool's own rules (a Lambda trigger) said no; the details have its reason.",
    ),
    e.InvalidLambdaResponseError: (
        "The user pool's setup has a problem",
        "Ask the user pool's administrator to check its Lambda triggers.",
    ),
    e.SignInSessionExpiredError: (
        "This sign-in step expired",
        f"{_AGAIN} and answer each step within 3 minutes.",
    ),
}

#: By (class, name): one class, several situations the error's ``name`` tells apart.
_BY_NAME: dict[tuple[type[AuthError], str], _Words] = {
    (e.CallbackValidationError, "state_mismatch"): (
        "This link is from another sign-in",
        "Use the newest sign-in tab (the one opened last from this notebook), or start the "
        "sign-in again.",
    ),
    (e.CallbackValidationError, "issuer_mismatch"): (
        "The sign-in came back from a different provider",
        f"{_AGAIN}; if it happens again, check the provider's issuer in the configuration.",
    ),
    (e.CallbackValidationError, "issuer_missing"): (
        "The sign-in's return link is incomplete",
        _CODE_LINK,
    ),
    (e.CallbackValidationError, "code_missing"): (
        "The sign-in's return link is incomplete",
        "Copy the whole address the browser ended on, or start the sign-in again.",
    ),
    (e.NotAuthorizedError, "TooManyFailedAttemptsException"): (
        "Too many wrong attempts",
        "Wait a few minutes before trying again.",
    ),
    (e.AuthError, "EnableSoftwareTokenMFAException"): (
        "Wrong code",
        "Type the current 6-digit code from the authenticator app (it changes every 30 seconds).",
    ),
    (e.InvalidParameterError, "InvalidSrpChallenge"): (
        "The user pool's answer couldn't be checked",
        "Try again; if it keeps happening, check that the endpoint really is Amazon Cognito.",
    ),
    (e.ConfigurationError, "ServerExtensionMissing"): (
        "Signing in through this Jupyter needs nbauth's server extension",
        "Enable it where Jupyter runs (nbauth jupyter-setup), restart Jupyter, then restart "
        "this kernel.",
    ),
    (e.InvalidStateError, "PasskeyNotSupportedException"): (
        "Passkeys can't be used here",
        "Sign in with a password or a one-time code instead.",
    ),
}

#: By (class, service): a Cognito code means one thing to user pools and another to identity
#: pools.
_BY_SERVICE: dict[tuple[type[AuthError], str], _Words] = {
    (e.NotAuthorizedError, "user_pool"): (
        "Wrong username or password",
        "Check both and try again (passwords are case-sensitive); reset the password if you "
        "have forgotten it.",
    ),
    (e.NotAuthorizedError, "identity_pool"): (
        "The identity pool refused this sign-in",
        "Sign in again; if it keeps happening, check that the identity pool trusts this "
        "provider (its provider name and client id).",
    ),
    (e.ResourceNotFoundError, "user_pool"): (
        "The user pool or its app client wasn't found",
        "Check auth.user_pool_id, auth.user_pool_client_id and auth.aws_region in the "
        "configuration.",
    ),
    (e.InvalidParameterError, "user_pool"): (
        "The user pool rejected the request",
        "Check what was entered; the app client may not allow this way of signing in (see the "
        "details).",
    ),
}

#: By situation: what Cognito tells apart only by its message.
_BY_SITUATION: dict[str, _Words] = {
    "attempts_exceeded": (
        "Too many wrong passwords",
        "Wait a few minutes before trying again, or reset the password.",
    ),
    "user_disabled": (
        "This account is disabled",
        "Ask the user pool's administrator to enable it.",
    ),
    "guest_disabled": (
        "Guest access is off for this identity pool",
        "Sign in first, or turn on guest access in the identity pool.",
    ),
}


def describe(error: BaseException) -> HumanMessage:
    """The words for ``error`` (any exception; nbauth's errors carry no secret)."""
    if not isinstance(error, AuthError):
        return HumanMessage(
            title="Something went wrong",
            advice="Try again; if it keeps failing, see the details.",
            details=type(error).__name__,
        )
    title, advice = _words(error)
    return HumanMessage(
        title=title.replace("{where}", _where(error)),
        advice=advice or error.recovery_suggestion,
        details=f"{error.name}: {error.message}",
    )


def _words(error: AuthError) -> _Words:
    from ..aws.error_mapping import aws_operation, aws_service, aws_situation  # botocore: lazily

    situation = aws_situation(error)
    if situation in _BY_SITUATION:
        return _BY_SITUATION[situation]
    service = aws_service(aws_operation(error))
    for klass in type(error).__mro__:
        if not (isinstance(klass, type) and issubclass(klass, AuthError)):
            break
        found = _BY_NAME.get((klass, error.name))
        if found is None and service is not None:
            found = _BY_SERVICE.get((klass, service))
        if found is None:
            found = _BY_CLASS.get(klass)
        if found is not None:
            return found
    return _BY_CLASS[AuthError]


def _where(error: AuthError) -> str:
    """What could not be reached: the host when the underlying exception names it."""
    underlying = error.underlying
    url = getattr(getattr(underlying, "request", None), "url", None)
    if url is None:
        kwargs = getattr(underlying, "kwargs", None)  # botocore's: endpoint_url=...
        url = kwargs.get("endpoint_url") if isinstance(kwargs, dict) else None
    host = urlsplit(url).hostname if isinstance(url, str) else None
    if host:
        return host
    if type(underlying).__module__.startswith("botocore"):
        return "Amazon Cognito"
    return "the sign-in service"
