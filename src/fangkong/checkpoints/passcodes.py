"""Personal pass codes (一人一码): signed, short, verifiable offline.

A code is the text `FK1` followed by the RFC 4648 base32 (no padding) of

    person id (uint32, big-endian) | code version (uint16) | issue day (uint16,
    days since 2020-01-01) | Ed25519 signature (64 bytes)

where the signature covers `SIGNING_CONTEXT + the first 8 bytes`. That is
119 characters from the QR alphanumeric set (digits and capitals only, which
keyboard-wedge scanners type reliably), so a code fits a version 5 QR symbol
at error-correction level M.

A gate device holding only the public key (served by the API) verifies the
signature without the server; whether a code was replaced by a reissued one
(a higher version) is known to the server, and to devices that sync the list
of reissued versions. The signing key comes from FANGKONG_PASS_CODE_KEY.
"""

from __future__ import annotations

import base64
import datetime
import re
import struct
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

PREFIX = "FK1"
SIGNING_CONTEXT = b"fangkong pass code v1\x00"
EPOCH = datetime.date(2020, 1, 1)
_CLAIMS = struct.Struct(">IHH")
_SIGNATURE_BYTES = 64
_RAW_BYTES = _CLAIMS.size + _SIGNATURE_BYTES
# 72 bytes are 115.2 base32 characters: 116, and 4 "=" of padding dropped.
CODE_LENGTH = len(PREFIX) + 116
_PADDING_BITS = 0b1111
_BODY = re.compile(r"[A-Z2-7]{116}")
_BASE32_TO_INT = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv"
)
MAX_PERSON_ID = 2**32 - 1
MAX_VERSION = 2**16 - 1


class PassCodeError(ValueError):
    """A code that cannot be accepted. `reason` is "invalid" (unreadable,
    tampered, signed by another key) or "revoked" (replaced by a reissue)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claims:
    """What a pass code says: whose it is, which issue, issued when."""

    person_id: int
    version: int
    issued_on: datetime.date


def normalise(code: str) -> str:
    """Scanners may add spaces or send lower case; the code is capitals."""
    return "".join(str(code or "").split()).upper()


def encode(private_key: Ed25519PrivateKey, claims: Claims) -> str:
    if not 0 < claims.person_id <= MAX_PERSON_ID:
        raise ValueError("person id out of range for a pass code")
    if not 0 < claims.version <= MAX_VERSION:
        raise ValueError("version out of range for a pass code")
    day = (claims.issued_on - EPOCH).days
    payload = _CLAIMS.pack(claims.person_id, claims.version, day)
    signature = private_key.sign(SIGNING_CONTEXT + payload)
    return PREFIX + base64.b32encode(payload + signature).decode("ascii").rstrip("=")


def decode(code: str, public_key: Ed25519PublicKey) -> Claims:
    """The claims of a code whose signature `public_key` verifies; raises
    PassCodeError("invalid") otherwise. Pure: no settings, no database."""
    if len(code) != CODE_LENGTH or not code.startswith(PREFIX):
        code = normalise(code)
        if len(code) != CODE_LENGTH or not code.startswith(PREFIX):
            raise PassCodeError("invalid", "not a pass code")
    body = code[len(PREFIX) :]
    if not _BODY.fullmatch(body):
        raise PassCodeError("invalid", "not a pass code")
    # Base32 through int(), with the alphabet mapped onto Python's base-32
    # digits: much faster than base64.b32decode, which is written in Python.
    number = int(body.translate(_BASE32_TO_INT), 32)
    if number & _PADDING_BITS:
        # The last character carries one bit and four zero bits, so that
        # every code has exactly one spelling.
        raise PassCodeError("invalid", "not a pass code")
    raw = (number >> 4).to_bytes(_RAW_BYTES, "big")
    payload, signature = raw[: _CLAIMS.size], raw[_CLAIMS.size :]
    try:
        public_key.verify(signature, SIGNING_CONTEXT + payload)
    except InvalidSignature:
        raise PassCodeError("invalid", "signature does not verify") from None
    person_id, version, day = _CLAIMS.unpack(payload)
    return Claims(person_id, version, EPOCH + datetime.timedelta(days=day))


def version_problem(claimed: int, current: int | None) -> str | None:
    """What is wrong with a verified code's version against its holder's
    current one: "revoked" when a reissue replaced it, "invalid" when no
    such version was issued here (no code, or a higher version); None when
    it is the current code."""
    if current is None or claimed > current:
        return "invalid"
    if claimed < current:
        return "revoked"
    return None


def verify_with_public_key(code: str, public_key: bytes) -> Claims:
    """What a gate device does offline, given the raw 32-byte public key."""
    return decode(code, Ed25519PublicKey.from_public_bytes(public_key))


@cache
def _keys(seed_base64: str) -> tuple[Ed25519PrivateKey, Ed25519PublicKey, bytes]:
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_base64))
    public = private.public_key()
    return private, public, public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key() -> Ed25519PrivateKey:
    return _keys(settings.FANGKONG_PASS_CODE_KEY)[0]


def public_key() -> Ed25519PublicKey:
    return _keys(settings.FANGKONG_PASS_CODE_KEY)[1]


def public_key_bytes() -> bytes:
    return _keys(settings.FANGKONG_PASS_CODE_KEY)[2]


def sign(person_id: int, version: int, issued_on: datetime.date) -> str:
    """A code with the platform's key."""
    return encode(signing_key(), Claims(person_id, version, issued_on))


def read(code: str) -> Claims:
    """The claims of a code signed with the platform's key (signature only;
    whether the version is still current is `registration`'s business)."""
    return decode(code, public_key())


def looks_like_code(text: str) -> bool:
    return normalise(text).startswith(PREFIX)
