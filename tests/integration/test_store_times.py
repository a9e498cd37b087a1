"""Every time the store reads is an aware UTC datetime equal to the one written (kernel.eventstore.store's
timestamptz codec, set on every connection of `create_pool`).

asyncpg alone writes an aware datetime.min/.max as -infinity/infinity and reads those back as
*naive* datetimes: a clue received 0001-01-01T00:00:00Z then broke ListClues with "can't compare
offset-naive and offset-aware datetimes"."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from kernel.eventstore.store import create_pool

UTC = timezone.utc
NOW = datetime.now(UTC)
TIMES = [
    datetime.min.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=UTC) + timedelta(microseconds=1),
    datetime(2000, 1, 1, tzinfo=UTC),  # REQUEST_EARLIEST_DATE, PostgreSQL's epoch
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    NOW,
    datetime(2026, 3, 1, 8, 30, 15, 123_456, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime.max.replace(tzinfo=timezone(timedelta(hours=8))),  # 9999-12-31T15:59:59.999999Z
    datetime.max.replace(tzinfo=UTC) - timedelta(microseconds=1),
    datetime.max.replace(tzinfo=UTC),
]


def assert_utc(got: datetime, sent: datetime) -> None:
    assert got.tzinfo is UTC and got == sent, (got, sent)


@pytest.fixture
async def table(pool, unique):
    name = f"times_{unique}"
    await pool.execute(f"CREATE TABLE {name} (k int PRIMARY KEY, at timestamptz, ats timestamptz[])")
    yield name
    await pool.execute(f"DROP TABLE {name}")


async def test_every_time_written_reads_back_aware_utc_and_equal(pool, table):
    await pool.executemany(
        f"INSERT INTO {table} VALUES ($1, $2, $3)", [(k, at, [at, NOW]) for k, at in enumerate(TIMES)]
    )
    rows = await pool.fetch(f"SELECT k, at, ats, (at, k) AS pair FROM {table} ORDER BY at")
    assert [r["k"] for r in rows] == sorted(range(len(TIMES)), key=lambda k: TIMES[k])  # SQL orders them as Python
    for r in rows:
        sent = TIMES[r["k"]]
        assert_utc(r["at"], sent)
        for got, want in zip(r["ats"], [sent, NOW]):  # arrays and records take the same codec
            assert_utc(got, want)
        assert_utc(r["pair"][0], sent)


async def test_the_ends_of_pythons_range_are_stored_as_the_instants_they_are_not_infinities(pool, table):
    ends = [datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]
    await pool.executemany(f"INSERT INTO {table} (k, at) VALUES ($1, $2)", list(enumerate(ends)))
    rows = await pool.fetch(
        f"SELECT isfinite(at) AS finite, at::text AS text, at < $1 AS before FROM {table} ORDER BY k",
        datetime(2000, 1, 1, tzinfo=UTC),
    )
    assert [(r["finite"], r["before"]) for r in rows] == [(True, True), (True, False)]
    assert [r["text"] for r in rows] == ["0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00"]
    assert await pool.fetchval("SELECT $1::timestamptz - $2::timestamptz", *reversed(ends)) == ends[1] - ends[0]


async def test_infinities_and_times_beyond_pythons_years_read_as_the_nearer_end(pool):
    """Only SQL typed by hand can hold them; a read must not fail on them."""
    got = await pool.fetchrow(
        "SELECT '-infinity'::timestamptz AS a, 'infinity'::timestamptz AS b, "
        "'0044-03-15 BC'::timestamptz AS c, '12000-01-01Z'::timestamptz AS d, "
        "ARRAY['-infinity', 'infinity']::timestamptz[] AS e"
    )
    lo, hi = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    for value, end in zip([got["a"], got["b"], got["c"], got["d"], *got["e"]], [lo, hi, lo, hi, lo, hi]):
        assert_utc(value, end)


async def test_a_time_that_could_not_read_back_equal_is_refused(pool):
    """A naive datetime (its instant depends on the writer's zone) or a bare date; an instant
    before year 1 or after year 9999 in UTC."""
    for value in [
        datetime(2026, 3, 1),
        datetime(2026, 3, 1).date(),
        datetime.min.replace(tzinfo=timezone(timedelta(hours=8))),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-1))),
    ]:
        with pytest.raises(asyncpg.DataError):
            await pool.fetchval("SELECT $1::timestamptz", value)


async def test_each_connection_of_the_pool_reads_utc_and_the_session_reset_keeps_it(database_url):
    pool = await create_pool(database_url, min_size=3, max_size=3)
    try:
        for _ in range(2):  # a second round: released connections went through the pool's reset
            conns = [await pool.acquire() for _ in range(3)]
            try:
                assert len({id(c) for c in conns}) == 3
                for conn in conns:
                    assert_utc(await conn.fetchval("SELECT '-infinity'::timestamptz"), datetime.min.replace(tzinfo=UTC))
                    assert (await conn.fetchval("SELECT now()")).tzinfo is UTC
            finally:
                for conn in conns:
                    await pool.release(conn)
    finally:
        pool.terminate()


async def test_asyncpg_alone_reads_infinities_naive(database_url):
    """Why the codec exists: if this fails, asyncpg changed and the codec may be simplified."""
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT $1::timestamptz::text", datetime.min.replace(tzinfo=UTC)) == "-infinity"
        assert (await conn.fetchval("SELECT '-infinity'::timestamptz")).tzinfo is None
    finally:
        await conn.close()
