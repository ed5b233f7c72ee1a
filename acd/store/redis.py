"""The Redis store: one Lua script call per batch, indexes so that no read is a scan.

Keys (``p`` is the prefix, default ``acd:``; on a Redis Cluster it carries a hash tag, ``{acd}:``,
so that one center's keys share a slot: see acd/store/redis_client.py)::

    p fence               fencing token (INCR by the lease, acd/store/lease.py)
    p seq                 seq of the last applied batch
    p cdr                 stream of call records, one field "r" = the record as JSON
    p cdr:last            "ms-n" of the last entry id the script gave out
    p cdr:late            zset: id of a record filed > 60 s after its time -> its time
    p lead:<campaign>     hash lead_id -> lead JSON         (the "lead" part of a batch entry)
    p lstate:<campaign>   hash lead_id -> lead state JSON   (the "state" part)
    p due:<campaign>      zset lead_id -> state.next_attempt_at (absent when None or done)
    p lcamps              set of campaigns that have leads
    p dnc                 hash number -> JSON
    p sessions            hash agent_id -> JSON
    p contacts            hash call_id -> JSON: first contacts within fcr.window_hours
    p callbacks           hash call_id -> JSON: pending callbacks (acd.engine.callback_store)
    p calls               hash call_id -> JSON: calls in progress (their records if cut now)
    p abandon:<campaign>  hash minute start -> "answered:abandoned"
    p abandonix:<c>       zset of the same minute starts (to drop buckets older than 30 days)
    p acamps              set of campaigns that have buckets
    p kpis:<YYYY-MM-DD>   the day's KPIs (JSON);  p kpis:last  the latest day written
    p campaigns           hash campaign -> JSON
    p iv:<YYYY-MM-DD>     hash "group|name|start" -> interval row JSON, one per business date
    p ivdates             zset (all scores 0, ordered by name) of the dates that have rows
    p audit               zset "<seq>:<n>:<entry JSON>" -> the entry's time (acd/audit.py)
    p batches             with hot standby: capped stream of the batches for a warm standby
                          (acd/store/stream.py)

A round trip of batches is acknowledged once a replica has it, when there are replicas (``WAIT``,
:class:`acd.store.redis_client.Replication`).

Lead and state sit in two hashes so that a state-only change is one HSET of a string, with no
JSON decoding (nor cjson's 14-digit floats) inside Redis.

**Call record ids and date ranges.** A record's stream id is ``<ms>-<n>`` with ``ms`` =
max(its time in ms, the last id's ms), chosen by the script, so ids only grow while a record
replayed late from the spool still gets an id near its own time when it can. A record whose id is
more than 60 s (``SLACK_MS``) after its time (a late replay) is also put in ``cdr:late`` scored by
its time. An export of ``[start, end)`` reads the stream from ``start`` to ``end + 60 s``
(XRANGE in chunks), keeps records whose time is in range and skips the late ones, and merges the
late ones from one ZRANGEBYSCORE: exact, and the cost is the records of the range plus one minute.
Records come out ordered by (time, id) through a small heap: a record can only be overtaken by
ones at most 60 s earlier.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import NoScriptError

from acd.errors import StaleLeader, StoreUnavailable
from acd.store import redis_client as rc
from acd.store import stream
from acd.store.base import ABANDON_KEEP_SECONDS, due_at, row_field
from acd.store.batch import Batch, Bucket, StoredState
from acd.store.cdr import audit_time, record_time
from acd.store.redis_apply import APPLY, SLACK_MS

SCAN_COUNT = 10_000  # HSCAN/XRANGE chunk
PIPELINE_BATCHES = 256  # batches per pipeline round trip in apply_many


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


MAX_MS = 2**63 - 1  # the largest stream id time: an open end (inf) maps to it


def _ms(t: float) -> int:
    if math.isinf(t):
        return 0 if t < 0 else MAX_MS
    return max(0, min(MAX_MS, math.floor(t * 1000)))


def _num(x: float) -> str:
    return repr(float(x))


def encode(batch: Batch, prefix: str, token: int | None, *, streamed: bool = False) -> list[str]:
    """The script's ARGV for one batch (see APPLY); raises ValueError for non-JSON data.
    ``streamed``: the batch also goes to the stream a warm standby follows (the last op)."""
    args = ["" if token is None else str(token), str(batch.seq), prefix]
    for rec in batch.records:
        t = record_time(rec)
        args += ("R", str(_ms(t)), _dumps(rec), _num(t))
    for camp, leads in batch.leads.items():
        for lead_id, entry in leads.items():
            if "lead" in entry:
                args += ("L", camp, lead_id, _dumps(entry["lead"]))
            if "state" in entry:
                t = due_at(entry)
                args += ("S", camp, lead_id, _dumps(entry["state"]), "" if t is None else _num(t))
    for number, dnc in batch.dnc.items():
        args += ("D", number, "" if dnc is None else _dumps(dnc))
    for agent, session in batch.sessions.items():
        args += ("A", agent, "" if session is None else _dumps(session))
    for op, by_call in (("F", batch.contacts), ("V", batch.callbacks), ("P", batch.calls)):
        for call_id, entry in by_call.items():  # first contacts, callbacks, calls in progress
            args += (op, call_id, "" if entry is None else _dumps(entry))
    for camp, buckets in batch.abandon.items():
        for start, answered, abandoned in buckets:
            args += ("B", camp, _num(start), f"{int(answered)}:{int(abandoned)}")
        if buckets:
            args += ("b", camp, _num(max(s for s, _, _ in buckets) - ABANDON_KEEP_SECONDS))
    if batch.kpis is not None:
        args += ("K", str(batch.kpis["day"]), _dumps(batch.kpis))
    for camp, state in batch.campaigns.items():
        args += ("C", camp, _dumps(state))
    for row in batch.intervals:
        args += ("I", str(row["date"]), row_field(row), _dumps(row))
    if batch.intervals_from is not None:
        args += ("i", batch.intervals_from)
    for n, entry in enumerate(batch.audit):
        # The member carries seq and position so that two equal entries stay two.
        args += ("U", _num(audit_time(entry)), f"{batch.seq}:{n}:{_dumps(entry)}")
    if streamed:
        args += ("X", stream.encode(batch))
    return args


def _glob(text: str) -> str:
    """``text`` matched literally by a Redis glob pattern."""
    return "".join("\\" + ch if ch in "*?[]\\^-" else ch for ch in text)


def _wanted(row: dict[str, Any], group: str | None, name: str | None) -> bool:
    return (group is None or row["group"] == group) and (name is None or row["name"] == name)


def _stream_id(raw: bytes) -> tuple[int, int]:
    ms, n = raw.split(b"-")
    return int(ms), int(n)


@contextmanager
def _mapped(url: str) -> Iterator[None]:
    try:
        yield
    except rc.UNAVAILABLE as exc:
        raise StoreUnavailable(url, str(exc) or type(exc).__name__) from exc


class RedisStore:
    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        prefix: str = "acd:",
        *,
        timeout: float = 2.0,
        replica_wait: float = rc.REPLICA_WAIT_SECONDS,
        streamed: bool = False,
    ) -> None:
        self.url = url
        self.prefix = rc.key_prefix(prefix, url)  # hash-tagged on a cluster
        self.timeout = timeout
        self.replication = rc.Replication(replica_wait)
        self.streamed = streamed  # batches also go to the stream a warm standby follows
        self._client: rc.Client | None = None
        self._sha: str | None = None

    @property
    def client(self) -> rc.Client:
        if self._client is None:
            self._client = rc.make_client(self.url, self.timeout)
        return self._client

    def _k(self, name: str) -> str:
        return self.prefix + name

    async def connect(self) -> None:
        with _mapped(self.url):
            await self.client.ping()
            await self._load_script()

    async def ping(self) -> None:
        with _mapped(self.url):
            await self.client.ping()

    async def _load_script(self) -> str:
        self._sha = str(await self.client.script_load(APPLY))
        return self._sha

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await rc.close_client(client)

    # --- writing ----------------------------------------------------------------------------
    async def apply(self, batch: Batch, token: int | None = None) -> bool:
        return await self.apply_many([batch], token) == 1

    async def apply_many(self, batches: Iterable[Batch], token: int | None = None) -> int:
        """Apply batches in order, up to PIPELINE_BATCHES per round trip; returns how many were
        applied (the others had been already). Raises StaleLeader at the first fenced batch, after
        the ones before it were applied."""
        argvs = [encode(b, self.prefix, token, streamed=self.streamed) for b in batches]
        applied = 0
        with _mapped(self.url):
            for i in range(0, len(argvs), PIPELINE_BATCHES):
                applied += await self._run(argvs[i : i + PIPELINE_BATCHES], token)
        return applied

    async def _run(self, argvs: list[list[str]], token: int | None) -> int:
        for attempt in range(2):
            sha = self._sha or await self._load_script()
            # The one key names the slot, so a cluster client sends the script to its shard
            # (by execute_command: its pipeline refuses evalsha by name).
            seq_key = self._k("seq")
            waits = await self.replication.waits(self.client, seq_key)
            async with self.client.pipeline(transaction=False) as pipe:
                for argv in argvs:
                    pipe.execute_command("EVALSHA", sha, 1, seq_key, *argv)
                if waits:
                    self.replication.queue(pipe, self.client, seq_key)
                results = await pipe.execute(raise_on_error=False)
            acked = results.pop() if waits else None
            if attempt == 0 and any(isinstance(r, NoScriptError) for r in results):
                # The server restarted and forgot the script; batches run before the error are
                # skipped on the retry by their seq.
                await self._load_script()
                continue
            applied = 0
            for r in results:
                if isinstance(r, Exception):
                    raise r
                status, info = r
                if status == -1:
                    assert token is not None
                    raise StaleLeader(token, int(info) if info else None)
                applied += status
            if waits:
                self.replication.check(acked, self.url)
            return applied
        raise AssertionError("unreachable")

    # --- reading ----------------------------------------------------------------------------
    async def next_lead(self, campaign: str, now: float) -> str | None:
        with _mapped(self.url):
            ids = await self.client.zrangebyscore(
                self._k("due:" + campaign), "-inf", _num(now), start=0, num=1
            )
        return ids[0].decode() if ids else None

    async def _hash(self, key: str, match: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        cursor = 0
        while True:
            cursor, chunk = await self.client.hscan(key, cursor, match=match, count=SCAN_COUNT)
            if chunk:
                # One JSON document per chunk: a third of the cost of one json.loads per value.
                values = json.loads(b"[" + b",".join(chunk.values()) + b"]")
                out.update(zip([k.decode() for k in chunk], values, strict=True))
            if cursor == 0:
                return out

    async def load(self) -> StoredState:
        """Everything but the records, read in chunks (HSCAN), so Redis is never blocked long.
        Not a snapshot across keys: call it when no one else writes (at start, or after taking
        the lease, when the old leader is fenced)."""
        c = self.client
        with _mapped(self.url):
            last = await c.get(self._k("seq"))
            leads: dict[str, dict[str, dict[str, Any]]] = {}
            for camp_b in sorted(await c.smembers(self._k("lcamps"))):
                camp = camp_b.decode()
                book: dict[str, dict[str, Any]] = {}
                for lead_id, lead in (await self._hash(self._k("lead:" + camp))).items():
                    book[lead_id] = {"lead": lead}
                for lead_id, state in (await self._hash(self._k("lstate:" + camp))).items():
                    book.setdefault(lead_id, {})["state"] = state
                leads[camp] = book
            abandon: dict[str, list[Bucket]] = {}
            for camp_b in sorted(await c.smembers(self._k("acamps"))):
                camp = camp_b.decode()
                raw = await c.hgetall(self._k("abandon:" + camp))  # <= 43,200 fields
                buckets: list[Bucket] = []
                for f, v in raw.items():
                    a, b = v.split(b":")
                    buckets.append((float(f), int(a), int(b)))
                abandon[camp] = sorted(buckets)
            latest = await c.zrevrangebylex(self._k("ivdates"), "+", "-", start=0, num=1)
            rows = await self._rows(latest[0].decode()) if latest else []
            contacts = list((await self._hash(self._k("contacts"))).values())
            days = {str(x["date"]) for x in contacts} - {r["date"] for r in rows[:1]}
            contact_rows = [r for d in sorted(days) for r in await self._rows(d)]
            day = await c.get(self._k("kpis:last"))
            kpis_raw = await c.get(self._k("kpis:" + day.decode())) if day else None
            return StoredState(
                last_seq=int(last or 0),
                leads=leads,
                dnc=await self._hash(self._k("dnc")),
                sessions=await self._hash(self._k("sessions")),
                abandon=abandon,
                kpis=json.loads(kpis_raw) if kpis_raw else None,
                campaigns=await self._hash(self._k("campaigns")),
                intervals=rows,
                contacts=contacts,
                contact_rows=contact_rows,
                callbacks=list((await self._hash(self._k("callbacks"))).values()),
                calls=await self._hash(self._k("calls")),
            )

    async def _rows(self, day: str, match: str | None = None) -> list[dict[str, Any]]:
        rows = list((await self._hash(self._k("iv:" + day), match)).values())
        return sorted(rows, key=lambda r: (r["group"], r["name"], float(r["start"])))

    async def load_intervals(
        self, first: str, last: str, *, group: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        if last < first:
            return []
        # Filtered by Redis (HSCAN MATCH on the field), so only the rows asked for travel.
        match = f"{_glob(group) if group else '*'}|{_glob(name) if name else '*'}|*"
        out: list[dict[str, Any]] = []
        with _mapped(self.url):
            days = await self.client.zrangebylex(self._k("ivdates"), f"[{first}", f"[{last}")
            for d in days:
                rows = await self._rows(d.decode(), None if match == "*|*|*" else match)
                out += [r for r in rows if _wanted(r, group, name)]
        return out

    async def records(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]:
        c = self.client
        key = self._k("cdr")
        heap: list[tuple[float, int, int, dict[str, Any]]] = []
        with _mapped(self.url):
            late = await c.zrangebyscore(self._k("cdr:late"), _num(start), f"({_num(end)}")
            if late:
                async with c.pipeline(transaction=False) as pipe:
                    for rid in late:
                        pipe.xrange(key, rid, rid)
                    for found in await pipe.execute():
                        for rid, fields in found:
                            rec = json.loads(fields[b"r"])
                            heap.append((record_time(rec), *_stream_id(rid), rec))
                heapq.heapify(heap)
            lo: str = str(_ms(start))
            hi = str(min(MAX_MS, _ms(end) + SLACK_MS))
            while True:
                chunk = await c.xrange(key, lo, hi, count=SCAN_COUNT)
                if not chunk:
                    break
                for rid, fields in chunk:
                    rec = json.loads(fields[b"r"])
                    t = record_time(rec)
                    ms, n = _stream_id(rid)
                    if ms - _ms(t) > SLACK_MS:
                        continue  # a late one: it came from cdr:late
                    if start <= t < end:
                        heapq.heappush(heap, (t, ms, n, rec))
                    # Entries still to come have ids >= this one, so times >= ms - SLACK.
                    while heap and heap[0][0] * 1000 < ms - SLACK_MS - 1:
                        yield heapq.heappop(heap)[3]
                lo = "(" + chunk[-1][0].decode()
        while heap:
            yield heapq.heappop(heap)[3]

    async def audit(self, start: float, end: float) -> AsyncIterator[dict[str, Any]]:
        key, lo = self._k("audit"), 0
        while True:
            with _mapped(self.url):
                chunk = await self.client.zrangebyscore(
                    key, _num(start), f"({_num(end)}", start=lo, num=SCAN_COUNT
                )
            for member in chunk:
                yield json.loads(member.split(b":", 2)[2])
            if len(chunk) < SCAN_COUNT:
                return
            lo += len(chunk)

    async def trim_records(self, before: float) -> int:
        """Delete the records whose time is before ``before``; returns how many."""
        c = self.client
        key = self._k("cdr")
        late_key = self._k("cdr:late")
        bms = _ms(before)
        with _mapped(self.url):
            # Ids below before's ms belong to records older than before (an id is never earlier
            # than its record's time).
            n = int(await c.xtrim(key, minid=f"{bms}-0", approximate=False))
            late = await c.zrangebyscore(late_key, "-inf", f"({_num(before)}")
            if late:
                n += int(await c.xdel(key, *late))
                await c.zremrangebyscore(late_key, "-inf", f"({_num(before)}")
            edge = [
                rid
                for rid, fields in await c.xrange(key, f"{bms}-0", str(bms + SLACK_MS))
                if record_time(json.loads(fields[b"r"])) < before
            ]
            if edge:
                n += int(await c.xdel(key, *edge))
        return n

    async def load_map(self, name: str) -> dict[str, Any]:
        with _mapped(self.url):
            return await self._hash(self._k("map:" + name))

    async def put_in_map(self, name: str, key: str, value: dict[str, Any] | None) -> None:
        with _mapped(self.url):
            if value is None:
                await self.client.hdel(self._k("map:" + name), key)
            else:
                await self.client.hset(self._k("map:" + name), key, json.dumps(value))
