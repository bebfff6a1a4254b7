"""What an authenticator app does with a TOTP setup QR code, for the browser tests: read the
QR code from a screenshot (zxing-cpp; the PNG is decoded here, so no imaging library is
needed), parse the ``otpauth://`` URI (Google Authenticator's Key Uri Format) and compute the
current code (RFC 6238 over RFC 4226's HOTP).

Written here rather than borrowed from the sandbox, so a wrong URI (a missing or padded
secret, a bad label) fails the test the way it would fail a real app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


@dataclass(frozen=True)
class TotpSetup:
    """An ``otpauth://totp/<issuer>:<account>?secret=…`` URI, parsed."""

    uri: str
    label: str
    secret: str
    issuer: str | None
    digits: int = 6
    period: int = 30
    algorithm: str = "SHA1"

    @classmethod
    def parse(cls, uri: str) -> TotpSetup:
        parts = urlsplit(uri)
        assert parts.scheme == "otpauth" and parts.netloc == "totp", f"not a TOTP URI: {uri!r}"
        query = {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}
        secret = query["secret"]
        assert secret == secret.upper().rstrip("=") and " " not in secret, (
            f"the secret must be unpadded base32: {secret!r}"
        )
        base64.b32decode(secret + "=" * (-len(secret) % 8))  # raises on a bad secret
        return cls(
            uri=uri,
            label=unquote(parts.path.lstrip("/")),
            secret=secret,
            issuer=query.get("issuer"),
            digits=int(query.get("digits", 6)),
            period=int(query.get("period", 30)),
            algorithm=query.get("algorithm", "SHA1").upper(),
        )

    def code(self, at: float | None = None) -> str:
        """RFC 6238: HOTP (RFC 4226 §5.3 dynamic truncation) of the time step at ``at``."""
        counter = int((time.time() if at is None else at) // self.period)
        key = base64.b32decode(self.secret + "=" * (-len(self.secret) % 8))
        digest = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[self.algorithm]).digest()
        offset = digest[-1] & 0x0F
        value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
        return f"{value % 10**self.digits:0{self.digits}d}"

    def fresh_code(self, margin: float = 3.0) -> str:
        """The current code, waiting for the next step if this one ends within ``margin`` s
        (a code typed at the very end of its step may reach the server in the next one)."""
        left = self.period - time.time() % self.period
        if left < margin:
            time.sleep(left + 0.1)
        return self.code()

    def wrong_code(self) -> str:
        """A code that is not valid now, nor in the steps either side."""
        valid = {self.code(time.time() + d * self.period) for d in (-1, 0, 1, 2)}
        candidate = 0
        while f"{candidate:0{self.digits}d}" in valid:
            candidate += 1
        return f"{candidate:0{self.digits}d}"


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG screenshot (zxing-cpp, as a phone's camera app)."""
    import zxingcpp

    width, height, gray = png_to_gray(png)
    image = memoryview(gray).cast("B", (height, width))
    found = zxingcpp.read_barcodes(image)
    qr = [b for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(qr) == 1, f"expected one QR code in the screenshot, found {found!r}"
    return qr[0].text


def png_to_gray(png: bytes) -> tuple[int, int, bytes]:
    """(width, height, 8-bit grayscale pixels) of a non-interlaced 8-bit PNG, as Chromium's
    screenshots are — so no imaging library is needed (zxing-cpp takes a 2-D buffer)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    assert depth == 8 and channels and not interlace, f"unsupported PNG: {depth=} {color=}"
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    previous = bytearray(stride)
    gray = bytearray(width * height)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):  # the five PNG filters (RFC 2083 §6)
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        previous = line
        out = row * width
        if channels <= 2:
            gray[out : out + width] = line[::channels]
        else:
            r, g, bl = line[0::channels], line[1::channels], line[2::channels]
            gray[out : out + width] = bytes(
                (299 * x + 587 * y + 114 * z) // 1000 for x, y, z in zip(r, g, bl, strict=True)
            )
    return width, height, bytes(gray)
