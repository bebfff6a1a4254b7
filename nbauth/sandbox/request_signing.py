"""AWS request signatures, verified as AWS verifies them: pure functions, no moto.

Signature Version 4 (``AWS4-HMAC-SHA256``) in both forms — the ``Authorization`` header and the
presigned query (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``, ``X-Amz-Expires``,
``X-Amz-SignedHeaders``, ``X-Amz-Signature``, ``X-Amz-Security-Token``) — and, for S3 only,
Signature Version 2 (``AWS key:signature`` and the ``AWSAccessKeyId``/``Expires``/``Signature``
query), which botocore still uses by default for ``generate_presigned_url``.

The canonical request follows AWS's spec: S3's path is used as sent, other services' path is
normalized and encoded once more; query pairs are decoded, re-encoded and sorted; only the
signed headers count, with whitespace collapsed; the payload hash is S3's
``x-amz-content-sha256`` (a hex hash of the body, ``UNSIGNED-PAYLOAD`` or a ``STREAMING-…``
form whose body is aws-chunked), ``UNSIGNED-PAYLOAD`` for S3 presigned URLs, or the body's
SHA-256. Signatures are compared in constant time.

Example::

    request = HttpRequest.from_wsgi(environ, body)
    info = parse_signature(request)          # None if the request is not signed
    check_time(info, now=time.time())        # SignatureError("skewed" | "url_expired")
    verify_signature(request, info, secret)  # SignatureError("mismatch", ...)
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "MAX_PRESIGNED_SECONDS",
    "MAX_SKEW_SECONDS",
    "HttpRequest",
    "SignatureError",
    "SignatureInfo",
    "check_time",
    "parse_signature",
    "verify_signature",
]

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
#: ``x-amz-content-sha256`` values whose body is not hashed here: ``UNSIGNED-PAYLOAD``, and
#: aws-chunked bodies (``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` from botocore over https; the
#: signed-chunk forms from other SDKs, whose chunk signatures are not checked).
UNHASHED_PAYLOADS = frozenset(
    {
        UNSIGNED_PAYLOAD,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    }
)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_V2_SUBRESOURCES = frozenset(
    {
        *("accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory"),
        *("lifecycle", "location", "logging", "metrics", "notification", "object-lock"),
        *("partNumber", "policy", "replication", "requestPayment", "restore", "select"),
        *("select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads"),
        *("versionId", "versioning", "versions", "website", "response-cache-control"),
        *("response-content-disposition", "response-content-encoding", "response-expires"),
        *("response-content-language", "response-content-type"),
    }
)


class SignatureError(Exception):
    """Why a signed request is refused.

    ``reason``: ``malformed`` (not a well-formed signature), ``mismatch`` (wrong signature),
    ``skewed`` (header date more than 15 minutes off), ``url_expired`` (presigned URL past its
    expiry), ``content_sha256_mismatch`` (S3 body ≠ its ``x-amz-content-sha256``),
    ``headers_not_signed`` (S3 ``x-amz-*`` headers outside the signature). ``details`` are
    extra fields S3 puts in its error document.
    """

    def __init__(self, reason: str, message: str, **details: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.details = details


@dataclass(frozen=True)
class HttpRequest:
    """What a signature covers: ``path`` and ``query`` exactly as sent (percent-encoded),
    ``headers`` with lower-case names."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_wsgi(cls, environ: Mapping[str, Any], body: bytes) -> HttpRequest:
        """From a WSGI environ; the raw request target comes from ``REQUEST_URI``/``RAW_URI``."""
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if raw:
            parts = urlsplit(raw)
            path, query = parts.path, parts.query
        else:
            path = quote(environ.get("PATH_INFO", ""), safe="/~!$&'()*+,;=:@")
            query = environ.get("QUERY_STRING", "")
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].lower().replace("_", "-")] = str(value)
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers[key.lower().replace("_", "-")] = str(value)
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        return cls(method=method, path=path or "/", query=query, headers=headers, body=body)

    def query_pairs(self) -> list[tuple[str, str]]:
        """Decoded ``(name, value)`` pairs in order (``+`` stays ``+``, as AWS reads it)."""
        pairs = []
        for item in self.query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((unquote(name), unquote(value)))
        return pairs


