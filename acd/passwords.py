"""Passwords and PINs as salted, slow hashes: ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64).

hashlib's scrypt (RFC 7914) costs memory as well as time, which is what makes guessing a
stolen hash expensive; n=2^14, r=8 takes 16 MiB and tens of milliseconds a try. A hash names
its own cost, so raising the cost later leaves old hashes valid.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets

N, R, P, KEY_BYTES, SALT_BYTES = 1 << 14, 8, 1, 32, 16
FORMAT = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")
_MAX_N = 1 << 20  # a hash in a config file cannot make every sign-in take a gigabyte


def _key(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=132 * n * r * p
    )


def hash_secret(secret: str) -> str:
    """A new salted hash of ``secret``, to store instead of it."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _key(secret, salt, N, R, P)
    b64 = base64.b64encode
    return f"scrypt${N}${R}${P}${b64(salt).decode()}${b64(key).decode()}"


def check_format(stored: str) -> str:
    """``stored`` if it is a hash this module can check; ValueError saying why not."""
    m = FORMAT.match(stored)
    if m is None:
        raise ValueError(
            "not a password hash (scrypt$n$r$p$salt$key): make one with `acd-dialer passwd`"
        )
    n, r, p = (int(g) for g in m.groups()[:3])
    if n < 2 or n & (n - 1) or n > _MAX_N or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError("scrypt cost out of range (n a power of two up to 2^20, r 1-32, p 1-16)")
    return stored


def verify(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant time in the key)."""
    m = FORMAT.match(stored)
    if m is None:
        return False
    n, r, p = (int(g) for g in m.groups()[:3])
    salt, key = base64.b64decode(m.group(4)), base64.b64decode(m.group(5))
    return hmac.compare_digest(_key(secret, salt, n, r, p), key)


@functools.cache
def decoy() -> str:
    """A hash to check against when the id is unknown: a wrong id costs what a wrong
    password costs, so timing tells no one which ids exist."""
    return hash_secret(secrets.token_urlsafe(12))
