"""The client half of Amazon Cognito's SRP-6a (``USER_SRP_AUTH`` and its ``PASSWORD_VERIFIER``).

How a sign-in uses it::

    session = SrpSession(user_pool_id)
    InitiateAuth(AuthFlow="USER_SRP_AUTH",
                 AuthParameters={"USERNAME": username, "SRP_A": session.srp_a})
    # -> ChallengeName "PASSWORD_VERIFIER" with ChallengeParameters
    RespondToAuthChallenge(ChallengeName="PASSWORD_VERIFIER",
                           ChallengeResponses=session.process_challenge(parameters, password))

Cognito's conventions, as Amplify JS v6 and pycognito implement them:

* the group is RFC 5054's 3072-bit prime ``N`` with ``g = 2`` and SHA-256;
* numbers are hashed in Cognito's *padded* form: the shortest big-endian bytes with a zero byte in
  front when the high bit is set (the hex gets a leading ``"00"``; Java's
  ``BigInteger.toByteArray()`` for non-negative numbers), so ``k = H(pad(N) || pad(g))``;
* ``x = H(pad(salt) || H(poolName || USER_ID_FOR_SRP || ":" || password))`` where ``poolName``
  is the part of the pool id after ``"_"``;
* the key is HKDF-SHA256 (salt ``pad(u)``, input ``pad(S)``, info ``"Caldera Derived Key"``),
  16 bytes; the claim is Base64(HMAC-SHA256(key, poolName || USER_ID_FOR_SRP || secret block ||
  timestamp)), the timestamp being e.g. ``"Tue Mar 5 07:08:09 UTC 2024"`` in English.

The password, the secret exponent ``a``, the premaster secret ``S`` and the key are never stored
beyond need, logged, put in a ``repr`` or in an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ..errors import InvalidParameterError, NotAuthorizedError

__all__ = [
    "N_HEX",
    "SECRET_BYTES",
    "G",
    "K",
    "N",
    "SrpSession",
    "claim_signature",
    "cognito_timestamp",
    "compute_u",
    "compute_x",
    "derive_key",
    "padded_bytes",
    "padded_hex",
    "premaster_secret",
]

#: RFC 5054's 3072-bit group prime, the one Cognito uses.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
#: Bytes of randomness behind the secret exponent ``a`` (Amplify's and pycognito's 128).
SECRET_BYTES = 128

_HKDF_INFO = b"Caldera Derived Key\x01"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REQUIRED = ("SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP")
_MALFORMED_RECOVERY = (
    "Sign in again. If it repeats, check that the endpoint is Cognito's (AWS_ENDPOINT_URL)."
)
_UNSAFE_RECOVERY = (
    "Sign in again. If it repeats, the endpoint is not a trustworthy Cognito: check "
    "AWS_ENDPOINT_URL and the network."
)


def padded_bytes(value: int) -> bytes:
    """``value`` (>= 0) as Cognito hashes it: big-endian, a zero byte first if the high bit is set.

    This is Amplify's ``getPaddedHex`` as bytes: even-length hex, ``"00"`` prepended when the
    first digit is 8 to f; ``0`` is ``b"\\x00"``.
    """
    if value < 0:
        raise ValueError("Cognito's padding is defined for non-negative numbers only.")
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def padded_hex(value: int) -> str:
    """Cognito's padded hex of ``value`` (lower case), e.g. ``0x80`` → ``"0080"``."""
    return padded_bytes(value).hex()


def _sha256_int(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


#: The SRP-6a multiplier ``k = H(pad(N) || pad(g))``.
K = _sha256_int(padded_bytes(N) + padded_bytes(G))


def compute_u(big_a: int, big_b: int) -> int:
    """The scrambling parameter ``u = H(pad(A) || pad(B))``."""
    return _sha256_int(padded_bytes(big_a) + padded_bytes(big_b))


def compute_x(pool_name: str, user_id: str, password: str, salt: int) -> int:
    """The private key ``x = H(pad(salt) || H(poolName || userId || ":" || password))``."""
    identity = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).digest()
    return _sha256_int(padded_bytes(salt) + identity)


