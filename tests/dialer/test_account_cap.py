"""The frequency cap per account (Regulation F, 12 CFR 1006.14(b)(2), counts calls to a person
about a debt, whichever number): at most ``calls`` attempts in any ``days`` x 24 h across every
lead of an account, none for ``days`` after a conversation on any of them; checked by the lead
book when it hands a lead out, and kept across a restart of the book from its dumps.

The properties recount from a dial log (who was handed out when), never from the book's counters.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.commands import Command, Originate
from acd.config import config_from_text
from acd.config.schema import Config
from acd.errors import ConfigError
from acd.simulate import build
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leads import Lead
from dialer.leadsource import retry_policy
from dialer.retries import (
    Disposition,
    DispositionKind,
    FrequencyCap,
    InvalidRetryPolicy,
    Outcome,
    RetryPolicy,
    RetryRule,
)
from telephony_adapters.simulated import SimulatedTrunk
from tests.dialer.test_frequency_cap import CONFIG  # the same one-campaign center

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
T0 = 1_767_268_800.0  # 2026-01-01 12:00 UTC
ALWAYS = CallingWindow("00:00", "24:00")
CONTACT = Disposition("not_interested", DispositionKind.CONTACT)
NOBODY = Disposition("no_contact", DispositionKind.NOT_CONTACTED)
CALLBACK = Disposition("callback", DispositionKind.CALLBACK)
RULES = ("no_answer", "busy", "machine", "abandoned", "failed", "not_contacted")


def policy(calls: int, days: float, per: str = "account") -> RetryPolicy:
    """Only the cap: every outcome retried a minute later, no daily or total cap."""
    return RetryPolicy(
        **{name: RetryRule(MINUTE, 10_000) for name in RULES},
        max_attempts=10_000,
        max_attempts_per_day=None,
        frequency_cap=FrequencyCap(calls, days, per),
    )


def phone(n: int) -> str:
    return f"+1212555{100 + n:04d}"  # New York, fictional 555-01xx


def drain(book: LeadBook, now: float) -> list[str]:
    out = []
    while (lead := book.next_dialable(now, ALWAYS, ())) is not None:
        out.append(lead.lead_id)
    return out


def test_leads_of_one_account_share_the_cap() -> None:
    book = LeadBook(policy(2, 1))
    book.extend(
        [Lead(f"d{i}", phone(i), account="debt-1") for i in range(3)]
        + [Lead("other", phone(9), account="debt-2")],
        at=T0,
    )
    # Two of debt-1's numbers are dialled (and ring out) at once; the third waits for a day.
    handed = drain(book, T0)
    assert handed == ["d0", "d1", "other"]
    for lead_id in handed:
        book.record(lead_id, Outcome.NO_ANSWER, T0 + 30)
    assert drain(book, T0 + HOUR) == ["other"]  # the third of debt-1 is still held back
    book.record("other", Outcome.NO_ANSWER, T0 + HOUR)
    assert drain(book, T0 + 30 + DAY - 1) == []  # debt-1 and debt-2 have had two each
    # The first two attempts (recorded at T0 + 30) age out: two of debt-1 go again, not three.
    assert drain(book, T0 + 30 + DAY) == ["d0", "d1", "other"]
    # Counted per lead instead, each number has its own two.
    per_lead = LeadBook(policy(2, 1, "lead"))
    per_lead.extend([Lead(f"d{i}", phone(i), account="debt-1") for i in range(3)], at=T0)
    assert drain(per_lead, T0) == ["d0", "d1", "d2"]


def test_a_lead_being_dialled_counts_before_its_result() -> None:
    book = LeadBook(policy(1, 7))
    book.extend([Lead("a", phone(1), account="x"), Lead("b", phone(2), account="x")], at=T0)
    assert drain(book, T0) == ["a"]  # b waits: a's attempt is under way
    assert drain(book, T0 + 600) == []
    book.record("a", Outcome.BUSY, T0 + 900)
    assert drain(book, T0 + 900 + 7 * DAY - 1) == []
    assert drain(book, T0 + 900 + 7 * DAY) == ["a"]  # one of the two, not both


def test_a_conversation_on_one_number_holds_every_number_of_the_account() -> None:
    book = LeadBook(policy(7, 7))
    # Leads without an account count by their number: these two share one.
    book.extend(
        [
            Lead("home", phone(1), account="acct"),
            Lead("cell", phone(2), account="acct"),
            Lead("n1", phone(3)),
            Lead("n2", phone(3)),
        ],
        at=T0,
    )
    assert drain(book, T0) == ["home", "cell", "n1", "n2"]
    book.record("home", CONTACT, T0 + 120)  # spoke with the person: home is done
    book.record("cell", Outcome.NO_ANSWER, T0 + 60)
    book.record("n1", NOBODY, T0 + 60)  # reached nobody useful: no conversation
    book.record("n2", Outcome.NO_ANSWER, T0 + 60)
    assert drain(book, T0 + DAY) == ["n1", "n2"]
    assert drain(book, T0 + 120 + 7 * DAY - 1) == []
    assert drain(book, T0 + 120 + 7 * DAY) == ["cell"]


def test_the_account_cap_is_back_after_a_restore() -> None:
    """Nothing is kept for the account: its leads' histories give it back."""
    book = LeadBook(policy(1, 1))
    leads = [Lead("a", phone(1), account="x"), Lead("b", phone(2), account="x")]
    book.extend(leads, at=T0)
    assert drain(book, T0) == ["a"]
    book.record("a", Outcome.NO_ANSWER, T0)
    dumps = {lead.lead_id: book.dump(lead.lead_id) for lead in leads}
    again = LeadBook(policy(1, 1))
    again.restore(dumps, T0 + 60)
    assert drain(again, T0 + HOUR) == []
    assert len(drain(again, T0 + DAY)) == 1  # one of the two, the day after


