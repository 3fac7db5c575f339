"""The scheduler workloads of ferrio-bench, in asyncio.

Usage: scheduler.py --workload NAME --n N [--m M] [--uvloop]

Runs one workload once on a fresh event loop (asyncio's default loop, or
uvloop's with --uvloop) and prints {"value": <float>} on stdout, in the
units the Rust side reports: milliseconds of wall time, milliseconds above
the sleep floor for `timers`, bytes per task for `idle_memory`. Every
workload checks its result and exits non-zero if it is wrong.
"""

import argparse
import asyncio
import json
import os
import sys
import time


async def spawn_join(n, m):
    async def trivial(i):
        return i

    tasks = [asyncio.create_task(trivial(i)) for i in range(n)]
    total = 0
    for t in tasks:
        total += await t
    assert total == n * (n - 1) // 2, "spawn_join sum"


async def pingpong(n, m):
    ping, pong = asyncio.Queue(1), asyncio.Queue(1)

    async def ponger():
        for _ in range(n):
            v = await ping.get()
            await pong.put(v + 1)

    async def pinger():
        total = 0
        for i in range(n):
            await ping.put(i)
            v = await pong.get()
            assert v == i + 1
            total += v
        return total

    p = asyncio.create_task(ponger())
    total = await asyncio.create_task(pinger())
    await p
    assert total == n * (n + 1) // 2, "pingpong sum"


async def yield_many(n, m):
    count = 0

    async def worker():
        nonlocal count
        for _ in range(m):
            await asyncio.sleep(0)
            count += 1

    tasks = [asyncio.create_task(worker()) for _ in range(n)]
    for t in tasks:
        await t
    assert count == n * m, "yield count"


async def timers(n, m):
    start = time.perf_counter()

    async def sleeper(i):
        ms = 1 + i % m
        await asyncio.sleep(ms / 1000)
        return ms

    tasks = [asyncio.create_task(sleeper(i)) for i in range(n)]
    total = 0
    for t in tasks:
        total += await t
    elapsed = time.perf_counter() - start
    assert total == sum(1 + i % m for i in range(n)), "timers sum"
    assert elapsed >= m / 1000 - 0.0005, "timers fired early"
    return max(0.0, elapsed * 1e3 - m)


async def gather(n, m):
    async def trivial(i):
        return i

    out = await asyncio.gather(*(trivial(i) for i in range(n)))
    assert len(out) == n and sum(out) == n * (n - 1) // 2, "gather sum"


async def task_group(n, m):
    async def trivial(i):
        return i

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(trivial(i)) for i in range(n)]
    assert sum(t.result() for t in tasks) == n * (n - 1) // 2, "task_group sum"


async def semaphore(n, m):
    sem = asyncio.Semaphore(m)
    holding = 0
    done = 0

    async def worker():
        nonlocal holding, done
        async with sem:
            holding += 1
            assert holding <= m, "semaphore bound broken"
            await asyncio.sleep(0)
            holding -= 1
            done += 1

    tasks = [asyncio.create_task(worker()) for _ in range(n)]
    for t in tasks:
        await t
    assert done == n, "semaphore count"


async def queue(n, m):
    q = asyncio.Queue(m)

    async def producer():
        for i in range(n):
            await q.put(i)

    p = asyncio.create_task(producer())
    total = 0
    for _ in range(n):
        total += await q.get()
    await p
    assert total == n * (n - 1) // 2, "queue sum"


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def idle_memory(n, m):
    started = 0

    async def idle():
        nonlocal started
        started += 1
        await asyncio.sleep(3600)

    await asyncio.sleep(0)
    before = rss_bytes()
    tasks = []
    spawned = 0
    while spawned < n:
        batch = min(1000, n - spawned)
        tasks.extend(asyncio.create_task(idle()) for _ in range(batch))
        spawned += batch
        while started < spawned:
            await asyncio.sleep(0)
    assert started == n, "idle tasks started"
    per_task = max(0, rss_bytes() - before) / n
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return per_task


WORKLOADS = {
    "spawn_join": spawn_join,
    "pingpong": pingpong,
    "yield": yield_many,
    "timers": timers,
    "gather": gather,
    "task_group": task_group,
    "semaphore": semaphore,
    "queue": queue,
    "idle_memory": idle_memory,
}

# Workloads that report their own value; the others report wall time.
SELF_REPORTING = {"timers", "idle_memory"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--m", type=int, default=0)
    ap.add_argument("--uvloop", action="store_true")
    args = ap.parse_args()
    fn = WORKLOADS[args.workload]

    async def timed():
        start = time.perf_counter()
        value = await fn(args.n, args.m)
        elapsed_ms = (time.perf_counter() - start) * 1e3
        return value if args.workload in SELF_REPORTING else elapsed_ms

    if args.uvloop:
        import uvloop

        factory = uvloop.new_event_loop
    else:
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        value = runner.run(timed())
    json.dump({"value": value, "loop": "uvloop" if args.uvloop else "asyncio",
               "python": sys.version.split()[0]}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
