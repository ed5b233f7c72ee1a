"""Logs: one line per event, JSON on request, phone numbers masked by default."""

from __future__ import annotations

import json
import logging

from acd import events as ev
from acd.daemon import logs
from tests.daemon.conftest import Api


def test_mask_keeps_only_the_last_digits() -> None:
    assert logs.mask("caller=+1 (555) 123-4567 queue=q") == "caller=********567 queue=q"
    assert logs.mask("call c12 agent a7") == "call c12 agent a7"


def test_json_lines_and_masking(capsys) -> None:  # type: ignore[no-untyped-def]
    logs.setup("json", masked=True)
    logging.getLogger("acd.events").info("call c1 entered queue=q caller=+15551234567")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    rec = json.loads(line)
    assert rec["logger"] == "acd.events" and rec["level"] == "info"
    assert "+15551234567" not in rec["msg"] and rec["msg"].endswith("caller=********567")
    logs.setup("text", masked=False)
    logging.getLogger("acd.events").info("caller=+15551234567")
    assert "+15551234567" in capsys.readouterr().err
    logging.getLogger().handlers.clear()


async def test_each_engine_event_is_one_log_line(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="acd.events")
    await api.call("POST", "/v1/agents/alice/login")
    assert api.daemon.driver is not None
    api.daemon.driver.submit(ev.CallArrived("c9", "sales", caller="+15550001111"))
    msgs = [r.getMessage() for r in caplog.records if r.name == "acd.events"]
    assert "agent alice ready" in msgs
    assert any(m.startswith("call c9 entered queue=sales caller=+15550001111") for m in msgs)
    assert any(m.startswith("call c9 offered queue=sales agent=alice") for m in msgs)


def test_addresses_are_not_mistaken_for_phone_numbers() -> None:
    assert logs.mask("AMI at 127.0.0.1:5038") == "AMI at 127.0.0.1:5038"
    assert logs.mask("call 555.123.4567") == "call *******567"


def test_request_text_cannot_forge_log_lines(capsys) -> None:  # type: ignore[no-untyped-def]
    forged = "/v1/x\n2026-01-01T00:00:00.000Z info    acd.api: admin logged in\x1b[2K"
    for fmt in ("text", "json"):
        logs.setup(fmt, masked=False)
        try:
            raise ValueError(f"bad path {forged}")
        except ValueError:
            logging.getLogger("acd.api").exception("unhandled error on GET %s", forged)
        out = capsys.readouterr().err.splitlines()
        if fmt == "json":
            assert len(out) == 1 and "admin logged in" in json.loads(out[0])["msg"]
        else:
            assert len([line for line in out if not line.startswith("  | ")]) == 1, out
            assert "\\n2026-01-01" in out[0] and "\x1b" not in "".join(out)
    logging.getLogger().handlers.clear()


async def test_every_call_line_names_its_call(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    """A whole call, wrap-up included: each line about it starts with ``call c7``; the handle
    time's line too (it used to say ``call -``)."""
    caplog.set_level(logging.INFO, logger="acd.events")
    await api.call("POST", "/v1/agents/alice/login")
    driver = api.daemon.driver
    assert driver is not None
    driver.submit(ev.CallArrived("c7", "sales"))
    driver.submit(ev.AgentAnswered("c7", "alice"))
    await api.call("POST", "/v1/agents/alice/disposition", json={"disposition": "sale"})
    driver.submit(ev.CallHungUp("c7"))
    driver.submit(ev.AgentReady("alice"))  # ends wrap-up: the handled line
    msgs = [r.getMessage() for r in caplog.records if r.name == "acd.events"]
    calls = [m for m in msgs if not m.startswith("agent ")]
    events = [m.split()[2] for m in calls]
    assert {"entered", "offered", "answered", "ended", "handled"} <= set(events), msgs
    assert all(m.startswith("call c7 ") for m in calls), calls
    assert any(m.startswith("call c7 handled queue=sales agent=alice") for m in calls), calls


def test_a_preview_line_names_its_lead() -> None:
    preview = {
        "type": "call",
        "event": "preview",
        "call_id": None,
        "queue": "q",
        "outcome": None,
        "seconds": 0.0,
        "agent_id": "a1",
        "campaign": "renewals",
        "lead_id": "L9",
    }
    line = logs.notice_line(preview)
    assert line == "lead L9 preview campaign=renewals queue=q agent=a1"
