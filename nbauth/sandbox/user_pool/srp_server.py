"""The server half of Cognito's SRP-6a (``USER_SRP_AUTH``, ``CUSTOM_AUTH`` with ``SRP_A``).

The same math as amazon-cognito-identity-js's ``AuthenticationHelper`` (and
every client ported from it), seen from the other side:

* group: the 3072-bit prime ``N`` of RFC 5054 (appendix A), ``g = 2``;
* ``H`` is SHA-256 over the bytes of padded hex strings; ``pad`` makes a
  minimal even-length hex string and prefixes ``00`` when its first nibble
  has the high bit set (a positive two's-complement number);
* ``k = H(pad(N) | pad(g))``;
* verifier ``v = g^x`` with ``x = H(pad(salt) | H(poolName + userIdForSrp + ":" + password))``,
  where ``poolName`` is the user pool id without the ``<region>_`` prefix;
* server: random ``b``, ``B = (k·v + g^b) mod N``; ``u = H(pad(A) | pad(B))``;
  ``S = (A · v^u)^b mod N``;
* key: HKDF-SHA256 with ``ikm = pad(S)``, ``salt = pad(u)``, info
  ``"Caldera Derived Key" || 0x01``, first 16 bytes;
* the client proves the key with ``PASSWORD_CLAIM_SIGNATURE =
  base64(HMAC-SHA256(key, poolName + userIdForSrp + secretBlock + TIMESTAMP))``,
  ``TIMESTAMP`` formatted ``"%a %b %-d %H:%M:%S UTC %Y"`` (day not zero-padded).

Cognito stores a salt and verifier per user; the sandbox keeps a salt per user
and derives the verifier from moto's stored password when a sign-in starts.
The salt is sent as a hex string without a leading zero nibble, so clients that
pad the string (pycognito) and clients that pad the parsed number (Amplify)
hash the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "N_HEX",
    "G",
    "K",
    "N",
    "SrpError",
    "SrpServerSession",
    "hex_hash",
    "new_salt_hex",
    "pad_hex",
    "password_signature",
    "password_verifier",
    "timestamp_is_valid",
]

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0"
    "BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C"
    "55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F17"
    "46C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF69558"
    "17183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB8"
    "50458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE"
    "6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA"
    "074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
_INFO = b"Caldera Derived Key\x01"
_B_BITS = 1024  # Cognito's clients use 128 random bytes for their private value too
_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_TIMESTAMP_RE = re.compile(
    rf"^(?:{_DAYS}) (?:{_MONTHS}) (?:[1-9]|[12]\d|3[01]) "
    r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC \d{4}$"
)


class SrpError(ValueError):
    """An SRP value that must be refused (A ≡ 0 mod N, u = 0, not hex)."""


def pad_hex(value: int | str) -> str:
    """Cognito's ``padHex``: even length, ``00`` prefix when the high bit is set."""
    text = format(value, "x") if isinstance(value, int) else value
    if len(text) % 2 == 1:
        return "0" + text
    if text[0] in "89abcdefABCDEF":
        return "00" + text
    return text


def hex_hash(hex_string: str) -> str:
    """SHA-256 of the bytes a hex string spells, as 64 hex digits."""
    return hashlib.sha256(bytes.fromhex(hex_string)).hexdigest()


K = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)


def new_salt_hex() -> str:
    """A random 128-bit salt as hex with no leading zero nibble."""
    while True:
        salt = secrets.token_hex(16)
        if salt[0] != "0":
            return salt


def password_verifier(pool_name: str, user_id_for_srp: str, password: str, salt_hex: str) -> int:
    """``v = g^x mod N`` for a password (``pool_name`` without the region prefix)."""
    inner = hashlib.sha256(f"{pool_name}{user_id_for_srp}:{password}".encode()).hexdigest()
    x = int(hex_hash(pad_hex(salt_hex) + inner), 16)
    return pow(G, x, N)


def _hkdf(ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]


def password_signature(
    key: bytes, pool_name: str, user_id_for_srp: str, secret_block: bytes, timestamp: str
) -> bytes:
    """The ``PASSWORD_CLAIM_SIGNATURE`` bytes a client holding ``key`` computes."""
    message = pool_name.encode() + user_id_for_srp.encode() + secret_block + timestamp.encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def timestamp_is_valid(timestamp: str) -> bool:
    """``"Tue Mar 5 09:04:01 UTC 2024"``: Cognito's format, day without zero padding."""
    return bool(_TIMESTAMP_RE.match(timestamp))


@dataclass(frozen=True, repr=False)
class SrpServerSession:
    """One ``PASSWORD_VERIFIER`` exchange: the client's ``A``, the server's ``b``/``B``.

    Holds secrets: it has no useful ``repr``.
    """

    big_a: int
    small_b: int
    big_b: int
    salt_hex: str
    verifier: int

    @classmethod
    def start(cls, srp_a_hex: str, verifier: int, salt_hex: str) -> SrpServerSession:
        """Check ``SRP_A`` and make ``B``; ``SrpError`` when ``A`` must be refused."""
        try:
            big_a = int(srp_a_hex, 16)
        except (TypeError, ValueError):
            raise SrpError("SRP_A is not a hex number") from None
        if big_a % N == 0:
            raise SrpError("SRP_A mod N is zero")
        while True:
            small_b = secrets.randbits(_B_BITS) % N
            big_b = (K * verifier + pow(G, small_b, N)) % N
            if small_b and big_b % N:
                return cls(big_a, small_b, big_b, salt_hex, verifier)

    @property
    def srp_b_hex(self) -> str:
        """``SRP_B`` as Cognito sends it (hex, no padding)."""
        return format(self.big_b, "x")

    def session_key(self) -> bytes:
        """The 16-byte key both sides derive; ``SrpError`` if ``u`` is zero."""
        u = int(hex_hash(pad_hex(self.big_a) + pad_hex(self.big_b)), 16)
        if u == 0:
            raise SrpError("u is zero")
        s = pow(self.big_a * pow(self.verifier, u, N), self.small_b, N)
        return _hkdf(bytes.fromhex(pad_hex(s)), bytes.fromhex(pad_hex(u)))

    def verify(
        self,
        *,
        pool_name: str,
        user_id_for_srp: str,
        secret_block: bytes,
        timestamp: str,
        signature_b64: str,
    ) -> bool:
        """True if ``signature_b64`` proves knowledge of the password."""
        if not timestamp_is_valid(timestamp):
            return False
        try:
            claimed = base64.b64decode(signature_b64, validate=True)
            key = self.session_key()
        except (ValueError, SrpError):
            return False
        expected = password_signature(key, pool_name, user_id_for_srp, secret_block, timestamp)
        return hmac.compare_digest(claimed, expected)

    def __repr__(self) -> str:
        return "<SrpServerSession>"
