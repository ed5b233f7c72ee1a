"""Sign-in for people: passwords checked off the event loop, expiring sessions, lock-outs.

A session is a random token handed to the person (a cookie for the pages, a bearer token for
scripts); the daemon keeps only its SHA-256 digest, so a copy of the store hands out no
session. With a store configured, sessions and the people set through the admin API are
written there and read back at start, so a restart signs no one out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from acd.config.people import Auth, Person
from acd.daemon.auth import Principal
from acd.passwords import decoy, verify

log = logging.getLogger("acd.auth")
Save = Callable[[str, str, dict[str, Any] | None], Awaitable[None]]  # (map, key, value|None)


class SignInRefused(Exception):
    def __init__(self, locked_for: float | None = None) -> None:
        super().__init__("locked" if locked_for else "refused")
        self.locked_for = locked_for  # seconds left when the id is locked


@dataclass(slots=True)
class Session:
    person: str
    role: str
    agent_id: str | None
    created: float
    expires: float

    def principal(self) -> Principal:
        return Principal(self.person, self.role, self.agent_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "role": self.role,
            "agent_id": self.agent_id,
            "created": self.created,
            "expires": self.expires,
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class People:
    """The people who may sign in: the config's, with the admin API's changes on top."""

    def __init__(self, auth: Auth, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = auth
        self.clock = clock
        self.people: dict[str, Person] = {p.id: p for p in auth.people}
        self.sessions: dict[str, Session] = {}  # by the token's digest
        self._failures: dict[str, tuple[int, float]] = {}  # id -> (in a row, locked until)
        self.overrides: dict[str, dict[str, Any]] = {}  # the admin API's, by id
        self.save: Save | None = None
        self._writes: set[asyncio.Task[None]] = set()

    # --- the store --------------------------------------------------------------------------
    def restore(self, sessions: dict[str, Any], people: dict[str, Any]) -> int:
        """Take what the store holds; returns the number of live sessions kept."""
        now = self.clock()
        self.overrides = dict(people)
        self._apply_overrides()
        for key, s in sessions.items():
            if s["expires"] > now and s["person"] in self.people:
                self.sessions[key] = Session(**s)
        return len(self.sessions)

    def _apply_overrides(self) -> None:
        for pid, data in self.overrides.items():
            if data.get("removed"):
                self.people.pop(pid, None)
            else:
                self.people[pid] = Person.model_validate(data)

    def reload(self, auth: Auth) -> None:
        """A reloaded config's people; what the admin API set still stands."""
        self.settings = auth
        self.people = {p.id: p for p in auth.people}
        self._apply_overrides()
        for key in [k for k, s in self.sessions.items() if s.person not in self.people]:
            del self.sessions[key]
            self._write("sessions", key, None)

    def _write(self, kind: str, key: str, value: dict[str, Any] | None) -> None:
        if self.save is None:
            return

        async def write() -> None:
            try:
                await self.save(kind, key, value)  # type: ignore[misc]
            except Exception as exc:  # the store is down: the session still works here
                log.warning("could not save %s %s to the store: %s", kind[:-1], key[:8], exc)

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    # --- signing in and out ------------------------------------------------------------------
    async def sign_in(self, pid: str, secret: str) -> tuple[str, Session]:
        now = self.clock()
        count, until = self._failures.get(pid, (0, 0.0))
        if until > now:
            log.warning("sign-in refused for %r: locked for %.0f s more", pid, until - now)
            raise SignInRefused(until - now)
        person = self.people.get(pid)
        stored = person.password if person is not None else decoy()
        ok = await asyncio.to_thread(verify, secret, stored)  # tens of ms: not on the loop
        if not ok or person is None:
            count += 1
            lock = self.settings.lockout
            if count >= lock.failures:
                self._failures[pid] = (0, now + lock.seconds)
                log.warning(
                    "sign-in failed for %r %d times in a row: locked for %g s",
                    pid,
                    count,
                    lock.seconds,
                )
            else:
                self._failures[pid] = (count, 0.0)
                log.warning("sign-in failed for %r (%d in a row)", pid, count)
            raise SignInRefused()
        self._failures.pop(pid, None)
        token = secrets.token_urlsafe(32)
        hours = self.settings.session_hours
        session = Session(person.id, person.role, person.agent_id, now, now + hours * 3600)
        key = _digest(token)
        self.sessions[key] = session
        self._write("sessions", key, session.to_json())
        log.info("%s %r signed in", person.role, person.id)
        return token, session

    def lookup(self, token: str) -> Session | None:
        key = _digest(token)
        s = self.sessions.get(key)
        if s is None:
            return None
        if s.expires <= self.clock():
            del self.sessions[key]
            self._write("sessions", key, None)
            return None
        return s

    def sign_out(self, token: str) -> bool:
        key = _digest(token)
        s = self.sessions.pop(key, None)
        if s is None:
            return False
        self._write("sessions", key, None)
        log.info("%s %r signed out", s.role, s.person)
        return True

    # --- the admin API ----------------------------------------------------------------------
    def put(self, person: Person) -> None:
        """Add or change a person; a changed password or role signs them out everywhere."""
        old = self.people.get(person.id)
        self.people[person.id] = person
        self.overrides[person.id] = person.model_dump()
        self._write("people", person.id, self.overrides[person.id])
        if old is not None and old != person:
            self._end_sessions(person.id)

    def remove(self, pid: str) -> bool:
        if self.people.pop(pid, None) is None:
            return False
        self.overrides[pid] = {"removed": True}  # a person of the config file stays removed
        self._write("people", pid, self.overrides[pid])
        self._end_sessions(pid)
        return True

    def _end_sessions(self, pid: str) -> None:
        for key in [k for k, s in self.sessions.items() if s.person == pid]:
            del self.sessions[key]
            self._write("sessions", key, None)

    async def flush(self) -> None:
        """Wait for the store writes in flight (tests, shutdown)."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)
