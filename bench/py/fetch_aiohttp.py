"""The aiohttp peer of ferrio-bench's fetch family: the classic asyncio
script — one coroutine per URL, `asyncio.gather`, an `asyncio.Semaphore` of
-c permits, one `aiohttp.ClientSession` (connection limit -c).

Usage: fetch_aiohttp.py --url-prefix http://127.0.0.1:PORT/item/ --n N -c C

Fetches PREFIX1 … PREFIXN and prints {"ok", "failed", "bytes", "elapsed_ms"};
a URL is ok when its status is 2xx and its whole body was read.
"""

import argparse
import asyncio
import json
import time

import aiohttp


async def fetch(session, sem, url):
    async with sem:
        try:
            async with session.get(url) as resp:
                body = await resp.read()
                return len(body) if 200 <= resp.status < 300 else None
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None


async def main(prefix, n, c):
    start = time.perf_counter()
    sem = asyncio.Semaphore(c)
    connector = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(
            *(fetch(session, sem, f"{prefix}{i}") for i in range(1, n + 1))
        )
    ok = [r for r in results if r is not None]
    return {
        "ok": len(ok),
        "failed": n - len(ok),
        "bytes": sum(ok),
        "elapsed_ms": (time.perf_counter() - start) * 1e3,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--url-prefix", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("-c", type=int, required=True)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(main(a.url_prefix, a.n, a.c))))