def premaster_secret(a: int, big_b: int, x: int, u: int) -> int:
    """The client's ``S = (B - k·g^x)^(a + u·x) mod N``."""
    base = (big_b - K * pow(G, x, N)) % N
    return pow(base, a + u * x, N)


def derive_key(premaster: int, u: int) -> bytes:
    """HKDF-SHA256 with salt ``pad(u)``, input ``pad(S)``, Cognito's info string; 16 bytes."""
    prk = hmac.new(padded_bytes(u), padded_bytes(premaster), hashlib.sha256).digest()
    return hmac.new(prk, _HKDF_INFO, hashlib.sha256).digest()[:16]


def cognito_timestamp(now: datetime) -> str:
    """``now`` as Cognito's ``TIMESTAMP``: ``"Tue Mar 5 07:08:09 UTC 2024"``, always in English.

    A naive ``now`` is taken to be UTC; an aware one is converted to UTC. Built by hand because
    ``strftime`` follows the locale and ``%-d`` (day without padding) is not portable.
    """
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc)
    return (
        f"{_WEEKDAYS[now.weekday()]} {_MONTHS[now.month - 1]} {now.day} "
        f"{now.hour:02d}:{now.minute:02d}:{now.second:02d} UTC {now.year}"
    )


def claim_signature(
    key: bytes, pool_name: str, user_id: str, secret_block: bytes, timestamp: str
) -> str:
    """``PASSWORD_CLAIM_SIGNATURE``: Base64(HMAC-SHA256(key, poolName || userId || block || ts))."""
    message = pool_name.encode() + user_id.encode() + secret_block + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _malformed(message: str) -> InvalidParameterError:
    return InvalidParameterError(message, _MALFORMED_RECOVERY, name="InvalidSrpChallenge")


def _parse_hex(name: str, value: str) -> int:
    if not set(value) <= _HEX_DIGITS:
        raise _malformed(f"{name} in the PASSWORD_VERIFIER challenge is not hexadecimal.")
    return int(value, 16)


def _decode_secret_block(value: str) -> bytes:
    """Standard or URL-safe Base64, padding optional (as Amplify's decoder); strict otherwise."""
    text = value.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("SECRET_BLOCK in the PASSWORD_VERIFIER challenge is not Base64.") from None


