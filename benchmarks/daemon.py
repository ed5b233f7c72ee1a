"""Daemon benchmark: latency under rising call rates, uvloop against plain asyncio; API throughput.

1. The daemon (aiohttp app, live driver, simulated trunk in real time) at rising arrival rates.
   For every input, the lag from the moment it was due to its commands leaving the engine is
   recorded; a rate is sustained when the p99 lag stays under 5 ms. Agents scale with the rate
   (80% occupancy, 20 s calls) so the load is calls, not a growing queue.
2. GET /v1/queues with 500 queues, from a separate client process with concurrent connections.

    python benchmarks/daemon.py [--quick] [--json]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, TCPConnector, web

from acd.config.schema import Config
from acd.daemon.app import build_app
from acd.daemon.auth import TokenStore
from acd.daemon.state import DAEMON
from benchmarks.common import emit_json, median, parser, table

TOKEN = "bench-token"
AHT = 20.0


def scenario(rate: float, queues: int = 10) -> Config:
    agents = int(rate * AHT / 0.8) + 10
    return Config.model_validate(
        {
            "name": "bench",
            "daemon": {"port": 0},
            "queues": [{"name": f"q{i}"} for i in range(queues)],
            "agents": [{"id": f"a{i}"} for i in range(agents)],
            "simulation": {
                "agents": {"answer_delay": {"distribution": "fixed", "mean": 0.5}},
                "traffic": {
                    f"q{i}": {
                        "calls_per_hour": rate * 3600 / queues,
                        "handle_time": {"distribution": "exponential", "mean": AHT},
                    }
                    for i in range(queues)
                },
            },
        }
    )


async def _start(cfg: Config) -> tuple[web.AppRunner, web.Application, int]:
    tokens = TokenStore([])
    tokens.add(TOKEN, "bench", "admin")
    app = build_app(cfg, tokens=tokens)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, app, port


async def lag_at_rate(rate: float, seconds: float) -> dict[str, float]:
    runner, app, _ = await _start(scenario(rate))
    driver = app[DAEMON].driver
    assert driver is not None
    lags: list[float] = []
    warm = time.perf_counter() + min(2.0, seconds / 3)
    driver.on_lag = lambda lag: lags.append(lag) if time.perf_counter() > warm else None
    await asyncio.sleep(seconds)  # wall-clock run time of the benchmark itself
    events = driver.events
    await runner.cleanup()
    lags.sort()
    p99 = lags[int(len(lags) * 0.99)] if lags else float("inf")
    return {
        "rate": rate,
        "p99_ms": p99 * 1000,
        "p50_ms": lags[len(lags) // 2] * 1000 if lags else float("inf"),
        "inputs": len(lags),
        "events": events,
    }


def run_loop(kind: str, coro_fn: Any, *args: Any) -> Any:
    if kind == "uvloop":
        import uvloop

        return uvloop.run(coro_fn(*args))
    return asyncio.run(coro_fn(*args))


def ramp(kind: str, rates: list[float], seconds: float) -> tuple[float, list[dict[str, float]]]:
    best = 0.0
    rows = []
    misses = 0
    for rate in rates:
        r = run_loop(kind, lag_at_rate, rate, seconds)
        rows.append(r)
        if r["p99_ms"] < 5.0:
            best = rate
            misses = 0
        else:
            misses += 1  # one noisy step on a shared machine does not end the ramp; two do
            if misses == 2:
                break
    return best, rows


# --- API throughput --------------------------------------------------------------------------
def _client(port: int, seconds: float, conns: int, out: Any) -> None:
    async def worker(session: ClientSession, stop: float, counts: list[int]) -> None:
        url = f"http://127.0.0.1:{port}/v1/queues"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        while time.perf_counter() < stop:
            async with session.get(url, headers=headers) as r:
                await r.read()
                counts[0] += r.status == 200

    async def main() -> None:
        counts = [0]
        async with ClientSession(connector=TCPConnector(limit=conns)) as s:
            t0 = time.perf_counter()
            stop = t0 + seconds
            await asyncio.gather(*(worker(s, stop, counts) for _ in range(conns)))
            out.put(counts[0] / (time.perf_counter() - t0))

    asyncio.run(main())


async def serve_for(seconds: float, port_q: Any, done: Any) -> None:
    cfg = scenario(1.0, queues=500)
    runner, _, port = await _start(cfg)
    port_q.put(port)
    while done.empty():
        await asyncio.sleep(0.1)
    await runner.cleanup()


def api_throughput(kind: str, seconds: float, conns: int = 16) -> float:
    ctx = mp.get_context("spawn")
    port_q, done, out = ctx.Queue(), ctx.Queue(), ctx.Queue()
    server = ctx.Process(target=run_loop, args=(kind, serve_for, seconds, port_q, done))
    server.start()
    port = port_q.get(timeout=60)
    client = ctx.Process(target=_client, args=(port, seconds, conns, out))
    client.start()
    rps = out.get(timeout=seconds + 60)
    client.join()
    done.put(1)
    server.join(timeout=30)
    return float(rps)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    seconds = 4.0 if args.quick else 12.0
    rates = [50, 100, 200, 400, 800, 1600] if not args.quick else [50, 200, 800]
    repeat = args.repeat or (1 if args.quick else 3)
    fig: dict[str, Any] = {"p99_limit_ms": 5.0, "step_seconds": seconds, "runs": repeat}
    curves = {}
    for kind in ("uvloop", "asyncio"):
        bests = []
        for _ in range(repeat):
            best, rows = ramp(kind, rates, seconds)
            bests.append(best)
            curves[kind] = rows
        fig[f"{kind}_max_rate_per_s"] = median(bests)
        fig[f"{kind}_api_rps"] = median([api_throughput(kind, seconds / 2) for _ in range(repeat)])
    fig["rate_ratio_uvloop_vs_asyncio"] = (
        fig["uvloop_max_rate_per_s"] / fig["asyncio_max_rate_per_s"]
        if fig["asyncio_max_rate_per_s"]
        else None
    )
    fig["api_ratio_uvloop_vs_asyncio"] = fig["uvloop_api_rps"] / fig["asyncio_api_rps"]
    fig["curves"] = curves
    print(f"Daemon: simulated trunk in real time, {seconds:g} s per step; medians of {repeat} runs")
    print(
        table(
            [
                "loop",
                "max calls/s with p99 lag < 5 ms",
                "x asyncio",
                "GET /v1/queues (500 queues) req/s",
                "x asyncio",
            ],
            [
                [
                    k,
                    fig[f"{k}_max_rate_per_s"],
                    fig[f"{k}_max_rate_per_s"] / fig["asyncio_max_rate_per_s"]
                    if fig["asyncio_max_rate_per_s"]
                    else "-",
                    fig[f"{k}_api_rps"],
                    fig[f"{k}_api_rps"] / fig["asyncio_api_rps"],
                ]
                for k in ("uvloop", "asyncio")
            ],
        )
    )
    print("\nlast ramp (calls/s: p50 / p99 lag in ms)")
    for k, rows in curves.items():
        print(
            f"  {k:<8}"
            + "  ".join(f"{int(r['rate'])}: {r['p50_ms']:.2f}/{r['p99_ms']:.2f}" for r in rows)
        )
    if args.json:
        emit_json(json.loads(json.dumps(fig, default=float)))


if __name__ == "__main__":
    main()
