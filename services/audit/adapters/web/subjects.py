"""Recent clues, cases and decisions the caller may know, for the page's subject picker (issue 29):
the files whose holding the ledger states (`app.holdings`), newest change first."""

from __future__ import annotations

from services.audit.adapters.web.story_json import iso
from services.audit.app.holdings import TABLE as HOLDINGS, Reader
from services.audit.domain.story import subject_kind

MAX_SHOWN = 50
SCANNED = 500  # newest files looked at before need to know filters them
NAMES = {"clue": "线索 clue", "case": "案件 case", "decision": "决定 decision"}

_RECENT = """
SELECT h.stream_id, e.event_type, e.recorded_at FROM {s}.{h} h
  JOIN {s}.recorded_events e ON e.stream_id = h.stream_id AND e.version = h.version
 WHERE (h.stream_id LIKE 'clue-%' OR h.stream_id LIKE 'case-%' OR h.stream_id LIKE 'decision-%')
   AND ($1 = '' OR strpos(lower(h.stream_id), lower($1)) > 0)
 ORDER BY e.recorded_at DESC, h.stream_id LIMIT $2
"""


async def recent(pool, schema: str, reader: Reader, q: str = "") -> list[dict]:
    """[{"id", "kind", "label", "at"}] of at most MAX_SHOWN files whose id contains `q`."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_RECENT.format(s=schema, h=HOLDINGS), q, SCANNED)
        rows = [r for r in rows if subject_kind(r["stream_id"])]
        known = await reader.knowable(conn, schema, {r["stream_id"] for r in rows})
    shown = [r for r in rows if r["stream_id"] in known][:MAX_SHOWN]
    return [
        {
            "id": r["stream_id"],
            "kind": (kind := subject_kind(r["stream_id"])),
            "label": f"{NAMES[kind]} {r['stream_id'][-12:]} · {r['event_type'].rsplit('.', 1)[-1]}",
            "at": iso(r["recorded_at"]),
        }
        for r in shown
    ]
