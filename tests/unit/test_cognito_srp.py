"""Known-answer tests of the client half of Cognito's SRP-6a (``nbauth.cognito.srp``).

Three sides are checked against each other:

* ``SrpSession``, nbauth's client;
* pycognito's ``AWSSRP``, an independent client (a test dependency only), run with the same
  secret ``a`` and the same clock;
* a server written here from the SRP-6a definitions (verifier ``v = g^x``, ``B = k·v + g^b``,
  ``S = (A·v^u)^b``), so the tests prove that the protocol closes, not only that two clients agree.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import locale
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from nbauth.cognito import srp
from nbauth.cognito.secret_hash import secret_hash
from nbauth.errors import AuthError, InvalidParameterError, NotAuthorizedError

# -- an independent server ----------------------------------------------------------------------


def _pad(value: int) -> bytes:
    """Cognito's padding, written the way Amplify's getPaddedHex is (hex, not bit arithmetic)."""
    text = format(value, "x")
    if len(text) % 2:
        text = "0" + text
    if text[0] in "89abcdef":
        text = "00" + text
    return bytes.fromhex(text)


def _h(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _stream(seed: str, size: int) -> bytes:
    """``size`` deterministic pseudo-random bytes named by ``seed``."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def _hkdf16(ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, b"Caldera Derived Key" + bytes([1]), hashlib.sha256).digest()[:16]


N = srp.N
G = srp.G
K_SERVER = _h(_pad(N) + _pad(G))


