"""IVR attributes: the caller's language (ACD_LANGUAGE) routes to the agents who speak it (a
queue's ``languages`` maps it to a skill), and every attribute reaches the call's record."""

from __future__ import annotations

from tests.helpers import Center, config, offers


def _center() -> Center:
    cfg = config(
        [{"name": "q", "languages": {"es": "spanish", "fr": {"french": 3}}}],
        [
            {"id": "en1", "skills": {}},
            {"id": "es1", "skills": {"spanish": 1}},
            {"id": "fr1", "skills": {"french": 2}},
            {"id": "fr2", "skills": {"french": 4}},
        ],
    )
    return Center(cfg)


def test_the_callers_language_picks_agents_who_speak_it() -> None:
    c = _center()
    (offer,) = offers(c.arrive("c1", "q", attributes={"language": "es", "account": "A7"}))
    assert offer == ("c1", "es1")
    (offer,) = offers(c.arrive("c2", "q", attributes={"language": "fr"}))
    assert offer == ("c2", "fr2")  # level 3 wanted: fr1 (2) cannot take it
    (offer,) = offers(c.arrive("c3", "q", attributes={"language": "de"}))  # not mapped: anyone
    assert offer[1] in {"en1", "fr1"}


def test_the_ivr_attributes_reach_the_record() -> None:
    c = _center()
    attrs = {"language": "es", "account": "A7", "attr_tier": "gold"}
    c.arrive("c1", "q", attributes=attrs)
    c.answer("c1", "es1")
    c.advance(30)
    c.hangup("c1")
    (rec,) = c.engine.records
    assert rec.attributes == attrs
    assert rec.as_dict()["attributes"] == attrs
