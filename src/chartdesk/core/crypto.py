"""Encryption of sensitive fields at rest, and keyed digests to compare them without decrypting.

Both keys are derived from settings.FIELD_ENCRYPTION_KEY with HKDF under different labels, so the
digest key cannot decrypt anything and a leaked digest column cannot be reversed by hashing every
possible SSN (there are only a billion of them: a plain SHA-256 would fall in minutes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from chartdesk.core.errors import ChartdeskError


class UndecryptableField(ChartdeskError):
    """The stored value was encrypted under another key, or was altered."""


def _root_key() -> bytes:
    key = settings.FIELD_ENCRYPTION_KEY
    return key if isinstance(key, bytes) else str(key).encode()


def _derive(root: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"chartdesk:" + label).derive(root)


@lru_cache(maxsize=4)
def _fernet_for(root: bytes) -> Fernet:
    # Cached per root key: deriving is cheap but not free, and tests switch keys with settings.
    return Fernet(base64.urlsafe_b64encode(_derive(root, b"field-encryption")))


@lru_cache(maxsize=4)
def _digest_key_for(root: bytes) -> bytes:
    return _derive(root, b"field-digest")


def encrypt_text(plaintext: str) -> str:
    """Fernet token (AES-128-CBC + HMAC-SHA256, random IV) as text; '' stays ''."""
    if not plaintext:
        return ""
    return _fernet_for(_root_key()).encrypt(plaintext.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet_for(_root_key()).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise UndecryptableField(
            "This field cannot be decrypted with the current field key (CHARTDESK_FIELD_KEY)."
        ) from None


def keyed_digest(text: str) -> str:
    """HMAC-SHA256 of `text` under the digest key, hex: equal inputs give equal digests."""
    if not text:
        return ""
    return hmac.new(_digest_key_for(_root_key()), text.encode(), hashlib.sha256).hexdigest()
