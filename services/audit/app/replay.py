"""Replay (复盘): the story of a clue, case or decision, page by page, from the audit store alone."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from kernel.domain.errors import NotFound, Validation
from services.audit.app import ledger, story
from services.audit.app.holdings import Reader
from services.audit.domain.story import StepKey, subject_kind, tell

MAX_PAGE = 1000
EVERYTHING = datetime(9999, 12, 31, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Page:
    subject: str
    as_of: datetime
    subjects: list[story.Subject]
    rows: list  # story.recorded rows, in story order
    first_position: int  # 1-based position of rows[0] in the story
    total: int
    next_token: str
    tree_size: int


@dataclass(frozen=True)
class _Cursor:
    as_of: datetime
    after: StepKey
    position: int  # steps already returned
    tree_size: int  # the ledger the chain is told from: later deliveries never shift it


def _encode(subject: str, c: _Cursor) -> str:
    k = c.after
    body = {
        "s": subject,
        "a": c.as_of.isoformat(),
        "p": c.position,
        "t": c.tree_size,
        "k": [k.occurred_at.isoformat(), k.recorded_at.isoformat(), k.stream_id, k.version],
    }
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def _decode(subject: str, token: str) -> _Cursor:
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        occurred, recorded, stream_id, version = body["k"]
        cursor = _Cursor(
            datetime.fromisoformat(body["a"]),
            StepKey(datetime.fromisoformat(occurred), datetime.fromisoformat(recorded), str(stream_id), int(version)),
            int(body["p"]),
            int(body["t"]),
        )
        if any(t.tzinfo is None for t in (cursor.as_of, cursor.after.occurred_at, cursor.after.recorded_at)):
            raise ValueError("naive time")
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as e:
        raise Validation("page_token", "is not a token this service issued; start again without one") from e
    if body.get("s") != subject:
        raise Validation("page_token", "was issued for another subject")
    return cursor


class Replay:
    def __init__(self, pool, schema: str):
        self.pool, self.schema = pool, schema

    async def page(
        self, subject: str, as_of: datetime | None, page_size: int, token: str, reader: Reader | None = None
    ) -> Page:
        """One page of the story as `reader` may know it (default: audit's own, everything): a
        subject it may not know is NOT_FOUND with the words of an unknown one (issue 17); linked
        subjects and steps on streams it may not know are left out."""
        reader = reader or Reader.everything()
        subject = (subject or "").strip()
        if not subject_kind(subject):
            raise Validation(
                "subject", "must be a clue, case or decision stream id: clue-<uuid>, case-<uuid> or decision-<uuid>"
            )
        if page_size > MAX_PAGE:
            raise Validation("page_size", f"at most {MAX_PAGE}")
        cursor = _decode(subject, token) if token else None
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            when = cursor.as_of if cursor else as_of
            tree_size = cursor.tree_size if cursor else await ledger.size(conn, self.schema)
            unknown = NotFound("story", subject if as_of is None else f"{subject} as of {as_of.isoformat()}")
            if not await reader.may_know(conn, self.schema, subject):
                raise unknown
            knowable = reader.knowable
            subjects = await story.subjects(conn, self.schema, subject, when or EVERYTHING, tree_size, knowable)
            told = tell(
                await story.members(conn, self.schema, [s.id for s in subjects], tree_size, knowable),
                when,
                cursor.after if cursor else None,
                page_size or MAX_PAGE,
            )
            if not told.total:
                raise unknown
            rows = await story.recorded(conn, self.schema, told.leaves)
        before = cursor.position if cursor else 0
        done = before + len(rows)
        token = (
            _encode(subject, _Cursor(told.as_of, told.keys[-1], done, tree_size)) if rows and done < told.total else ""
        )
        return Page(subject, told.as_of, subjects, rows, before + 1, told.total, token, tree_size)