def _challenge_values(parameters: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(parameters, Mapping):
        raise _malformed("The PASSWORD_VERIFIER challenge parameters are not a mapping.")
    missing = [n for n in _REQUIRED if not isinstance(parameters.get(n), str) or not parameters[n]]
    if missing:
        raise _malformed(f"The PASSWORD_VERIFIER challenge has no usable {', '.join(missing)}.")
    values = {name: parameters[name] for name in _REQUIRED}
    username = parameters.get("USERNAME") or values["USER_ID_FOR_SRP"]
    if not isinstance(username, str):
        raise _malformed("USERNAME in the PASSWORD_VERIFIER challenge is not a string.")
    values["USERNAME"] = username
    return values


class SrpSession:
    """One SRP exchange with a user pool: makes ``SRP_A``, then answers ``PASSWORD_VERIFIER``.

    Args:
        pool_id: the user pool id, ``"<region>_<name>"``; SRP uses the part after ``"_"``.
        random_bytes: source of randomness, ``random_bytes(n) -> n bytes``; inject a fixed one
            in tests only.
        clock: returns the current time for ``TIMESTAMP`` (UTC if naive).

    A session is good for one ``InitiateAuth``/``RespondToAuthChallenge`` pair; start a new one
    (a fresh ``a``) for every sign-in attempt.
    """

    __slots__ = ("_a", "_big_a", "_clock", "pool_id", "pool_name")

    def __init__(
        self,
        pool_id: str,
        *,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        name = pool_id.partition("_")[2] if isinstance(pool_id, str) else ""
        if not name:
            raise InvalidParameterError(
                f"{pool_id!r} is not a user pool id (expected '<region>_<name>').",
                "Pass auth.user_pool_id from amplify_outputs.json, e.g. 'us-east-1_AbC123'.",
            )
        self.pool_id = pool_id
        self.pool_name = name
        self._clock = clock
        self._a = int.from_bytes(random_bytes(SECRET_BYTES), "big") % N
        self._big_a = pow(G, self._a, N)
        if self._big_a % N == 0:
            raise InvalidParameterError(
                "The random source gave an unusable SRP secret (A mod N is 0).",
                "Use the default random source (secrets.token_bytes).",
            )

    @property
    def srp_a(self) -> str:
        """The public value ``A = g^a mod N`` as lower-case hex without padding (``SRP_A``)."""
        return format(self._big_a, "x")

    def password_authentication_key(
        self, user_id_for_srp: str, password: str, srp_b: int, salt: int
    ) -> bytes:
        """The 16-byte HKDF key for this exchange (Amplify's ``getPasswordAuthenticationKey``).

        Raises:
            NotAuthorizedError: ``B mod N`` or ``u`` is zero (the server's value is unsafe).
        """
        if srp_b % N == 0:
            raise NotAuthorizedError(
                "The user pool's SRP challenge failed a safety check (B mod N is 0); "
                "sign-in stopped.",
                _UNSAFE_RECOVERY,
                name="InvalidSrpChallenge",
            )
        u = compute_u(self._big_a, srp_b)
        if u == 0:
            raise NotAuthorizedError(
                "The user pool's SRP challenge failed a safety check (u is 0); sign-in stopped.",
                _UNSAFE_RECOVERY,
                name="InvalidSrpChallenge",
            )
        x = compute_x(self.pool_name, user_id_for_srp, password, salt)
        return derive_key(premaster_secret(self._a, srp_b, x, u), u)

    def process_challenge(
        self,
        challenge_parameters: Mapping[str, Any],
        password: str,
        *,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """The ``ChallengeResponses`` for Cognito's ``PASSWORD_VERIFIER`` challenge.

        Args:
            challenge_parameters: the challenge's ``SALT``, ``SRP_B``, ``SECRET_BLOCK``,
                ``USER_ID_FOR_SRP`` and (optional) ``USERNAME``.
            password: the user's password.
            now: the time to sign (default: the session's clock); naive means UTC.

        Returns:
            ``USERNAME`` (the challenge's, else ``USER_ID_FOR_SRP``),
            ``PASSWORD_CLAIM_SECRET_BLOCK`` (the secret block as received),
            ``PASSWORD_CLAIM_SIGNATURE`` and ``TIMESTAMP``. Add ``SECRET_HASH`` (for ``USERNAME``)
            when the app client has a secret.

        Raises:
            InvalidParameterError: a parameter is missing or malformed, or the password is empty.
            NotAuthorizedError: the server's ``SRP_B`` fails SRP's safety checks.
        """
        if not isinstance(password, str) or not password:
            raise InvalidParameterError(
                "The password must be a non-empty string.", "Pass the user's password."
            )
        values = _challenge_values(challenge_parameters)
        srp_b = _parse_hex("SRP_B", values["SRP_B"])
        salt = _parse_hex("SALT", values["SALT"])
        secret_block = _decode_secret_block(values["SECRET_BLOCK"])
        user_id = values["USER_ID_FOR_SRP"]

        key = self.password_authentication_key(user_id, password, srp_b, salt)
        timestamp = cognito_timestamp(now if now is not None else self._clock())
        return {
            "USERNAME": values["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": values["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": claim_signature(
                key, self.pool_name, user_id, secret_block, timestamp
            ),
            "TIMESTAMP": timestamp,
        }

    def __repr__(self) -> str:
        return f"SrpSession(pool_id={self.pool_id!r}, srp_a={self.srp_a[:16]!r}…)"
