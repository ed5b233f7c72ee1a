"""The do-not-call list: any spelling of a number matches; registry files report bad lines."""

from __future__ import annotations

import io
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.leadfiles import load_registry
from dialer.dnc import DncEntry, DoNotCallList
from dialer.hours import CallingWindow
from dialer.leadbook import LeadBook
from dialer.leads import InvalidNumber, Lead, LeadFileError

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def test_any_spelling_matches() -> None:
    dnc = DoNotCallList()
    assert dnc.add("+1 (212) 555-0100", "agent", 10.0)
    for spelling in ["+12125550100", "(212) 555-0100", "1-212-555-0100", "tel:+1-212-555-0100"]:
        assert spelling in dnc
        assert dnc.entry(spelling) == DncEntry("agent", 10.0)
    assert dnc.contains_e164("+12125550100")
    assert "+12125550101" not in dnc and not dnc.contains_e164("+12125550101")
    assert "garbage" not in dnc and 12125550100 not in dnc
    assert dnc.entry("+12125550101") is None


def test_first_entry_is_kept_and_remove_works_with_any_spelling() -> None:
    dnc = DoNotCallList()
    assert dnc.add("2125550100", "api", 1.0)
    assert not dnc.add("+1 212 555 0100", "agent", 2.0)
    assert dnc.entry("+12125550100") == DncEntry("api", 1.0)
    assert len(dnc) == 1 and list(dnc) == ["+12125550100"]
    assert dnc.remove("(212) 555-0100")
    assert not dnc.remove("(212) 555-0100")
    assert "+12125550100" not in dnc and len(dnc) == 0


def test_default_region_reads_national_numbers() -> None:
    uk = DoNotCallList(default_region="GB")
    uk.add("020 7946 0000", "api", 0.0)
    assert "+442079460000" in uk and "+44 20 7946 0000" in uk
    assert "02079460000" in uk


def test_adding_something_that_is_not_a_number_raises() -> None:
    dnc = DoNotCallList()
    for bad in ["", "hello", "555-0100", "+1 212"]:
        with pytest.raises(InvalidNumber):
            dnc.add(bad, "api", 0.0)


def test_registry_file_one_number_per_line() -> None:
    dnc = DoNotCallList()
    result = load_registry(dnc, EXAMPLES / "dnc.txt", at=100.0)
    assert result.summary() == "added 7, already listed 0, rejected 1"
    [bad] = result.rejected
    assert bad.line == 11 and "no area code" in bad.reason and bad.raw.startswith("555-0100")
    assert dnc.entry("+44 20 7946 0992") == DncEntry("registry:dnc.txt", 100.0)
    assert "(212) 555-0114" in dnc
    again = load_registry(dnc, EXAMPLES / "dnc.txt", "registry:reload", 200.0)
    assert (again.added, again.already) == (0, 7)
    assert dnc.entry("+12125550114") == DncEntry("registry:dnc.txt", 100.0)


def test_registry_csv_with_a_phone_column() -> None:
    text = "# exported 2026-11-01\nname,Phone,reason\nAda,+1 212 555 0100,asked\nBob,,\nCy,nope,x\n"
    dnc = DoNotCallList()
    result = dnc.load_registry_text(text, "registry:crm", 5.0)
    assert result.added == 1 and "+12125550100" in dnc
    assert [(r.line, r.reason[:30]) for r in result.rejected] == [
        (4, "missing phone number"),
        (5, "cannot parse phone number 'nop"),
    ]
    with pytest.raises(LeadFileError, match="phone"):
        load_registry(dnc, io.StringIO("name,number\nAda,+12125550100\n"), file_name="x.csv")


def test_registry_region_can_differ_from_the_lists() -> None:
    dnc = DoNotCallList()
    dnc.load_registry_text("020 7946 0000\n0161 496 0000\n", "registry:tps", 0.0, "GB")
    assert {"+442079460000", "+441614960000"} <= set(dnc)


# --- never dialled, whatever the spelling --------------------------------------------------

FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]
US_NUMBERS = [f"+1{area}55501{i:02d}" for area in ("212", "617", "312", "213") for i in range(25)]
UK_NUMBERS = [f"+44207946{i:04d}" for i in range(20)]


def spell(e164: str, how: int, national_ok: bool) -> str:
    """One of many ways a person or a file might write the number."""
    n = phonenumbers.parse(e164)
    if how < len(FORMATS):
        return phonenumbers.format_number(n, FORMATS[how])
    if how == 3 and national_ok:
        return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
    if how == 4:
        return phonenumbers.format_out_of_country_calling_number(n, "US")  # 011 44 ...
    digits = e164[1:]
    return "+" + ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))


@given(
    st.lists(st.sampled_from(US_NUMBERS + UK_NUMBERS), min_size=1, max_size=40, unique=True),
    st.data(),
)
@settings(max_examples=60, deadline=None)
def test_a_number_on_the_list_is_never_returned(numbers: list[str], data: st.DataObject) -> None:
    dnc = DoNotCallList()
    blocked = set(data.draw(st.sets(st.sampled_from(numbers))))
    for number in blocked:
        how = data.draw(st.integers(0, 5))
        dnc.add(spell(number, how, national_ok=number.startswith("+1")), "registry:x", 0.0)
    use_set = data.draw(st.booleans())  # a plain set of E.164 numbers works as well
    book = LeadBook()
    book.extend(Lead(f"L{i}", n, priority=i % 3) for i, n in enumerate(numbers))
    window = CallingWindow("00:00", "24:00")
    returned = []
    while lead := book.next_dialable(1_800_000_000.0, window, set(dnc) if use_set else dnc):
        returned.append(lead.phone)
    assert not set(returned) & blocked
    assert set(returned) == set(numbers) - blocked
    counts = book.counts(1_800_000_000.0)
    assert counts.done.get("do_not_call", 0) == len(blocked)
    assert counts.dialing == len(returned)
