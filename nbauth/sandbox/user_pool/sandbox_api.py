"""The ``Sandbox`` methods for the user-pool layer (a mixin; see :class:`UserPoolControls`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import users
from .mfa import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA, new_totp_secret, totp_at
from .mfa_api import set_factors
from .secret_hash import secret_hash
from .tokens import Lifetimes
from .triggers import TRIGGER_NAMES, TriggerFn

if TYPE_CHECKING:
    from ..seed import SeededResources
    from .layer import StrictUserPool

__all__ = ["TRIGGER_NAMES", "UserPoolControls"]

_SANDBOX_SMS_CONFIGURATION = {
    "SmsAuthenticationMessage": "Your authentication code is {####}. ",
    "SmsConfiguration": {
        "SnsCallerArn": "arn:aws:iam::123456789012:role/nbauth-sandbox-sms",
        "ExternalId": "nbauth-sandbox",
    },
}
_PREFERRED = {
    "sms": SMS_MFA,
    "totp": SOFTWARE_TOKEN_MFA,
    "email": EMAIL_OTP,
    SMS_MFA: SMS_MFA,
    SOFTWARE_TOKEN_MFA: SOFTWARE_TOKEN_MFA,
    EMAIL_OTP: EMAIL_OTP,
}


class UserPoolControls:
    """Triggers, MFA, codes, time and tokens of the sandbox user pool.

    Mixed into ``Sandbox``, which provides ``_user_pool`` (the layer),
    ``user_pool_id`` and ``client``.
    """

    _user_pool: StrictUserPool
    _resources: SeededResources
    client: Callable[..., Any]

    @property
    def user_pool_id(self) -> str:
        """The sandbox user pool's id (``Sandbox`` provides it)."""
        raise NotImplementedError

    # -- triggers --------------------------------------------------------------
    def set_trigger(self, name: str, fn: TriggerFn | None, *, version: str = "1") -> None:
        """Register ``fn(event) -> event`` as trigger ``name`` (None removes it).

        Names: ``pre_sign_up``, ``pre_authentication``, ``post_authentication``,
        ``post_confirmation``, ``define_auth_challenge``, ``create_auth_challenge``,
        ``verify_auth_challenge_response``, ``pre_token_generation``,
        ``custom_message``, ``user_migration``. ``version="2"`` makes
        ``pre_token_generation`` a V2_0 trigger (access-token claims and scopes).
        """
        self._user_pool.state.triggers.set(name, fn, version=version)

    def set_triggers(self, triggers: Mapping[str, TriggerFn]) -> None:
        """Register several triggers at once (all names are checked first)."""
        for name in triggers:
            self._user_pool.state.triggers.check_name(name)
        for name, fn in triggers.items():
            self.set_trigger(name, fn)

    def trigger(self, name: str, *, version: str = "1") -> Callable[[TriggerFn], TriggerFn]:
        """Decorator form of :meth:`set_trigger`: ``@sb.trigger("pre_authentication")``."""
        self._user_pool.state.triggers.check_name(name)

        def register(fn: TriggerFn) -> TriggerFn:
            self.set_trigger(name, fn, version=version)
            return fn

        return register

    def clear_triggers(self) -> None:
        """Remove every trigger."""
        self._user_pool.state.triggers.clear()

    # -- messages and codes ----------------------------------------------------------
    def sent_messages(self, username: str) -> list[dict[str, Any]]:
        """Emails/SMS the user pool "sent" to ``username`` (internal username), oldest first:
        ``{"channel": "sms"|"email", "code", "message", "subject", "destination",
        "trigger_source", "sent_at"}``."""
        return self._user_pool.state.outbox.for_user(username)

    def last_code(self, username: str) -> str:
        """The code in the newest message to ``username``; ``LookupError`` if none."""
        messages = self.sent_messages(username)
        if not messages:
            raise LookupError(f"no message was sent to {username!r}")
        return str(messages[-1]["code"])

    def clear_sent_messages(self) -> None:
        """Forget every sent message."""
        self._user_pool.state.outbox.clear()

    # -- time --------------------------------------------------------------------------
    def advance_time(self, seconds: float) -> float:
        """Move the user-pool layer's clock forward (auth sessions, codes, tokens, TOTP).

        Only the user-pool layer's clock moves: the identity-pool layer, moto and
        the IdP keep real time. Returns the total offset; :meth:`reset_time` undoes it.
        """
        return self._user_pool.state.clock.advance(seconds)

    def reset_time(self) -> None:
        """The user-pool layer's clock back to real time."""
        self._user_pool.state.clock.reset()

    # -- MFA ---------------------------------------------------------------------------
    def _pool(self) -> Any:
        return users.find_pool(self.user_pool_id)

    def _user(self, username: str) -> Any:
        user = users.find_user(self._pool(), username)
        if user is None:
            raise LookupError(f"no user {username!r} in the sandbox user pool")
        return user

    def set_mfa(
        self, mode: str = "OFF", *, sms: bool = True, totp: bool = True, email: bool = True
    ) -> None:
        """The pool's MFA: ``mode`` "OFF", "OPTIONAL" or "ON", and which factors it allows."""
        if mode not in ("OFF", "OPTIONAL", "ON"):
            raise ValueError('mode must be "OFF", "OPTIONAL" or "ON"')
        if mode == "ON" and not (sms or totp or email):
            raise ValueError("MFA ON needs at least one factor")
        pool = self._pool()
        pool.mfa_config = mode
        pool.sms_mfa_config = dict(_SANDBOX_SMS_CONFIGURATION) if sms else None
        pool.token_mfa_config = {"Enabled": True} if totp else None
        self._user_pool.state.extras.set_pool_email(self.user_pool_id, email)

    def set_user_mfa(
        self,
        username: str,
        *,
        sms: bool | None = None,
        totp: bool | None = None,
        email: bool | None = None,
        preferred: str | None = None,
    ) -> str | None:
        """Turn a user's factors on/off (None: unchanged) and pick the preferred one
        (``"sms"``/``"totp"``/``"email"`` or Cognito's names). Returns the user's TOTP
        secret (made when ``totp=True`` and the user has none), or None.

        ``ValueError`` for SMS without ``phone_number`` or email without ``email``.
        """
        user = self._user(username)
        extras = self._user_pool.state.extras
        state = extras.of(user)
        if totp and state.totp_secret is None:
            state.totp_secret = new_totp_secret()
            user.token_verified = True
        if preferred is not None and preferred not in _PREFERRED:
            raise ValueError(f"unknown MFA type {preferred!r}")
        try:
            set_factors(
                user,
                extras,
                enabled={SMS_MFA: sms, SOFTWARE_TOKEN_MFA: totp, EMAIL_OTP: email},
                preferred=_PREFERRED[preferred] if preferred else None,
            )
        except Exception as exc:  # AwsError from the shared checks
            raise ValueError(getattr(exc, "message", str(exc))) from None
        return state.totp_secret

    def totp_code(self, secret: str, at: float | None = None) -> str:
        """The TOTP code for ``secret`` now (the layer's clock) or at epoch ``at``."""
        return totp_at(secret, self._user_pool.state.clock.now() if at is None else at)

    # -- users ------------------------------------------------------------------------
    def disable_user(self, username: str) -> None:
        """``AdminDisableUser``: sign-in and token use then fail with "User is disabled."."""
        self.client("cognito-idp").admin_disable_user(
            UserPoolId=self.user_pool_id, Username=username
        )

    def enable_user(self, username: str) -> None:
        """``AdminEnableUser``."""
        self.client("cognito-idp").admin_enable_user(
            UserPoolId=self.user_pool_id, Username=username
        )

    def secret_hash(self, username: str, client_id: str | None = None) -> str:
        """``SECRET_HASH`` for ``username`` with the secret app client (or ``client_id``'s)."""
        app = users.find_client(client_id or self.secret_client_id)
        if app.secret is None:
            raise ValueError(f"app client {app.client_id} has no secret")
        return secret_hash(app.secret, username, app.client_id)

    @property
    def secret_client_id(self) -> str:
        """The confidential app client (has a secret; same flows as the public one)."""
        return self._resources.secret_client_id

    @property
    def secret_client_secret(self) -> str:
        """The confidential app client's secret."""
        return self._resources.secret_client_secret

    # -- tokens ------------------------------------------------------------------------
    def set_user_pool_token_lifetimes(
        self, *, access: int | None = None, id: int | None = None, refresh: int | None = None
    ) -> None:
        """Seconds until user-pool tokens issued from now on expire (default 3600/3600/30 days)."""
        lifetimes = self._user_pool.state.tokens.lifetimes
        for name, value in (("access", access), ("id", id), ("refresh", refresh)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive number of seconds")
            setattr(lifetimes, name, value)

    # -- choice-based sign-in (USER_AUTH) ------------------------------------------------
    def allow_user_auth(
        self, first_factors: Sequence[str] | None = ("PASSWORD", "EMAIL_OTP", "SMS_OTP")
    ) -> None:
        """Choice-based sign-in: ``ALLOW_USER_AUTH`` on the sandbox's app clients and the
        pool's ``SignInPolicy.AllowedFirstAuthFactors`` = ``first_factors`` (``None``: take
        ``ALLOW_USER_AUTH`` away and drop the policy). What ``UpdateUserPoolClient`` and
        ``UpdateUserPool`` would set, without resetting the pool's other settings."""
        if first_factors is not None:
            bad = sorted(set(first_factors) - {"PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"})
            if bad or not first_factors:
                raise ValueError("first_factors: PASSWORD, EMAIL_OTP, SMS_OTP, WEB_AUTHN (1-4)")
        pool = self._pool()
        policies = dict(pool.extended_config.get("Policies") or {})
        if first_factors is None:
            policies.pop("SignInPolicy", None)
        else:
            policies["SignInPolicy"] = {"AllowedFirstAuthFactors": list(first_factors)}
        pool.extended_config["Policies"] = policies
        for client_id in (self._resources.user_pool_client_id, self._resources.secret_client_id):
            config = users.find_client(client_id).client.extended_config
            flows = [f for f in config.get("ExplicitAuthFlows") or [] if f != "ALLOW_USER_AUTH"]
            config["ExplicitAuthFlows"] = flows + (["ALLOW_USER_AUTH"] if first_factors else [])

    def reset_user_pool(self) -> None:
        """Back to the start: no triggers, real time, MFA off, default token lifetimes,
        no sent messages, no choice-based sign-in."""
        self.allow_user_auth(None)
        state = self._user_pool.state
        state.triggers.clear()
        state.clock.reset()
        state.outbox.clear()
        state.tokens.lifetimes = Lifetimes()
        self.set_mfa("OFF", sms=False, totp=False, email=False)
