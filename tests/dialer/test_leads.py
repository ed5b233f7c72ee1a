"""Lead import: E.164 numbers, rejected rows with line numbers and reasons, counts that add up."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.leadfiles import import_leads
from dialer.leads import (
    ImportResult,
    InvalidLead,
    InvalidNumber,
    Lead,
    LeadFileError,
    is_e164,
    lead_from_dict,
    lead_to_dict,
    normalize,
    parse_leads,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "leads"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def reasons(result: ImportResult) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in result.rejected]


def test_mixed_file_takes_good_rows_and_reports_bad_ones_by_line() -> None:
    result = import_leads(DATA / "mixed.csv")
    assert [lead.lead_id for lead in result.leads] == ["A1", "A2", "A7", "L10"]
    assert reasons(result) == [
        (4, "not a possible phone number: '12345'"),
        (5, "unknown time zone 'Mars/Olympus'"),
        (6, "priority must be an integer, got 'high'"),
        (7, "duplicate phone number +12125550100 (first on line 2)"),
        (11, "missing phone number"),
        (13, "not a valid phone number: '+1 555 555 0100'"),
        (14, "duplicate lead_id 'A1' (first on line 2)"),
        (15, "7 cells but the header has 6 columns"),
    ]
    assert result.taken == 4 and result.rejected_count == 8
    assert result.summary() == "took 4 rows, rejected 8"
    assert result.file_name.endswith("mixed.csv")


def test_rejected_rows_keep_their_raw_text_and_first_line() -> None:
    result = import_leads(DATA / "mixed.csv")
    by_line = {r.line: r.raw for r in result.rejected}
    assert by_line[6] == "A5,+1 214 555 0103,Barbara,,high,"
    # A quoted cell spanning two lines: the record starts on line 8, so the next one is line 10.
    tim = next(lead for lead in result.leads if lead.lead_id == "A7")
    assert tim.name == "Tim\nBerners-Lee"
    assert tim.fields == {"company": "CERN, Geneva"}


def test_numbers_are_normalised_to_e164() -> None:
    result = import_leads(DATA / "mixed.csv")
    phones = {lead.lead_id: lead.phone for lead in result.leads}
    assert phones == {
        "A1": "+12125550100",
        "A2": "+16175550101",
        "A7": "+442079460000",
        "L10": "+13035550104",
    }
    for spelling in ["+1 (212) 555-0100", "212.555.0100", "1-212-555-0100", "(212) 5550100"]:
        assert normalize(spelling, "US") == "+12125550100"
    assert normalize("020 7946 0000", "GB") == "+442079460000"
    assert normalize("+44 (0)20 7946 0000", "US") == "+442079460000"


def test_fields_defaults_and_optional_columns() -> None:
    result = import_leads(DATA / "mixed.csv")
    ada, grace = result.leads[0], result.leads[1]
    assert (ada.name, ada.time_zone, ada.priority) == ("Ada Lovelace", None, 5)
    assert ada.fields == {"company": "Analytical Engines"}
    assert grace.time_zone == "America/New_York"
    no_id = result.leads[3]
    assert (no_id.lead_id, no_id.priority, no_id.time_zone) == ("L10", 0, None)


def test_an_account_column_groups_numbers_and_the_number_stands_in_without_one() -> None:
    text = "Phone,Account ID,plan\n212-555-0101,A7,gold\n212-555-0102,A7,\n212-555-0103,,\n"
    home, mobile, alone = parse_leads(text).leads
    assert (home.account, mobile.account, alone.account) == ("A7", "A7", "")
    assert (home.account_key, alone.account_key) == ("A7", "+12125550103")
    assert home.fields == {"plan": "gold"}  # account is a known column, not a custom field
    for lead in (home, alone):  # kept through the lead book's persistence, both paths
        data = lead_to_dict(lead)
        assert lead_from_dict(data) == lead_from_dict(data, trusted=True) == lead
    assert lead_from_dict({"lead_id": "x", "phone": "+12125550101"}).account == ""


def test_excel_export_with_bom_crlf_and_loose_headers_in_another_region() -> None:
    result = import_leads(DATA / "excel_gb.csv", default_region="GB")
    assert result.rejected == []
    alan, kay = result.leads
    assert (alan.phone, alan.time_zone, alan.name) == ("+442079460123", "Europe/London", "Alan")
    assert alan.fields == {"Notes": "likes tea"}  # the unnamed trailing column is dropped
    assert kay.phone == "+12125550199"
    assert (alan.lead_id, kay.lead_id) == ("L2", "L3")


def test_a_file_without_a_phone_column_is_one_clear_error_naming_the_file() -> None:
    with pytest.raises(LeadFileError) as err:
        import_leads(DATA / "no_phone.csv")
    assert err.value.file.endswith("no_phone.csv")
    assert "no 'phone' column" in str(err.value) and "no_phone.csv" in str(err.value)
    assert err.value.code == "invalid_lead_file"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        ("phone,Phone\n+12125550100,+12125550101\n", "appears twice"),
    ],
)
def test_unusable_files(text: str, message: str) -> None:
    with pytest.raises(LeadFileError, match=message):
        import_leads(io.StringIO(text), file_name="upload.csv")


def test_missing_file_is_a_lead_file_error() -> None:
    with pytest.raises(LeadFileError, match="cannot read"):
        import_leads(DATA / "does-not-exist.csv")


def test_sources_path_text_and_stream_agree() -> None:
    text = (DATA / "mixed.csv").read_text()
    from_path = import_leads(DATA / "mixed.csv")
    from_str_path = import_leads(str(DATA / "mixed.csv"))
    from_text = parse_leads(text)
    from_stream = import_leads(io.StringIO(text))
    assert from_text.file_name == "<text>"
    for other in (from_str_path, from_text, from_stream):
        assert other.leads == from_path.leads
        assert other.rejected == from_path.rejected


def test_header_only_file_takes_nothing() -> None:
    result = parse_leads("phone,name\n")
    assert (result.taken, result.rejected_count) == (0, 0)
    assert result.summary() == "took 0 rows, rejected 0"


def test_example_lead_list() -> None:
    result = import_leads(EXAMPLES / "leads.csv")
    assert result.summary() == "took 47 rows, rejected 6"
    assert {r.line for r in result.rejected} == {49, 50, 51, 52, 53, 54}
    assert sum(lead.phone.startswith("+44") for lead in result.leads) == 4


def test_lead_is_validated_when_built() -> None:
    Lead("x", "+12125550100", time_zone="America/Chicago", priority=-2)
    with pytest.raises(InvalidLead, match=r"E\.164"):
        Lead("x", "+1 212 555 0100")
    with pytest.raises(InvalidLead, match=r"E\.164"):
        Lead("x", "+112125550100")  # a national prefix left in: not the canonical form
    with pytest.raises(InvalidLead, match="time zone"):
        Lead("x", "+12125550100", time_zone="Etc/Unknown")
    with pytest.raises(InvalidLead, match="priority"):
        Lead("x", "+12125550100", priority=True)
    with pytest.raises(InvalidLead, match="lead_id"):
        Lead("", "+12125550100")
    assert is_e164("+442079460000") and not is_e164("+4402079460000")
    with pytest.raises(InvalidNumber):
        normalize("not a number")


# --- counts add up, whatever the rows -----------------------------------------------------

GOOD = ["+1 212 555 01{:02d}", "(617) 555-01{:02d}", "+44 20 7946 0{:03d}", "312.555.01{:02d}"]
BAD = ["12345", "+1 555 555 0100", "", "call me", "+999 1234"]


@st.composite
def lead_rows(draw: st.DrawFn) -> tuple[list[list[str]], int]:
    """Rows of a lead file and how many of them are blank (blank rows are not data rows)."""
    rows: list[list[str]] = []
    blanks = 0
    for _ in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 9)) == 0:
            rows.append([])
            blanks += 1
            continue
        if draw(st.booleans()):
            phone = draw(st.sampled_from(GOOD)).format(draw(st.integers(0, 30)))
        else:
            phone = draw(st.sampled_from(BAD))
        zone = draw(st.sampled_from(["", "", "America/Denver", "Nowhere/Special"]))
        priority = draw(st.sampled_from(["", "1", "-3", "x"]))
        name = draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8))
        rows.append([phone, name, zone, priority])
    return rows, blanks


@given(lead_rows())
@settings(max_examples=60, deadline=None)
def test_taken_plus_rejected_is_the_number_of_data_rows(case: tuple[list[list[str]], int]) -> None:
    rows, blanks = case
    buf = io.StringIO()
    writer = csv.writer(buf)  # quotes cells holding \r or \n
    writer.writerow(["phone", "name", "time_zone", "priority"])
    writer.writerows(rows)
    result = parse_leads(buf.getvalue())
    data_rows = len(rows) - blanks
    # A row of blank cells (all whitespace) is also not a data row.
    data_rows -= sum(1 for r in rows if r and not any(c.strip() for c in r))
    assert result.taken + result.rejected_count == data_rows
    assert len({lead.phone for lead in result.leads}) == result.taken
    assert all(is_e164(lead.phone) for lead in result.leads)
    lines = [r.line for r in result.rejected]
    assert lines == sorted(set(lines)) and all(line >= 2 for line in lines)
