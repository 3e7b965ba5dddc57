#!/usr/bin/env python3
"""Benchmark: many GB/T 28181 devices registering with one lab platform, and live INVITEs.

    .venv/bin/python bench/gb28181.py
    .venv/bin/python bench/gb28181.py --devices 200 --plays 20

DEVICES lab agents (each its own SIP port on 127.0.0.1, UDP) are configured at once against
one lab platform; then PLAYS INVITEs, one after another on different devices, each until the
platform holds an SPS and a keyframe of the MPEG-PS that arrived over RTP, then BYE.

Figures: time until every device is registered and catalogued (REGISTER, 401, REGISTER with
Digest, 200, Catalog query and answer), registrations/s, and the p50/p95/max of INVITE to
first decodable video. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from provision.lab.faults import Faults
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.platform import Gb28181Platform

SERVER_ID, DOMAIN, PASSWORD = "21020200002000000001", "2102020000", "bench-secret"


def device_id(i: int) -> str:
    return f"21020200111320{i:06d}"


async def main(devices: int, plays: int) -> None:
    platform = Gb28181Platform(
        "bench", "127.0.0.1", faults=Faults(), server_id=SERVER_ID, domain=DOMAIN,
        password=PASSWORD, sip_port=0, api_port=0,
    )  # fmt: skip
    await platform.start()
    agents = [DeviceAgent(f"cam{i}", "127.0.0.1", faults=Faults()) for i in range(devices)]
    started = time.perf_counter()
    for i, agent in enumerate(agents):
        await agent.configure(
            {
                "server_id": SERVER_ID, "domain": DOMAIN, "server_address": "127.0.0.1",
                "server_port": platform.sip.port, "device_id": device_id(i),
                "channels": (device_id(i)[:-1] + "9",), "password": PASSWORD,
            }
        )  # fmt: skip
    while sum(bool(r.channels) for r in platform.devices.values()) < devices:
        await asyncio.sleep(0.01)
    took = time.perf_counter() - started
    print(f"{devices} devices registered and catalogued in {took:.2f} s "
          f"({devices / took:.0f}/s)")  # fmt: skip
    latencies = []
    for i in range(min(plays, devices)):
        begun = time.perf_counter()
        session = await platform.play(device_id(i), device_id(i)[:-1] + "9")
        got = await platform.wait_video(session, 10)
        latencies.append(time.perf_counter() - begun)
        assert got.info is not None, "no video"
        await platform.stop_play(device_id(i), device_id(i)[:-1] + "9")
    latencies.sort()
    p95 = latencies[max(0, round(len(latencies) * 0.95) - 1)]
    print(f"INVITE to first decodable video over {len(latencies)} plays: "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")  # fmt: skip
    await asyncio.gather(*(a.stop() for a in agents))
    await platform.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--plays", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.plays))