@dataclass(frozen=True)
class Case:
    """One user and one server-side exchange."""

    label: str
    pool_id: str
    username: str  # the name typed by the user and echoed as the challenge's USERNAME
    user_id: str  # USER_ID_FOR_SRP
    password: str
    salt_hex: str
    b: int  # the server's secret exponent
    secret_block: bytes
    a_bytes: bytes  # what the client's random source returns
    now: dt.datetime  # naive UTC, like pycognito's utcnow()

    @property
    def pool_name(self) -> str:
        return self.pool_id.split("_", 1)[1]

    @property
    def salt(self) -> int:
        return int(self.salt_hex, 16)

    @cached_property
    def x(self) -> int:
        inner = hashlib.sha256(f"{self.pool_name}{self.user_id}:{self.password}".encode()).digest()
        return _h(_pad(self.salt) + inner)

    @cached_property
    def verifier(self) -> int:
        return pow(G, self.x, N)

    @cached_property
    def big_b(self) -> int:
        return (K_SERVER * self.verifier + pow(G, self.b, N)) % N

    @cached_property
    def a(self) -> int:
        return int.from_bytes(self.a_bytes, "big") % N

    @cached_property
    def big_a(self) -> int:
        return pow(G, self.a, N)

    def challenge(self) -> dict[str, str]:
        return {
            "SALT": self.salt_hex,
            "SRP_B": format(self.big_b, "x"),
            "SECRET_BLOCK": base64.b64encode(self.secret_block).decode(),
            "USER_ID_FOR_SRP": self.user_id,
            "USERNAME": self.username,
        }

    def server_premaster(self, big_a: int) -> int:
        """The server's ``S = (A·v^u)^b mod N``."""
        assert big_a % N != 0
        u = _h(_pad(big_a) + _pad(self.big_b))
        return pow(big_a * pow(self.verifier, u, N) % N, self.b, N)

    def server_key(self, big_a: int) -> bytes:
        u = _h(_pad(big_a) + _pad(self.big_b))
        return _hkdf16(_pad(self.server_premaster(big_a)), _pad(u))

    def server_signature(self, big_a: int, timestamp: str) -> str:
        message = (
            self.pool_name.encode() + self.user_id.encode() + self.secret_block + timestamp.encode()
        )
        digest = hmac.new(self.server_key(big_a), message, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()


def _first(seed: str, accept: Callable[[int], bool]) -> int:
    """The first integer from a deterministic sequence that ``accept`` takes."""
    for counter in range(10_000):
        value = int.from_bytes(_stream(f"{seed}#{counter}", 32), "big")
        if accept(value):
            return value
    raise AssertionError(f"no value for {seed}")


def _a_bytes(seed: str, accept: Callable[[int], bool]) -> bytes:
    for counter in range(10_000):
        candidate = _stream(f"{seed}#{counter}", srp.SECRET_BYTES)
        if accept(pow(G, int.from_bytes(candidate, "big") % N, N)):
            return candidate
    raise AssertionError(f"no a for {seed}")


def _high_bit(value: int) -> bool:
    return _pad(value)[0] == 0 and len(format(value, "x")) % 2 == 0


def _odd_hex(value: int) -> bool:
    return len(format(value, "x")) % 2 == 1


def _make_cases() -> list[Case]:
    cases = [
        Case(
            label="plain",
            pool_id="us-east-1_AbCdEf123",
            username="alice",
            user_id="alice",
            password="Correct-Horse-Battery-1",
            salt_hex="f3a1c2d4e5b60718293a4b5c6d7e8f90",  # high bit set: pad() adds "00"
            b=int.from_bytes(_stream("b/plain", 256), "big"),
            secret_block=_stream("block/plain", 1024),
            a_bytes=_a_bytes("a/plain", _high_bit),
            now=dt.datetime(2024, 3, 5, 7, 8, 9),
        ),
        Case(
            label="user id differs, unicode password",
            pool_id="eu-central-1_XyZ987",
            username="bob@example.com",
            user_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            password="pässwörd-日本語-🔑",
            salt_hex="8000000000000000000000000000abcd",  # exactly the high bit
            b=int.from_bytes(_stream("b/unicode", 256), "big"),
            secret_block=_stream("block/unicode", 777),
            a_bytes=_a_bytes("a/unicode", lambda big_a: not _high_bit(big_a)),
            now=dt.datetime(2023, 12, 31, 23, 59, 59),
        ),
        Case(
            label="B with odd-length hex",
            pool_id="ap-southeast-2_Q1w2E3r4T",
            username="carol",
            user_id="carol",
            password="hunter2!",
            salt_hex="1d2c3b4a59687f",  # no high bit, even length
            b=0,  # replaced below
            secret_block=_stream("block/odd-b", 64),
            a_bytes=_a_bytes("a/odd-b", _high_bit),
            now=dt.datetime(2024, 2, 29, 0, 0, 0),
        ),
        Case(
            label="odd-length salt, odd-length A",
            pool_id="us-west-2_Zz9",
            username="Dave O'Neil",
            user_id="Dave O'Neil",
            password="  spaces and \t tabs  ",
            salt_hex="abc1234",  # odd length: pad() gives "0abc1234"
            b=int.from_bytes(_stream("b/odd-salt", 256), "big"),
            secret_block=b"\xfb\xff\xbf" * 50,  # Base64 with '+' and '/'
            a_bytes=_a_bytes("a/odd-salt", _odd_hex),
            now=dt.datetime(2025, 1, 9, 12, 30, 1),
        ),
    ]
    # Pick the server's b for the third case so that B's hex has an odd length.
    base = cases[2]
    odd_b = _first("b/odd-b", lambda b: _odd_hex(replace(base, b=b).big_b))
    cases[2] = replace(base, b=odd_b)
    return cases


CASES = _make_cases()


@pytest.fixture(params=CASES, ids=[case.label for case in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


def _session(case: Case) -> srp.SrpSession:
    def random_bytes(size: int) -> bytes:
        assert size == srp.SECRET_BYTES
        return case.a_bytes

    return srp.SrpSession(case.pool_id, random_bytes=random_bytes)


# -- pycognito, the independent client ----------------------------------------------------------


@pytest.fixture
def aws_srp() -> ModuleType:
    return pytest.importorskip("pycognito.aws_srp")


def _pycognito_client(monkeypatch: pytest.MonkeyPatch, aws_srp: ModuleType, case: Case) -> Any:
    """pycognito's AWSSRP with our ``a`` (its get_random) and our clock (its datetime)."""

    def get_random(nbytes: int) -> int:
        assert nbytes == srp.SECRET_BYTES
        return int.from_bytes(case.a_bytes, "big")

    class FrozenDatetime(dt.datetime):
        @classmethod
        def utcnow(cls) -> dt.datetime:  # type: ignore[override]
            return case.now

    monkeypatch.setattr(aws_srp, "get_random", get_random)
    monkeypatch.setattr(aws_srp, "datetime", SimpleNamespace(datetime=FrozenDatetime))
    # A stand-in boto3 client: process_challenge makes no call, and no region is needed.
    return aws_srp.AWSSRP(
        username=case.username,
        password=case.password,
        pool_id=case.pool_id,
        client_id="client-id",
        client=object(),
    )


# -- the tests ----------------------------------------------------------------------------------


def test_cases_cover_the_padding_edge_cases() -> None:
    salts = [case.salt for case in CASES]
    assert any(_high_bit(s) for s in salts)  # pad() prepends "00"
    assert any(_odd_hex(s) for s in salts)
    assert any(_odd_hex(case.big_b) for case in CASES)
    assert any(_high_bit(case.big_a) for case in CASES)
    assert any(_odd_hex(case.big_a) for case in CASES)
    assert any(case.user_id != case.username for case in CASES)
    assert any(not case.password.isascii() for case in CASES)


def test_group_constants() -> None:
    assert srp.N.bit_length() == 3072
    assert pow(2, srp.N - 1, srp.N) == 1  # Fermat: N is (probably) prime
    assert srp.N_HEX.startswith("FFFFFFFFFFFFFFFFC90FDAA2") and srp.N_HEX.endswith("F" * 16)
    assert srp.G == 2
    assert srp.K == K_SERVER


def test_group_constants_match_pycognito(aws_srp: ModuleType) -> None:
    assert int(aws_srp.N_HEX, 16) == srp.N
    assert int(aws_srp.G_HEX, 16) == srp.G
    assert int(aws_srp.hex_hash("00" + aws_srp.N_HEX + "02"), 16) == srp.K


PADDING = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0xABC, 0x8ABC, N, N - 1]


@pytest.mark.parametrize("value", PADDING)
def test_padding_matches_amplify(value: int) -> None:
    assert srp.padded_bytes(value) == _pad(value)
    assert srp.padded_hex(value) == _pad(value).hex()


def test_padding_matches_pycognito(aws_srp: ModuleType) -> None:
    for value in PADDING:
        assert srp.padded_hex(value) == aws_srp.pad_hex(value)


def test_padding_examples() -> None:
    assert srp.padded_hex(0) == "00"
    assert srp.padded_hex(0x7F) == "7f"
    assert srp.padded_hex(0x80) == "0080"
    assert srp.padded_hex(0xABC) == "0abc"
    assert srp.padded_hex(0x8ABC) == "008abc"
    with pytest.raises(ValueError):
        srp.padded_bytes(-1)


def test_known_answers_agree_with_pycognito(
    monkeypatch: pytest.MonkeyPatch, aws_srp: ModuleType, case: Case
) -> None:
    ours = _session(case)
    theirs = _pycognito_client(monkeypatch, aws_srp, case)

    # A: same secret, same public value, same SRP_A text.
    assert ours.srp_a == aws_srp.long_to_hex(theirs.large_a_value) == format(case.big_a, "x")
    assert theirs.get_auth_params()["SRP_A"] == ours.srp_a

    # The HKDF key.
    key = ours.password_authentication_key(case.user_id, case.password, case.big_b, case.salt)
    assert key == theirs.get_password_authentication_key(
        case.user_id, case.password, case.big_b, case.salt_hex
    )

    # The whole challenge response, clock included.
    challenge = case.challenge()
    response = ours.process_challenge(challenge, case.password, now=case.now)
    expected = theirs.process_challenge(challenge, {"USERNAME": case.username})
    assert response == expected
    assert response["TIMESTAMP"] == expected["TIMESTAMP"]
    assert response["PASSWORD_CLAIM_SIGNATURE"] == expected["PASSWORD_CLAIM_SIGNATURE"]
    assert set(response) == {
        "USERNAME",
        "PASSWORD_CLAIM_SECRET_BLOCK",
        "PASSWORD_CLAIM_SIGNATURE",
        "TIMESTAMP",
    }


def test_protocol_closes_against_the_server(case: Case) -> None:
    session = _session(case)
    big_a = int(session.srp_a, 16)
    assert big_a == case.big_a

    # The client's S, from the module's building blocks, equals the server's (A·v^u)^b.
    u = srp.compute_u(big_a, case.big_b)
    x = srp.compute_x(case.pool_name, case.user_id, case.password, case.salt)
    assert x == case.x
    client_s = srp.premaster_secret(case.a, case.big_b, x, u)
    assert client_s == case.server_premaster(big_a)

    # The key and the signature the server expects.
    key = session.password_authentication_key(case.user_id, case.password, case.big_b, case.salt)
    assert key == case.server_key(big_a) == srp.derive_key(client_s, u)
    response = session.process_challenge(case.challenge(), case.password, now=case.now)
    assert response["PASSWORD_CLAIM_SIGNATURE"] == case.server_signature(
        big_a, response["TIMESTAMP"]
    )
    assert response["USERNAME"] == case.username
    assert response["PASSWORD_CLAIM_SECRET_BLOCK"] == case.challenge()["SECRET_BLOCK"]


def test_wrong_password_does_not_verify(case: Case) -> None:
    session = _session(case)
    response = session.process_challenge(case.challenge(), case.password + "x", now=case.now)
    big_a = int(session.srp_a, 16)
    assert response["PASSWORD_CLAIM_SIGNATURE"] != case.server_signature(
        big_a, response["TIMESTAMP"]
    )


def test_other_user_id_or_pool_does_not_verify(case: Case) -> None:
    big_a = case.big_a
    other_user = _session(case).process_challenge(
        {**case.challenge(), "USER_ID_FOR_SRP": case.user_id + "2"}, case.password, now=case.now
    )
    assert other_user["PASSWORD_CLAIM_SIGNATURE"] != case.server_signature(
        big_a, other_user["TIMESTAMP"]
    )
    other_pool = srp.SrpSession(
        case.pool_id.split("_")[0] + "_Other", random_bytes=lambda n: case.a_bytes
    ).process_challenge(case.challenge(), case.password, now=case.now)
    assert other_pool["PASSWORD_CLAIM_SIGNATURE"] != case.server_signature(
        big_a, other_pool["TIMESTAMP"]
    )


def test_fresh_sessions_use_fresh_secrets() -> None:
    first = srp.SrpSession("us-east-1_AbC")
    second = srp.SrpSession("us-east-1_AbC")
    assert first.srp_a != second.srp_a
    assert 1 < int(first.srp_a, 16) < N


def test_a_comes_from_128_random_bytes() -> None:
    asked: list[int] = []

    def random_bytes(size: int) -> bytes:
        asked.append(size)
        return b"\xff" * size

    session = srp.SrpSession("us-east-1_AbC", random_bytes=random_bytes)
    assert asked == [128]
    assert int(session.srp_a, 16) == pow(G, 2**1024 - 1, N)


def test_username_falls_back_to_user_id() -> None:
    case = CASES[1]
    challenge = case.challenge()
    del challenge["USERNAME"]
    response = _session(case).process_challenge(challenge, case.password, now=case.now)
    assert response["USERNAME"] == case.user_id
    assert response["PASSWORD_CLAIM_SIGNATURE"] == case.server_signature(
        case.big_a, response["TIMESTAMP"]
    )


def test_salt_is_read_as_a_number_like_amplify() -> None:
    """Amplify parses SALT into a BigInteger, so redundant leading zeros do not change x.

    (pycognito pads the SALT text as received: "00" + "1d2c…" would stay "001d2c…" there.)
    """
    case = CASES[2]
    canonical = _session(case).process_challenge(case.challenge(), case.password, now=case.now)
    zeros = _session(case).process_challenge(
        {**case.challenge(), "SALT": "0000" + case.salt_hex.upper()}, case.password, now=case.now
    )
    assert zeros == canonical


def test_url_safe_and_unpadded_secret_block_is_accepted_like_amplify() -> None:
    case = CASES[3]  # its secret block encodes to '+' and '/'
    standard = case.challenge()["SECRET_BLOCK"]
    assert "+" in standard and "/" in standard
    url_safe = standard.replace("+", "-").replace("/", "_").rstrip("=")
    response = _session(case).process_challenge(
        {**case.challenge(), "SECRET_BLOCK": url_safe}, case.password, now=case.now
    )
    assert response["PASSWORD_CLAIM_SECRET_BLOCK"] == url_safe  # echoed as received
    assert response["PASSWORD_CLAIM_SIGNATURE"] == case.server_signature(
        case.big_a, response["TIMESTAMP"]
    )


def test_moto_style_challenge_is_answered() -> None:
    """moto's sandbox sends uuid4().hex for SALT and SRP_B, and a bare UUID as SECRET_BLOCK.

    Amplify's decoder reads the UUID's '-' as URL-safe Base64 ('+'), and so does ours.
    """
    case = CASES[0]
    block = "6f1c2e4a-9b3d-4c5e-8f7a-0b1c2d3e4f5a"
    challenge = {
        "SALT": "0c4f9e2b7a1d4e6f8a0b1c2d3e4f5a6b",
        "SRP_B": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
        "USERNAME": "alice",
        "USER_ID_FOR_SRP": "2b8f4d1e-7c3a-4e5b-9f6d-1a2b3c4d5e6f",
        "SECRET_BLOCK": block,
    }
    response = _session(case).process_challenge(challenge, case.password, now=case.now)
    assert response["USERNAME"] == "alice"  # moto looks the user up by this name
    assert response["PASSWORD_CLAIM_SECRET_BLOCK"] == block  # moto's session key


def test_the_clock_is_injectable_and_aware_times_are_converted_to_utc() -> None:
    case = CASES[0]
    plus_two = dt.timezone(dt.timedelta(hours=2))
    session = srp.SrpSession(
        case.pool_id,
        random_bytes=lambda n: case.a_bytes,
        clock=lambda: dt.datetime(2024, 3, 5, 9, 8, 9, tzinfo=plus_two),
    )
    response = session.process_challenge(case.challenge(), case.password)
    assert response["TIMESTAMP"] == "Tue Mar 5 07:08:09 UTC 2024"
    assert response == session.process_challenge(case.challenge(), case.password, now=case.now)


def test_default_clock_is_now_in_utc() -> None:
    case = CASES[0]
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    response = _session(case).process_challenge(case.challenge(), case.password)
    after = dt.datetime.now(dt.timezone.utc)
    stamp = dt.datetime.strptime(response["TIMESTAMP"], "%a %b %d %H:%M:%S UTC %Y")
    assert before <= stamp.replace(tzinfo=dt.timezone.utc) <= after


# -- timestamps ---------------------------------------------------------------------------------

JANUARY_2024 = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"]


def _expected_stamps() -> list[tuple[dt.datetime, str]]:
    stamps = [
        (dt.datetime(2024, 1, day, 1, 2, 3), f"{JANUARY_2024[day - 1]} Jan {day} 01:02:03 UTC 2024")
        for day in range(1, 10)
    ]
    stamps += [
        (dt.datetime(2024, 1, 10, 0, 0, 0), "Wed Jan 10 00:00:00 UTC 2024"),
        (dt.datetime(2024, 5, 31, 13, 14, 15), "Fri May 31 13:14:15 UTC 2024"),
        (dt.datetime(2023, 12, 31, 23, 59, 59), "Sun Dec 31 23:59:59 UTC 2023"),
    ]
    return stamps


def test_timestamp_days_are_not_zero_padded() -> None:
    for moment, text in _expected_stamps():
        assert srp.cognito_timestamp(moment) == text


def test_timestamp_matches_pycognito(aws_srp: ModuleType) -> None:
    for moment, text in _expected_stamps():
        assert aws_srp.AWSSRP.get_cognito_formatted_timestamp(moment) == text


def test_timestamp_does_not_use_strftime() -> None:
    class NoStrftime(dt.datetime):
        def strftime(self, fmt: str) -> str:
            raise AssertionError("strftime follows the locale")

        def __format__(self, fmt: str) -> str:
            raise AssertionError("format() of a datetime goes through strftime")

    assert srp.cognito_timestamp(NoStrftime(2024, 1, 7, 5, 6, 7)) == "Sun Jan 7 05:06:07 UTC 2024"


@pytest.fixture
def german_time_locale(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """LC_TIME set to a non-English locale: an installed one, else one compiled with localedef."""
    saved = locale.setlocale(locale.LC_TIME)
    names = ["de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "es_ES.UTF-8"]
    chosen = None
    for name in names:
        try:
            chosen = locale.setlocale(locale.LC_TIME, name)
            break
        except locale.Error:
            continue
    if chosen is None and shutil.which("localedef"):
        root = tmp_path_factory.mktemp("locales")
        subprocess.run(
            ["localedef", "-i", "de_DE", "-f", "UTF-8", str(root / "de_DE.UTF-8")],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if (root / "de_DE.UTF-8").is_dir():
            monkeypatch.setenv("LOCPATH", str(root))
            try:
                chosen = locale.setlocale(locale.LC_TIME, "de_DE.UTF-8")
            except locale.Error:
                chosen = None
    if chosen is None:
        pytest.skip("no non-English locale is installed or can be compiled here")
    try:
        yield chosen
    finally:
        locale.setlocale(locale.LC_TIME, saved)  # monkeypatch restores LOCPATH


def test_timestamp_is_english_in_a_non_english_locale(german_time_locale: str) -> None:
    march_5 = dt.datetime(2024, 3, 5, 7, 8, 9)
    assert march_5.strftime("%a %b") != "Tue Mar"  # the locale really is in force
    assert srp.cognito_timestamp(march_5) == "Tue Mar 5 07:08:09 UTC 2024"
    for moment, text in _expected_stamps():
        assert srp.cognito_timestamp(moment) == text
    case = CASES[0]
    response = _session(case).process_challenge(case.challenge(), case.password, now=march_5)
    assert response["TIMESTAMP"] == "Tue Mar 5 07:08:09 UTC 2024"


# -- bad inputs ---------------------------------------------------------------------------------


def _assert_clean(err: AuthError, case: Case) -> None:
    """No secret (password, secret block, verifier inputs) leaks into the error."""
    text = f"{err} {err!r} {err.message} {err.recovery_suggestion}"
    assert case.password not in text
    assert case.challenge()["SECRET_BLOCK"][:16] not in text
    assert format(case.a, "x")[:16] not in text


@pytest.mark.parametrize(
    ("srp_b", "error"),
    [
        ("0", NotAuthorizedError),
        (format(N, "x"), NotAuthorizedError),
        (format(2 * N, "X"), NotAuthorizedError),
        ("00" + format(N, "x"), NotAuthorizedError),
        ("xyz", InvalidParameterError),
        ("0x1234", InvalidParameterError),
        ("12 34", InvalidParameterError),
        ("-1234", InvalidParameterError),
        ("12_34", InvalidParameterError),
        ("١٢٣", InvalidParameterError),  # Arabic-Indic digits: int() would take them
    ],
)
def test_bad_srp_b(srp_b: str, error: type[AuthError]) -> None:
    case = CASES[0]
    with pytest.raises(error) as caught:
        _session(case).process_challenge(
            {**case.challenge(), "SRP_B": srp_b}, case.password, now=case.now
        )
    assert "SRP_B" in caught.value.message or "B mod N" in caught.value.message
    _assert_clean(caught.value, case)


@pytest.mark.parametrize("salt", ["salty", "0xabcd", "ab cd", "+abcd", "ab_cd", "é1"])
def test_non_hex_salt(salt: str) -> None:
    case = CASES[0]
    with pytest.raises(InvalidParameterError, match="SALT") as caught:
        _session(case).process_challenge(
            {**case.challenge(), "SALT": salt}, case.password, now=case.now
        )
    _assert_clean(caught.value, case)


@pytest.mark.parametrize(
    "block",
    [
        "not base64!",
        "abcde",  # a length no Base64 text has
        "ab=cd===",
        "YWJj\nZGVm",
        "YWJjZA==YWJj",
        "Zm9v\u00e9",
    ],
)
def test_malformed_secret_block(block: str) -> None:
    case = CASES[0]
    with pytest.raises(InvalidParameterError, match="SECRET_BLOCK") as caught:
        _session(case).process_challenge(
            {**case.challenge(), "SECRET_BLOCK": block}, case.password, now=case.now
        )
    assert block not in caught.value.message
    _assert_clean(caught.value, case)


@pytest.mark.parametrize("name", ["SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP"])
@pytest.mark.parametrize("how", ["missing", "empty", "none", "not a string"])
def test_missing_challenge_parameter(name: str, how: str) -> None:
    case = CASES[0]
    challenge: dict[str, Any] = case.challenge()
    if how == "missing":
        del challenge[name]
    else:
        challenge[name] = {"empty": "", "none": None, "not a string": 12345}[how]
    with pytest.raises(InvalidParameterError, match=name) as caught:
        _session(case).process_challenge(challenge, case.password, now=case.now)
    _assert_clean(caught.value, case)


def test_all_missing_parameters_are_named() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        _session(CASES[0]).process_challenge({}, "pw", now=CASES[0].now)
    for name in ("SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP"):
        assert name in caught.value.message


@pytest.mark.parametrize("parameters", [None, "SALT=1", [("SALT", "1")]])
def test_challenge_parameters_must_be_a_mapping(parameters: Any) -> None:
    with pytest.raises(InvalidParameterError):
        _session(CASES[0]).process_challenge(parameters, "pw", now=CASES[0].now)


def test_username_must_be_a_string() -> None:
    case = CASES[0]
    with pytest.raises(InvalidParameterError, match="USERNAME"):
        _session(case).process_challenge(
            {**case.challenge(), "USERNAME": 7}, case.password, now=case.now
        )


@pytest.mark.parametrize("password", ["", None, b"bytes"])
def test_password_must_be_a_non_empty_string(password: Any) -> None:
    case = CASES[0]
    with pytest.raises(InvalidParameterError, match="password"):
        _session(case).process_challenge(case.challenge(), password, now=case.now)


@pytest.mark.parametrize("pool_id", ["", "us-east-1", "us-east-1_", None, 42])
def test_pool_id_must_have_a_name(pool_id: Any) -> None:
    with pytest.raises(InvalidParameterError, match="user pool id"):
        srp.SrpSession(pool_id)


def test_u_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[0]
    monkeypatch.setattr(srp, "compute_u", lambda big_a, big_b: 0)
    with pytest.raises(NotAuthorizedError, match="u is 0"):
        _session(case).process_challenge(case.challenge(), case.password, now=case.now)


def test_secrets_stay_out_of_repr() -> None:
    case = CASES[1]
    session = _session(case)
    text = repr(session)
    assert case.pool_id in text
    assert format(case.a, "x")[:16] not in text
    assert not hasattr(session, "__dict__")  # slots: no stray attribute can hold the password
    session.process_challenge(case.challenge(), case.password, now=case.now)
    assert case.password not in repr(session)


# -- SECRET_HASH --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "client_id", "client_secret"),
    [
        ("alice", "1example23456789", "x9y8z7secretsecretsecret"),
        ("jürgen@example.com", "3n4b5urk1ft4fl3mg5e6example", "s€cret/with+symbols=="),
        ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "c", "k"),
    ],
)
def test_secret_hash(username: str, client_id: str, client_secret: str) -> None:
    key, message = client_secret.encode("utf-8"), f"{username}{client_id}".encode()
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")
    assert secret_hash(username, client_id, client_secret) == expected


def test_secret_hash_known_value() -> None:
    # base64(HMAC-SHA256(key=b"secret", msg=b"alice" + b"client")), computed once with hmac.
    assert (
        secret_hash("alice", "client", "secret") == "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0="
    )


def test_secret_hash_matches_pycognito(aws_srp: ModuleType) -> None:
    for args in [("alice", "client", "secret"), ("jürgen", "c1", "s€cret")]:
        assert secret_hash(*args) == aws_srp.AWSSRP.get_secret_hash(*args)
