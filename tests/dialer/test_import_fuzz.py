"""Any lead file, registry file or JSON lead list is taken or refused with a clear error:
never another exception (the API would answer 500)."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.daemon.api.campaigns import _lead_items
from acd.daemon.api.errors import ApiError
from dialer.dnc import DoNotCallList
from dialer.leads import LeadFileError, parse_leads, run_steps

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["+12125550101", "555-0102", "America/New_York", "Mars/Base", "7", "-1"]),
)
header = st.lists(
    st.sampled_from(["phone", "lead_id", "name", "time_zone", "priority", "x", "Phone", ""]),
    max_size=6,
)


@st.composite
def csv_text(draw: st.DrawFn) -> str:
    cols = draw(header)
    rows = draw(st.lists(st.lists(cell, max_size=len(cols) + 2), max_size=8))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    lines = [sep.join(cols), *(sep.join(r) for r in rows)]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n", '"']))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(csv_text(), st.text(max_size=300)))
def test_any_lead_text_is_parsed_or_refused(text: str) -> None:
    try:
        result = parse_leads(text, name="f.csv")
    except LeadFileError as exc:
        assert exc.message.startswith("f.csv")
        return
    assert all(r.line >= 2 for r in result.rejected)
    ids = [lead.lead_id for lead in result.leads]
    assert len(ids) == len(set(ids))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(csv_text(), st.text(max_size=300)))
def test_any_registry_text_is_loaded_or_refused(text: str) -> None:
    try:
        DoNotCallList().load_registry_text(text, "registry:f", name="f.csv")
    except LeadFileError as exc:
        assert exc.message.startswith("f.csv")


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
lead_obj = st.fixed_dictionaries(
    {"phone": st.one_of(st.just("+12125550101"), json_value)},
    optional={"lead_id": json_value, "fields": json_value, "priority": json_value},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(lead_obj, max_size=4), json_value), st.booleans())
def test_any_json_body_becomes_lead_text_or_a_4xx(body: object, as_json: bool) -> None:
    raw = json.dumps(body).encode()
    try:
        text, _ = run_steps(_lead_items(raw, "application/json" if as_json else "text/csv"))
    except ApiError as exc:
        assert 400 <= exc.status < 500
        return
    with contextlib.suppress(LeadFileError):  # a list without 'phone': refused by name
        parse_leads(text, name="request body")