@dataclass(frozen=True)
class SignatureInfo:
    """What a signed request claims: who signed it, when, for which service and region."""

    version: int  # 4 or 2
    access_key_id: str
    session_token: str | None
    service: str  # the credential scope's service ("s3" for Signature Version 2)
    region: str
    amz_date: str  # the request time, as YYYYMMDDTHHMMSSZ
    timestamp: float
    presigned: bool
    signature: str
    signed_headers: tuple[str, ...] = ()
    expires_at: float | None = None  # presigned URLs only
    expires_in: str = ""  # presigned: X-Amz-Expires / Expires, as sent
    date_header: str = ""  # Signature Version 2 header form: the date that was signed


def _amz_date(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(_AMZ_DATE)


def _parse_amz_date(value: str) -> float:
    try:
        when = datetime.datetime.strptime(value, _AMZ_DATE)
    except ValueError:
        raise SignatureError("malformed", f"Invalid date: {value!r}.") from None
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def _request_date(headers: Mapping[str, str]) -> tuple[str, float]:
    if "x-amz-date" in headers:
        return headers["x-amz-date"], _parse_amz_date(headers["x-amz-date"])
    if "date" in headers:
        try:
            epoch = parsedate_to_datetime(headers["date"]).timestamp()
        except (TypeError, ValueError):
            raise SignatureError("malformed", "Invalid Date header.") from None
        return _amz_date(epoch), epoch
    raise SignatureError("malformed", "Missing required header: x-amz-date or date.")


def _scope(credential: str, amz_date: str) -> tuple[str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise SignatureError(
            "malformed",
            f"Credential should be of the form <key>/<date>/<region>/<service>/aws4_request; "
            f"got {credential!r}.",
        )
    if parts[1] != amz_date[:8]:
        raise SignatureError(
            "malformed",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{parts[1]}' != '{amz_date[:8]}'.",
        )
    return parts[0], parts[2], parts[3]


def _v4_header(request: HttpRequest, value: str) -> SignatureInfo:
    fields: dict[str, str] = {}
    for item in value[len(ALGORITHM) :].split(","):
        name, _, content = item.strip().partition("=")
        fields[name] = content.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise SignatureError(
            "malformed", f"Authorization header requires '{missing[0]}' parameter."
        )
    amz_date, timestamp = _request_date(request.headers)
    key, region, service = _scope(fields["Credential"], amz_date)
    return SignatureInfo(
        version=4,
        access_key_id=key,
        session_token=request.headers.get("x-amz-security-token"),
        service=service,
        region=region,
        amz_date=amz_date,
        timestamp=timestamp,
        presigned=False,
        signature=fields["Signature"],
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
    )


def _v4_query(query: Mapping[str, str]) -> SignatureInfo:
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise SignatureError("malformed", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".')
    for name in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if not query.get(name):
            raise SignatureError("malformed", f"Query-string authentication requires {name}.")
    amz_date = query["X-Amz-Date"]
    timestamp = _parse_amz_date(amz_date)
    key, region, service = _scope(query["X-Amz-Credential"], amz_date)
    expires = query.get("X-Amz-Expires", "")
    expires_at = None
    if expires or service == "s3":
        if not expires.isdigit():
            raise SignatureError("malformed", "X-Amz-Expires should be a number.")
        if int(expires) > MAX_PRESIGNED_SECONDS:
            raise SignatureError(
                "malformed",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800.",
            )
        expires_at = timestamp + int(expires)
    return SignatureInfo(
        version=4,
        access_key_id=key,
        session_token=query.get("X-Amz-Security-Token"),
        service=service,
        region=region,
        amz_date=amz_date,
        timestamp=timestamp,
        presigned=True,
        signature=query["X-Amz-Signature"],
        signed_headers=tuple(query["X-Amz-SignedHeaders"].split(";")),
        expires_at=expires_at,
        expires_in=expires,
    )


def _v2(request: HttpRequest, query: Mapping[str, str]) -> SignatureInfo:
    auth = request.headers.get("authorization")
    if auth is not None:
        key, sep, signature = auth[4:].rpartition(":")
        if not sep or not key or not signature:
            raise SignatureError("malformed", "Authorization header is invalid.")
        amz_date, timestamp = _request_date(request.headers)
        signed_date = "" if "x-amz-date" in request.headers else request.headers["date"]
        token = request.headers.get("x-amz-security-token")
        return SignatureInfo(
            2, key, token, "s3", "us-east-1", amz_date, timestamp, False, signature,
            date_header=signed_date,
        )  # fmt: skip
    expires = query.get("Expires", "")
    if not expires.isdigit() or not query.get("Signature"):
        raise SignatureError("malformed", "Query-string authentication requires the "
                             "Signature, Expires and AWSAccessKeyId parameters")  # fmt: skip
    token = query.get("x-amz-security-token") or request.headers.get("x-amz-security-token")
    return SignatureInfo(
        2, query["AWSAccessKeyId"], token, "s3", "us-east-1", "", 0.0, True,
        query["Signature"], expires_at=float(expires), expires_in=expires,
    )  # fmt: skip


def parse_signature(request: HttpRequest) -> SignatureInfo | None:
    """What the request's signature claims, or None for an unsigned request.

    Raises :class:`SignatureError` ``malformed`` for a signature AWS could not even read.
    """
    auth = request.headers.get("authorization")
    query = dict(request.query_pairs())
    if auth is not None:
        if auth.startswith(ALGORITHM + " "):
            return _v4_header(request, auth)
        if auth.startswith("AWS "):
            return _v2(request, query)
        raise SignatureError("malformed", "Unsupported Authorization Type")
    if "X-Amz-Algorithm" in query or "X-Amz-Signature" in query or "X-Amz-Credential" in query:
        return _v4_query(query)
    if "AWSAccessKeyId" in query:
        return _v2(request, query)
    return None


def check_time(info: SignatureInfo, *, now: float) -> None:
    """Header signatures within 15 minutes of ``now``; presigned URLs before their expiry."""
    if info.presigned:
        if info.expires_at is not None and now > info.expires_at:
            raise SignatureError(
                "url_expired",
                "Request has expired",
                **{"X-Amz-Expires": info.expires_in, "Expires": _iso(info.expires_at)},
                ServerTime=_iso(now),
            )
        return
    if info.timestamp < now - MAX_SKEW_SECONDS:
        raise SignatureError(
            "skewed",
            f"Signature expired: {info.amz_date} is now earlier than "
            f"{_amz_date(now - MAX_SKEW_SECONDS)} ({_amz_date(now)} - 15 min.)",
            RequestTime=info.amz_date, ServerTime=_iso(now),
            MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
        )  # fmt: skip
    if info.timestamp > now + MAX_SKEW_SECONDS:
        raise SignatureError(
            "skewed",
            f"Signature not yet current: {info.amz_date} is still later than "
            f"{_amz_date(now + MAX_SKEW_SECONDS)} ({_amz_date(now)} + 15 min.)",
            RequestTime=info.amz_date, ServerTime=_iso(now),
            MaxAllowedSkewMilliseconds=str(MAX_SKEW_SECONDS * 1000),
        )  # fmt: skip


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


# -- Signature Version 4 ----------------------------------------------------------------------
def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    return first + "/".join(out) + last


def canonical_path(path: str, service: str) -> str:
    """S3: the path as sent; every other service: normalized, then encoded once more."""
    if service == "s3":
        return path or "/"
    return quote(_remove_dot_segments(path) or "/", safe="/~")


def canonical_query(pairs: list[tuple[str, str]], *, exclude: str | None = None) -> str:
    """Decoded pairs, re-encoded with RFC 3986's unreserved set, sorted by name then value."""
    encoded = sorted(
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in pairs
        if name != exclude
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def _payload_hash(request: HttpRequest, info: SignatureInfo) -> str:
    declared = request.headers.get("x-amz-content-sha256")
    if info.service == "s3":
        if declared is not None:
            return declared
        if info.presigned:
            return UNSIGNED_PAYLOAD
        raise SignatureError(
            "malformed", "Missing required header for this request: x-amz-content-sha256"
        )
    return declared if declared is not None else hashlib.sha256(request.body).hexdigest()


def canonical_request(request: HttpRequest, info: SignatureInfo) -> str:
    """AWS's canonical request for ``request`` as ``info`` says it was signed."""
    headers = "".join(
        f"{name}:{' '.join(request.headers.get(name, '').split())}\n"
        for name in info.signed_headers
    )
    return "\n".join(
        [
            request.method,
            canonical_path(request.path, info.service),
            canonical_query(
                request.query_pairs(), exclude="X-Amz-Signature" if info.presigned else None
            ),
            headers,
            ";".join(info.signed_headers),
            _payload_hash(request, info),
        ]
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signature_v4(string_to_sign: str, secret_key: str, info: SignatureInfo) -> str:
    """The SigV4 signature of ``string_to_sign`` with the key derived for ``info``'s scope."""
    key = _hmac(("AWS4" + secret_key).encode(), info.amz_date[:8])
    for part in (info.region, info.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _verify_v4(request: HttpRequest, info: SignatureInfo, secret_key: str) -> None:
    if "host" not in info.signed_headers:
        raise SignatureError(
            "malformed", "'Host' must be a 'SignedHeader' in the AWS Authorization."
        )
    canonical = canonical_request(request, info)
    scope = f"{info.amz_date[:8]}/{info.region}/{info.service}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{info.amz_date}\n{scope}\n{digest}"
    expected = signature_v4(string_to_sign, secret_key, info)
    if not hmac.compare_digest(expected.encode(), info.signature.encode()):
        raise SignatureError(
            "mismatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=info.access_key_id, StringToSign=string_to_sign,
            SignatureProvided=info.signature, CanonicalRequest=canonical,
        )  # fmt: skip


# -- Signature Version 2 (S3) -------------------------------------------------------------------
def string_to_sign_v2(request: HttpRequest, info: SignatureInfo) -> str:
    """S3's SigV2 string to sign (query parameters stand in for headers in presigned URLs)."""
    query = request.query_pairs()
    fields = {k.lower(): v for k, v in query if k.lower() in ("content-md5", "content-type")}
    amz: dict[str, list[str]] = {}
    for name, value in [*request.headers.items(), *(query if info.presigned else [])]:
        if name.lower().startswith("x-amz-"):
            amz.setdefault(name.lower(), []).append(value.strip())
    lines = [
        request.method,
        request.headers.get("content-md5", fields.get("content-md5", "")),
        request.headers.get("content-type", fields.get("content-type", "")),
        info.expires_in if info.presigned else info.date_header,
        *(f"{name}:{','.join(values)}" for name, values in sorted(amz.items())),
    ]
    resource = request.path
    sub = sorted((k, v) for k, v in query if k in _V2_SUBRESOURCES)
    if sub:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in sub)
    return "\n".join([*lines, resource])


def _verify_v2(request: HttpRequest, info: SignatureInfo, secret_key: str) -> None:
    string_to_sign = string_to_sign_v2(request, info)
    digest = hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(expected.encode(), info.signature.encode()):
        raise SignatureError(
            "mismatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
            AWSAccessKeyId=info.access_key_id, StringToSign=string_to_sign,
            SignatureProvided=info.signature,
        )  # fmt: skip


def verify_signature(request: HttpRequest, info: SignatureInfo, secret_key: str) -> None:
    """Raise :class:`SignatureError` unless ``request`` carries ``info``'s valid signature by
    ``secret_key`` (and, for S3, its body matches ``x-amz-content-sha256`` and every
    ``x-amz-*`` header is signed)."""
    if info.version == 2:
        _verify_v2(request, info, secret_key)
        return
    _verify_v4(request, info, secret_key)
    if info.service != "s3":
        return
    unsigned = sorted(
        name
        for name in request.headers
        if name.startswith("x-amz-") and name not in info.signed_headers
    )
    if unsigned:
        raise SignatureError(
            "headers_not_signed",
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )
    declared = request.headers.get("x-amz-content-sha256", "")
    if declared in UNHASHED_PAYLOADS or (info.presigned and not declared):
        return
    if not _HEX64.match(declared):
        raise SignatureError("malformed", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                             "STREAMING-… or a valid sha256 value.")  # fmt: skip
    computed = hashlib.sha256(request.body).hexdigest()
    if not hmac.compare_digest(computed, declared):
        raise SignatureError(
            "content_sha256_mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=declared, S3ComputedContentSHA256=computed,
        )  # fmt: skip
