"""Signing in and out (/v1/session) and the people who may (/v1/admin/people).

A session comes back twice: as an HttpOnly, SameSite=Strict cookie for the pages, and in the
body for scripts, which send it as a bearer token.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from acd.config.people import Person
from acd.daemon.api.access import PRINCIPAL
from acd.daemon.api.bodies import Body, Name
from acd.daemon.api.errors import ApiError
from acd.daemon.api.route import Route
from acd.daemon.sessions import SignInRefused
from acd.daemon.state import Daemon
from acd.passwords import hash_secret

COOKIE = "acd_session"
Secret = Annotated[str, Field(min_length=1, max_length=256)]


class SignInBody(Body):
    id: Name
    password: Secret


class PersonBody(Body):
    role: Literal["agent", "supervisor", "admin"] = "agent"
    password: Secret | None = None  # hashed here; never stored as given
    password_hash: str | None = None  # or the hash from `acd-dialer passwd`
    agent_id: Name | None = None
    name: Annotated[str, Field(max_length=128)] = ""
    device: Annotated[str, Field(max_length=128)] = ""


def session_token(request: web.Request) -> str:
    """The session the request came with: its bearer token, or the pages' cookie."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE, "")


async def sign_in(request: web.Request, d: Daemon, body: SignInBody) -> Any:
    try:
        token, s = await d.people.sign_in(body.id, body.password)
    except SignInRefused as exc:
        if exc.locked_for:
            raise ApiError(
                429, "locked", f"too many failed sign-ins: try again in {exc.locked_for:.0f} s"
            ) from None
        raise ApiError(401, "sign_in_failed", "unknown id or wrong password") from None
    out = {"token": token, "expires_in": s.expires - s.created, **_who(s.principal())}
    resp = web.json_response(out)
    resp.set_cookie(
        COOKIE,
        token,
        max_age=int(s.expires - s.created),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return resp


def _who(p: Any) -> dict[str, Any]:
    return {"id": p.name, "role": p.role, "agent_id": p.agent_id}


async def whoami(request: web.Request, d: Daemon, body: None) -> Any:
    p = request[PRINCIPAL]
    person = d.people.people.get(p.name)
    device = person.device if person is not None and person.role == p.role else ""
    return _who(p) | {"device": device}  # the phone a supervisor listens on


async def sign_out(request: web.Request, d: Daemon, body: None) -> Any:
    ended = d.people.sign_out(session_token(request))
    resp = web.json_response({"signed_out": ended})
    resp.del_cookie(COOKIE, path="/")
    return resp


def _person_view(p: Person) -> dict[str, Any]:
    return {"id": p.id, "role": p.role, "agent_id": p.agent_id, "name": p.name, "device": p.device}


async def list_people(request: web.Request, d: Daemon, body: None) -> Any:
    return {"people": [_person_view(p) for p in sorted(d.people.people.values(), key=_by_id)]}


def _by_id(p: Person) -> str:
    return p.id


async def put_person(request: web.Request, d: Daemon, body: PersonBody) -> Any:
    pid = request.match_info["person_id"]
    old = d.people.people.get(pid)
    if body.password is not None and body.password_hash is not None:
        raise ApiError(422, "invalid_field", "password: give password or password_hash, not both")
    if body.password is not None:
        stored = await asyncio.to_thread(hash_secret, body.password)
    elif body.password_hash is not None:
        stored = body.password_hash
    elif old is not None:
        stored = old.password
    else:
        raise ApiError(422, "invalid_field", "password: a new person needs a password")
    fields = body.model_dump(exclude={"password", "password_hash"}) | {"id": pid}
    try:
        person = Person.model_validate(fields | {"password": stored})
    except ValueError as exc:
        raise ApiError(422, "invalid_field", _first(exc)) from None
    if person.agent_id is not None and person.agent_id not in d.config_agents():
        raise ApiError(422, "invalid_field", f"agent_id: {person.agent_id!r} is not an agent")
    d.people.put(person)
    return _person_view(person)


def _first(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    e = errors()[0]
    return f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}"


async def delete_person(request: web.Request, d: Daemon, body: None) -> Any:
    pid = request.match_info["person_id"]
    if not d.people.remove(pid):
        raise ApiError(404, "unknown_person", f"unknown person {pid!r}")
    return {"id": pid, "removed": True}


PEOPLE_ROUTES: list[Route] = [
    Route(
        "POST",
        "/v1/session",
        sign_in,
        "open",
        "Sign in with an id and a password or PIN: a session (a cookie for the pages, the "
        "token for scripts); 401 if refused, 429 while the id is locked after failures",
        SignInBody,
        errors=(401, 429),
    ),
    Route("GET", "/v1/session", whoami, "agent", "Who the session or token belongs to"),
    Route("DELETE", "/v1/session", sign_out, "agent", "Sign out: the session ends everywhere"),
    Route("GET", "/v1/admin/people", list_people, "admin", "The people who may sign in"),
    Route(
        "PUT",
        "/v1/admin/people/{person_id}",
        put_person,
        "admin",
        "Add a person or change one (a new password or role ends their sessions)",
        PersonBody,
        audit="person.put",
    ),
    Route(
        "DELETE",
        "/v1/admin/people/{person_id}",
        delete_person,
        "admin",
        "Remove a person (their sessions end)",
        audit="person.remove",
    ),
]
