"""Store URLs for one server, Sentinel and a Redis Cluster, and the key prefix of each: on a
cluster every key of one center falls in one hash slot (checked with redis-py's own CRC16 slot
function, Redis's rule), elsewhere an existing store keeps its key names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from acd.config import config_from_text
from acd.errors import ConfigError
from acd.store.redis_client import has_hash_tag, key_prefix, parse_url

CLUSTER = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"
NAMES = ["seq", "fence", "lease", "cdr", "cdr:last", "lead:c", "lstate:c", "due:c", "iv:2026-01-02"]


def test_sentinel_url_names_the_sentinels_the_master_and_the_database() -> None:
    u = parse_url("redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2,10.0.0.3:26380/main/2")
    assert u.kind == "sentinel"
    assert u.nodes == (("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26380))
    assert (u.master, u.db, u.password) == ("main", 2, "s3cret")


def test_cluster_url_lists_its_seed_nodes() -> None:
    u = parse_url(CLUSTER + "/")
    assert u.kind == "cluster" and u.nodes == (("127.0.0.1", 7000), ("127.0.0.1", 7001))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+sentinel://h:26379", "names the master"),
        ("redis+sentinel://h:26379/m/x", "database number"),
        ("redis+cluster://h:7000/3", "only database 0"),
        ("redis+cluster://h:port", "bad host:port"),
        ("http://h:6379", "must start with"),
    ],
)
def test_a_bad_url_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_url(url)


def test_an_untagged_prefix_keeps_its_names_on_one_server_and_sentinel() -> None:
    assert key_prefix("acd:", "redis://127.0.0.1:6379/0") == "acd:"
    assert key_prefix("acd:", "redis+sentinel://h:26379/m") == "acd:"
    assert key_prefix("{acd:paris}:", CLUSTER) == "{acd:paris}:"
    assert key_prefix("acd:", CLUSTER) == "{acd}:"


@given(st.from_regex(r"[A-Za-z0-9_.:{}-]{1,64}", fullmatch=True), st.lists(st.sampled_from(NAMES)))
def test_on_a_cluster_every_key_of_a_center_is_in_one_slot(prefix: str, more: list[str]) -> None:
    try:
        p = key_prefix(prefix, CLUSTER)
    except ValueError:
        assert not has_hash_tag(prefix)  # only a prefix that cannot be tagged is refused
        return
    slots = {key_slot((p + name).encode()) for name in NAMES + more}
    assert len(slots) == 1, (prefix, p, slots)


@given(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_two_centers_tagged_apart_have_their_own_slots(a: str, b: str) -> None:
    pa, pb = key_prefix(f"{a}:", CLUSTER), key_prefix(f"{b}:", CLUSTER)
    assert (pa == pb) == (a == b)  # distinct names give distinct tags (slots may still meet)


def test_yaml_with_a_cluster_url_and_no_prefix_names_file_line_and_field() -> None:
    text = f"queues:\n  - name: q\nstore:\n  url: '{CLUSTER}'\n  prefix: ''\n"
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    err = exc.value
    assert (err.file, err.line, err.field) == ("center.yaml", 4, "store"), err.message
    assert "needs a prefix" in err.message


def test_yaml_with_a_sentinel_url_without_master_is_refused() -> None:
    text = "queues:\n  - name: q\nstore:\n  url: 'redis+sentinel://h:26379'\n"
    with pytest.raises(ConfigError) as exc:
        config_from_text(text, "center.yaml")
    assert exc.value.field == "store.url" and "names the master" in exc.value.message
