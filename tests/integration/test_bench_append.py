"""The append benchmark's sides do the work they claim (a smoke run; no timing is asserted)."""

import asyncio

import pytest

from bench.append import BATCH, Kernel, Library, timed


@pytest.mark.parametrize("case,amount,expected", [("single", 25, 25), ("batch", 2, 2 * BATCH), ("concurrent", 24, 24)])
async def test_kernel_side_writes_what_it_counts(database_url, case, amount, expected):
    kernel = Kernel(database_url, writers=8)
    await kernel.open()
    try:
        assert await timed(kernel, case, amount) > 0
        assert await kernel.count() == expected
    finally:
        await kernel.close()


@pytest.mark.parametrize("case,amount,expected", [("single", 25, 25), ("batch", 2, 2 * BATCH), ("concurrent", 24, 24)])
async def test_library_side_writes_what_it_counts(database_url, case, amount, expected, monkeypatch):
    pytest.importorskip("eventsourcing.postgres", reason="installed by `make bench` (bench/requirements.txt)")
    library = Library(database_url, writers=8)
    await asyncio.to_thread(library.open)
    try:
        assert await timed(library, case, amount) > 0
        assert await asyncio.to_thread(library.count) == expected
    finally:
        await asyncio.to_thread(library.close)