# --- properties over random accounts and dial opportunities -------------------------------------
@dataclass
class Log:
    """What happened, as an auditor would rebuild it: every dial and every conversation."""

    dials: list[tuple[str, float, bool]] = field(default_factory=list)  # account, at, automatic
    # account, at, and how many dials came before it was known (a dial's own result ends it)
    conversations: list[tuple[str, float, int]] = field(default_factory=list)


def accounts_strategy() -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 4), min_size=1, max_size=4)  # leads per account


STEP = st.tuples(
    st.floats(0, 8 * HOUR),  # the gap to the next dial opportunity
    st.sampled_from([Outcome.NO_ANSWER, Outcome.BUSY, Outcome.MACHINE, NOBODY, CONTACT, CALLBACK]),
    st.floats(0, 20 * MINUTE),  # how long the attempt takes
    st.booleans(),  # the dialer restarts from its dumps (calls in flight are cut)
)


def run(
    sizes: list[int],
    steps: list[tuple[float, object, float, bool]],
    pol: RetryPolicy,
    check: Callable[[LeadBook, Log, float], None] | None = None,
) -> Log:
    """Dial opportunities after the gaps of ``steps``: the results due are recorded, then every
    lead the book hands out is dialled (``check`` looks at the book after each round)."""
    leads = [
        Lead(f"a{a}l{i}", phone(10 * a + i), account=f"acct{a}")
        for a, n in enumerate(sizes)
        for i in range(n)
    ]
    account = {lead.lead_id: lead.account for lead in leads}
    book = LeadBook(pol)
    book.extend(leads, at=T0)
    log, now = Log(), T0
    flight: list[tuple[float, int, str, object]] = []  # (ends, seq, lead, result)
    for seq, (gap, result, takes, restart) in enumerate(steps):
        now += gap
        while flight and flight[0][0] <= now:
            ends, _, lead_id, res = heapq.heappop(flight)
            if res is CALLBACK:
                book.record(lead_id, CALLBACK, ends, callback_at=ends + 3 * HOUR)
            else:
                book.record(lead_id, res, ends)  # type: ignore[arg-type]
            if res in (CONTACT, CALLBACK):
                log.conversations.append((account[lead_id], ends, len(log.dials)))
        if restart:
            dumps = {lead.lead_id: book.dump(lead.lead_id) for lead in leads}
            book = LeadBook(pol)
            book.restore(dumps, now)
            flight.clear()  # their results died with the dialer
        while (lead := book.next_dialable(now, ALWAYS, ())) is not None:
            automatic = not book.state(lead.lead_id).callback
            log.dials.append((account[lead.lead_id], now, automatic))
            heapq.heappush(flight, (now + takes, seq, lead.lead_id, result))
        if check is not None:
            check(book, log, now)
    return log


