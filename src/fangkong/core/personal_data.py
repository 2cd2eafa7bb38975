"""Protection of personal data (ID and phone numbers).

A copy of the database must not reveal these numbers, yet the gate must find
a person by full number at once. So each number is stored twice, neither in
clear: AES-256-GCM ciphertext (random nonce, key id prefix) to show it to
roles allowed to see it, and an HMAC-SHA256 keyed hash for exact, indexed
lookup. Masked forms are built from the few characters a mask shows, which
are kept in clear beside them, so lists never decrypt anything.

Both subkeys are derived from settings.FANGKONG_DATA_KEY with HKDF; old keys
in FANGKONG_OLD_DATA_KEYS still decrypt (rotation), and the hash always uses
the current key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_NONCE_BYTES = 12


def _key_material(raw: str) -> bytes:
    try:
        decoded = base64.b64decode(raw, validate=True)
    except ValueError:
        decoded = b""
    # Accept any passphrase, but a 32-byte base64 key is what `fangkong
    # generate-keys` prints and what production should use.
    return decoded if len(decoded) >= 32 else raw.encode()


def _derive(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


class DataKeyring:
    """Holds the derived keys; one per process, built lazily from settings."""

    def __init__(self, current: str, old: list[str]) -> None:
        material = _key_material(current)
        self.key_id = hashlib.sha256(material).digest()[:2]
        self.aead = AESGCM(_derive(material, b"fangkong personal data encryption"))
        self.hash_key = _derive(material, b"fangkong personal data lookup hash")
        self.decryptors: dict[bytes, AESGCM] = {self.key_id: self.aead}
        for raw in old:
            old_material = _key_material(raw)
            old_id = hashlib.sha256(old_material).digest()[:2]
            self.decryptors[old_id] = AESGCM(
                _derive(old_material, b"fangkong personal data encryption")
            )

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return self.key_id + nonce + self.aead.encrypt(nonce, value.encode(), None)

    def decrypt(self, token: bytes) -> str:
        token = bytes(token)
        aead = self.decryptors.get(token[:2])
        if aead is None:
            raise ValueError("personal data was encrypted with an unknown key")
        nonce = token[2 : 2 + _NONCE_BYTES]
        return aead.decrypt(nonce, token[2 + _NONCE_BYTES :], None).decode()

    def lookup_hash(self, kind: str, value: str) -> uuid.UUID:
        """Keyed hash truncated to 128 bits, as a UUID: PostgreSQL's 16-byte
        uuid type keeps the unique index small on a registry of millions,
        and 128 bits make a collision negligible at any population. `kind`
        separates ID numbers from phones."""
        digest = hmac.new(self.hash_key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
        return uuid.UUID(bytes=digest[:16])


@cache
def keyring() -> DataKeyring:
    return DataKeyring(settings.FANGKONG_DATA_KEY, settings.FANGKONG_OLD_DATA_KEYS)


def encrypt(value: str) -> bytes:
    return keyring().encrypt(value)


def decrypt(token: bytes) -> str:
    return keyring().decrypt(token)


def id_number_hash(id_number: str) -> uuid.UUID:
    return keyring().lookup_hash("id", id_number)


def phone_hash(phone: str) -> uuid.UUID:
    return keyring().lookup_hash("phone", phone)


def mask_id_number(prefix: str, last4: str) -> str:
    """`410102********1234`: region prefix and last four, the rest hidden."""
    return f"{prefix}{'*' * 8}{last4}"


def mask_phone(prefix: str, last4: str) -> str:
    """`138****1234`."""
    return f"{prefix}****{last4}" if last4 else ""


def numbers(holder: Any, *, unmasked: bool) -> tuple[str, str]:
    """The ID number and phone of a registered person or a visitor (anything
    with the encrypted fields and the masked properties): in full when
    `unmasked` (the caller checks the role and audits), masked otherwise."""
    if not unmasked:
        return holder.masked_id_number, holder.masked_phone
    id_number = decrypt(holder.id_number_encrypted) if holder.id_number_encrypted else ""
    phone = decrypt(holder.phone_encrypted) if holder.phone_encrypted else ""
    return id_number, phone
