"""The run-wide cap on RTP streams measured at once (verify/bitrates.py `RunStreams`): each
school measures on an event loop of its own thread, and the cap holds across all of them
without losing a slot to a school that stops waiting."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from provision.verify.bitrates import RunStreams

HELD_S = 0.005  # a stream's play, standing in: long enough for the others to queue


def test_streams_on_many_event_loops_never_exceed_the_cap_and_all_play() -> None:
    slots, schools, streams = 3, 6, 4
    cap = RunStreams(slots)
    lock = threading.Lock()
    held, most, played = [0], [0], [0]

    async def stream() -> None:
        await cap.acquire()
        try:
            with lock:
                held[0] += 1
                most[0] = max(most[0], held[0])
            await asyncio.sleep(HELD_S)
        finally:
            with lock:
                held[0] -= 1
                played[0] += 1
            cap.release()

    async def school() -> None:
        await asyncio.gather(*(stream() for _ in range(streams)))

    threads = [threading.Thread(target=asyncio.run, args=(school(),)) for _ in range(schools)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert played[0] == schools * streams
    assert most[0] == slots  # reached, never passed


def _free_slot_taken(cap: RunStreams) -> bool:
    """Can a stream on a new event loop take a slot now?"""

    async def take() -> bool:
        try:
            await asyncio.wait_for(cap.acquire(), timeout=5)
        except TimeoutError:
            return False
        cap.release()
        return True

    return asyncio.run(take())


def test_a_stream_that_stops_waiting_leaves_no_slot_lost() -> None:
    cap = RunStreams(1)
    taken = threading.Event()
    go_on = threading.Event()

    async def holder() -> None:
        await cap.acquire()
        taken.set()
        await asyncio.to_thread(go_on.wait)
        cap.release()

    holding = threading.Thread(target=asyncio.run, args=(holder(),))
    holding.start()
    assert taken.wait(10)

    async def gives_up() -> bool:  # a school whose wait is cut short (its deadline, Ctrl-C)
        try:
            await asyncio.wait_for(cap.acquire(), timeout=0.05)
        except TimeoutError:
            return True
        return False

    assert asyncio.run(gives_up())
    go_on.set()
    holding.join(timeout=10)
    assert _free_slot_taken(cap)


def test_a_slot_handed_to_a_stream_cancelled_meanwhile_passes_on() -> None:
    cap = RunStreams(1)

    async def school() -> None:
        await cap.acquire()
        waiting = asyncio.create_task(cap.acquire())
        await asyncio.sleep(0)  # it queues behind the slot this school holds
        cap.release()  # the slot is handed to it, on this loop's next turn...
        waiting.cancel()  # ...but it is cancelled first
        with contextlib.suppress(asyncio.CancelledError):
            await waiting

    asyncio.run(school())
    assert _free_slot_taken(cap)


def test_a_stream_cancelled_once_handed_a_slot_gives_it_back() -> None:
    cap = RunStreams(1)

    async def school() -> None:
        await cap.acquire()
        waiting = asyncio.create_task(cap.acquire())
        await asyncio.sleep(0)  # it queues behind the slot this school holds
        cap.release()  # the slot is handed to it on this loop's next turn...
        await asyncio.sleep(0)  # ...which runs now: it holds the slot, not yet resumed
        waiting.cancel()  # and is cancelled before it resumes
        with contextlib.suppress(asyncio.CancelledError):
            await waiting

    asyncio.run(school())
    assert _free_slot_taken(cap)
