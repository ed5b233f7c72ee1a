"""Bearer tokens: stored as SHA-256 digests, with roles agent < supervisor < admin."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from acd.config.schema import Token

ROLES = {"agent": 0, "supervisor": 1, "admin": 2}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: str
    agent_id: str | None

    def at_least(self, role: str) -> bool:
        return ROLES[self.role] >= ROLES[role]


class TokenStore:
    def __init__(self, tokens: list[Token]) -> None:
        self._by_digest = {t.sha256: Principal(t.name, t.role, t.agent_id) for t in tokens}

    def add(self, token: str, name: str, role: str, agent_id: str | None = None) -> None:
        self._by_digest[digest(token)] = Principal(name, role, agent_id)

    def lookup(self, token: str) -> Principal | None:
        d = digest(token)
        for known, principal in self._by_digest.items():
            if hmac.compare_digest(known, d):
                return principal
        return None
