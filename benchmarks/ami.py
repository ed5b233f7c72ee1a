"""AMI parsing benchmark: our sans-I/O codec against panoramisk 1.4's parser, same bytes, same run.

Input: the real Asterisk 20.20.1 capture (tests/data/ami/asterisk-20.20.1-server-bytes-filtered.txt,
266 messages after the banner), repeated to about a million messages and fed in 64 KiB chunks, as
a socket read would hand them over.

Ours: ``AmiCodec.receive_data(chunk)`` then iterate the messages it completed. Measured four ways:
parse only (messages framed, checked and typed; headers are read on demand), parse plus three
header lookups per message (what a typical consumer does), parse plus every header pair
materialised (``items()``, the same eager work panoramisk does), and parse plus ``Correlator``.

panoramisk: ``AMIProtocol.data_received(chunk)`` driven directly, without a network: the protocol
gets ``connection_made()`` with a transport stub and a factory stub whose ``dispatch`` only counts.
That is panoramisk's whole receive path (decode, split on blank lines, ``Message.from_line`` into a
case-insensitive dict, ActionID lookup, dispatch of events); its responses meet no pending action
and are dropped, as they would be. With lookups, its dispatch reads the same three headers.

    python benchmarks/ami.py [--quick] [--json] [--repeat N]
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import emit_json, median, parser, table
from telephony_adapters.ami.codec import AmiCodec, Correlator
from telephony_adapters.ami.messages import Event, Response

CAPTURE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "ami"
    / "asterisk-20.20.1-server-bytes-filtered.txt"
)
CHUNK = 64 * 1024
LOOKUPS = ("ActionID", "Uniqueid", "Channel")


def workload(target: int) -> tuple[list[bytes], int, int]:
    """A block of the capture body repeated, cut in chunks, and how many blocks give ~target."""
    data = CAPTURE.read_bytes()
    _, body = data.split(b"\r\n", 1)
    per_copy = body.count(b"\r\n\r\n")
    copies = 40
    block = body * copies
    chunks = [block[i : i + CHUNK] for i in range(0, len(block), CHUNK)]
    blocks = max(1, round(target / (per_copy * copies)))
    return chunks, blocks, per_copy * copies * blocks


def ours(chunks: list[bytes], blocks: int, mode: str) -> int:
    codec = AmiCodec(expect_banner=False)
    corr = Correlator()
    n = 0
    receive = codec.receive_data
    for _ in range(blocks):
        for chunk in chunks:
            receive(chunk)
            if mode == "parse":
                for _m in codec:
                    n += 1
            elif mode == "lookups":
                for m in codec:
                    m.get("ActionID")  # type: ignore[union-attr]
                    m.get("Uniqueid")  # type: ignore[union-attr]
                    m.get("Channel")  # type: ignore[union-attr]
                    n += 1
            elif mode == "items":
                for m in codec:
                    m.items()  # type: ignore[union-attr]
                    n += 1
            else:
                for m in codec:
                    assert isinstance(m, Response | Event)
                    corr.receive(m)
                    n += 1
    assert codec.skipped_frames == 0
    return n


def panoramisk_runner(lookups: bool) -> Callable[[list[bytes], int], int] | None:
    try:
        from panoramisk.ami_protocol import AMIProtocol
    except ImportError:
        return None

    class Transport:
        def write(self, data: bytes) -> None:
            pass

        def close(self) -> None:
            pass

    class Factory:
        save_stream = None

        def __init__(self) -> None:
            self.events = 0

        def dispatch(self, message: Any) -> None:
            if lookups:
                message.get("ActionID")
                message.get("Uniqueid")
                message.get("Channel")
            self.events += 1

    def run(chunks: list[bytes], blocks: int) -> int:
        proto = AMIProtocol()
        proto.connection_made(Transport())
        factory = Factory()
        proto.factory = factory
        feed = proto.data_received
        for _ in range(blocks):
            for chunk in chunks:
                feed(chunk)
        return factory.events

    return run


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


def main() -> None:
    p = parser(__doc__.splitlines()[0] if __doc__ else "AMI benchmark")
    args = p.parse_args()
    target = 100_000 if args.quick else 1_000_000
    runs = args.repeat or (3 if args.quick else 5)
    chunks, blocks, expected = workload(target)
    pano = panoramisk_runner(False)
    pano_lookups = panoramisk_runner(True)
    print(f"input: {CAPTURE.name} body x{blocks * 40}: {expected:,} messages in 64 KiB chunks")
    print(f"runs: {runs} of each, interleaved; figures are medians. load average {os.getloadavg()}")
    if pano is None:
        print("panoramisk is not importable (pip install panoramisk==1.4): running ours only")
    else:
        print("panoramisk 1.4: AMIProtocol.data_received(chunk) with a stub transport and factory")

    modes = ["parse", "lookups", "items", "correlator"]
    jobs: list[tuple[str, Callable[[], int]]] = [
        (m, lambda m=m: ours(chunks, blocks, m))  # type: ignore[misc]
        for m in modes
    ]
    if pano is not None and pano_lookups is not None:
        jobs += [
            ("panoramisk", lambda: pano(chunks, blocks)),
            ("panoramisk+lookups", lambda: pano_lookups(chunks, blocks)),
        ]
    times: dict[str, list[float]] = {name: [] for name, _ in jobs}
    for run in range(runs):
        shift = run % len(jobs)  # rotate the order so no one always runs first
        for name, job in jobs[shift:] + jobs[:shift]:
            dt, n = timed(job)
            if not name.startswith("panoramisk"):
                assert n == expected, (name, n, expected)
            times[name].append(dt)

    rate = {k: expected / median(v) for k, v in times.items() if v}
    rows = [
        ["ours: parse (frame, check, type; headers on demand)", rate["parse"]],
        ["ours: parse + 3 header lookups", rate["lookups"]],
        ["ours: parse + every header pair (items())", rate["items"]],
        ["ours: parse + Correlator", rate["correlator"]],
    ]
    figures: dict[str, Any] = {
        "messages": expected,
        "runs": runs,
        "ours_parse_msgs_per_s": round(rate["parse"]),
        "ours_lookups_msgs_per_s": round(rate["lookups"]),
        "ours_items_msgs_per_s": round(rate["items"]),
        "ours_correlator_msgs_per_s": round(rate["correlator"]),
        "panoramisk": pano is not None,
    }
    if pano is not None:
        rows += [
            ["panoramisk 1.4: data_received", rate["panoramisk"]],
            ["panoramisk 1.4: data_received + 3 lookups", rate["panoramisk+lookups"]],
        ]
        ratios = {
            "ratio_parse": rate["parse"] / rate["panoramisk"],
            "ratio_lookups": rate["lookups"] / rate["panoramisk+lookups"],
            "ratio_items": rate["items"] / rate["panoramisk"],
            "ratio_correlator": rate["correlator"] / rate["panoramisk"],
        }
        figures |= {
            "panoramisk_msgs_per_s": round(rate["panoramisk"]),
            "panoramisk_lookups_msgs_per_s": round(rate["panoramisk+lookups"]),
        }
        figures |= {k: round(v, 2) for k, v in ratios.items()}
    print()
    print(table(["measurement", "messages/s (median)"], rows))
    if pano is not None:
        print()
        print(
            table(
                ["ours vs panoramisk", "ratio"],
                [
                    ["parse vs data_received", ratios["ratio_parse"]],
                    ["parse + lookups vs data_received + lookups", ratios["ratio_lookups"]],
                    ["parse + items() vs data_received", ratios["ratio_items"]],
                    ["parse + Correlator vs data_received", ratios["ratio_correlator"]],
                ],
            )
        )
    print()
    ok_rate = rate["parse"] >= 200_000
    print(f"target >= 200,000 msg/s (parse): {'met' if ok_rate else 'NOT met'}")
    if pano is not None:
        ok_ratio = ratios["ratio_parse"] >= 3
        print(f"target >= 3x panoramisk (parse): {'met' if ok_ratio else 'NOT met'}")
        figures["targets_met"] = ok_rate and ok_ratio
    if args.json:
        emit_json(figures)


if __name__ == "__main__":
    main()
