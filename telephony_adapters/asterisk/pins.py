"""Feature-code PINs: kept as salted scrypt hashes (hashlib), never as the digits.

A stored PIN reads ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``. Make one with
``python -m telephony_adapters.asterisk.pins`` (it asks for the PIN without echoing it) and put
it under ``adapter.asterisk.features.pins`` for the agent.

Checking costs one scrypt run (a few tens of milliseconds at the default cost), once per feature
code dialled by an agent that has a PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

N, R, P = 2**14, 8, 1
_HASH = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{16,128})\$([0-9a-f]{32,128})$")
_PIN = re.compile(r"^[0-9]{4,12}$")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=size, maxmem=2**27)


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = N, r: int = R, p: int = P) -> str:
    """The stored form of ``pin`` (4-12 digits, what a phone's keypad can send)."""
    if not _PIN.match(pin):
        raise ValueError("a PIN is 4 to 12 digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(pin, salt, n, r, p, 32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def is_pin_hash(value: str) -> bool:
    m = _HASH.match(value)
    if m is None:
        return False
    n, r, p = (int(x) for x in m.group(1, 2, 3))
    return n >= 2 and n & (n - 1) == 0 and n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16


def check_pin(stored: str, pin: str) -> bool:
    """Whether ``pin`` is the one ``stored`` was made from (constant-time comparison)."""
    m = _HASH.match(stored)
    if m is None or not _PIN.match(pin or ""):
        return False
    n, r, p = (int(x) for x in m.group(1, 2, 3))
    want = bytes.fromhex(m.group(5))
    try:
        got = _scrypt(pin, bytes.fromhex(m.group(4)), n, r, p, len(want))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, want)


def main() -> int:
    import getpass

    pin = getpass.getpass("PIN (4-12 digits): ")
    if getpass.getpass("again: ") != pin:
        print("the two PINs differ")
        return 1
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
