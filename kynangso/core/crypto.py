"""Encryption at rest and keyed hashes for personal data (CCCD, activation codes, API tokens).

AES-256-GCM with a random nonce; the key is derived from settings.FIELD_ENCRYPTION_KEY. The keyed hash
(HMAC-SHA256) lets the database enforce uniqueness and answer look-ups without holding the clear value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[AESGCM, bytes]:
    enc = hashlib.sha256(b"kynangso-encrypt:" + secret.encode()).digest()
    mac = hashlib.sha256(b"kynangso-hash:" + secret.encode()).digest()
    return AESGCM(enc), mac


def encrypt(value: str) -> bytes:
    aes, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    nonce = os.urandom(12)
    return nonce + aes.encrypt(nonce, value.encode(), None)


def decrypt(token: bytes) -> str:
    aes, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    token = bytes(token)
    return aes.decrypt(token[:12], token[12:], None).decode()


def keyed_hash(value: str, purpose: str = "cccd") -> str:
    _, mac = _keys(settings.FIELD_ENCRYPTION_KEY)
    return hmac.new(mac, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