@given(accounts_strategy(), st.lists(STEP, min_size=8, max_size=40), st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_no_account_exceeds_the_cap_in_any_window(
    sizes: list[int], steps: list[tuple[float, object, float, bool]], calls: int
) -> None:
    """Every automatic dial ends a window of 24 h holding at most ``calls`` dials of its
    account, and none is within 24 h after a conversation on any of the account's leads."""
    log = run(sizes, steps, policy(calls, 1))
    for i, (acct, t, automatic) in enumerate(log.dials):
        if not automatic:
            continue  # a callback is the person's asking (its dial still counts for the others)
        window = [d for a, d, _ in log.dials if a == acct and t - DAY < d <= t]
        assert len(window) <= calls, (acct, t, window)
        spoke = [c for a, c, k in log.conversations if a == acct and k <= i and t < c + DAY]
        assert not spoke, (acct, t, spoke)


@given(
    accounts_strategy(),
    st.lists(
        st.tuples(st.integers(0, 8 * 3600) | st.integers(0, 900), st.sampled_from([0, 1, 2])),
        min_size=24,  # long enough for windows to fill and lift (a day is a dozen steps)
        max_size=60,
    ),
    st.integers(1, 4),
)
@settings(max_examples=150, deadline=None)
def test_a_lead_comes_out_as_soon_as_its_account_allows(
    sizes: list[int], steps: list[tuple[float, int]], calls: int
) -> None:
    """Attempts end at once, so what the book counts is the dial log: after every pick, no lead
    is left behind that its own retry time (a minute after its last dial), its account's window
    and its account's last conversation all allow."""
    results = (Outcome.NO_ANSWER, NOBODY, CONTACT)
    full = [(gap, results[k], 0.0, False) for gap, k in steps]
    run(sizes, full, policy(calls, 1), lambda book, log, now: left_behind(book, log, now, calls))


def left_behind(book: LeadBook, log: Log, now: float, calls: int) -> None:
    for lead in book:
        if book.state(lead.lead_id).done or book.dialing(lead.lead_id):
            continue
        acct = lead.account
        at = book.state(lead.lead_id).last_attempt_at
        if at is not None and at + MINUTE > now:
            continue  # not due yet by its own rule
        recent = [d for a, d, _ in log.dials if a == acct and now - DAY < d <= now]
        spoke = any(a == acct and now < c + DAY for a, c, _ in log.conversations)
        assert len(recent) >= calls or spoke, (lead.lead_id, now, recent)


def test_per_is_account_by_default_and_checked() -> None:
    assert FrequencyCap().per == "account"
    with pytest.raises(InvalidRetryPolicy):
        FrequencyCap(7, 7, "person")


def test_the_config_takes_per_and_a_bad_value_names_its_line() -> None:
    cfg = config_from_text(CONFIG + "    frequency_cap: {calls: 7, days: 7}\n", "center.yaml")
    assert retry_policy(cfg.campaigns[0]).frequency_cap == FrequencyCap(7, 7, "account")
    text = CONFIG + "    frequency_cap: {calls: 7, days: 7, per: lead}\n"
    assert retry_policy(config_from_text(text, "c.yaml").campaigns[0]).frequency_cap == (
        FrequencyCap(7, 7, "lead")
    )
    text = CONFIG + "    frequency_cap:\n      calls: 7\n      per: person\n"
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    assert exc.value.field == "campaigns[0].frequency_cap.per"
    assert exc.value.line == 9
    assert "center.yaml" in str(exc.value)


# --- a simulated day through the Center, recounted from what the trunk was asked to dial -------
def simulated_dials(tmp_path: Path, per: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Ten accounts of three numbers each (home, mobile, work), mostly unanswered, on a
    progressive campaign with a cap of 2 calls in 7 days: dials per account, from the trunk."""
    rows = ["lead_id,phone,account_id"]
    account_of: dict[str, str] = {}
    for a in range(10):
        for i in range(3):
            number = phone(10 * a + i)
            rows.append(f"L{a}-{i},{number},acct{a}")
            account_of[number] = f"acct{a}"
    (tmp_path / "leads.csv").write_text("\n".join(rows) + "\n")
    cfg = Config.model_validate(
        {
            "campaigns": [
                {
                    "name": "c",
                    "mode": "progressive",
                    "leads": "leads.csv",
                    "skills": {"out": 1},
                    "calling_window": {"start": "00:00", "end": "24:00"},
                    "frequency_cap": {"calls": 2, "days": 7, "per": per},
                    "retries": {"no_answer": {"delay_seconds": 1800, "max_attempts": 20}},
                }
            ],
            "agents": [{"id": "a0", "skills": {"out": 5}}, {"id": "a1", "skills": {"out": 5}}],
            "simulation": {
                "seed": 5,
                "hours": 8,
                "start": "09:00",
                "time_zone": "America/New_York",
                "outbound": {"human_probability": 0.05, "machine_probability": 0.0},
            },
        }
    )
    dials: Counter[str] = Counter()
    execute = SimulatedTrunk.execute

    def tapped(self: SimulatedTrunk, command: Command, now: float) -> Any:
        if isinstance(command, Originate):
            dials[account_of[command.number]] += 1
        return execute(self, command, now)

    # On the class: the first dials go out as the agents log in, while the day is built.
    monkeypatch.setattr(SimulatedTrunk, "execute", tapped)
    _, _, driver = build(cfg, base_dir=tmp_path)
    driver.run(8 * 3600.0, drain=True)
    monkeypatch.undo()
    return dict(dials)


def test_a_simulated_day_keeps_every_account_under_its_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_account = simulated_dials(tmp_path, "account", monkeypatch)
    assert len(per_account) == 10 and max(per_account.values()) == 2
    # Counted per lead, the same day calls the accounts far more: the account cap is what held.
    per_lead = simulated_dials(tmp_path, "lead", monkeypatch)
    assert max(per_lead.values()) > 2
