"""Loads the partner feeds' configuration (`deploy/config/partner_feeds.toml`; PARTNER_FEEDS_FILE
for your own) into `feeds.FeedConfig` (issue 23). Checked at start against the catalogue and the
published contracts: every mistake is a FeedConfigError naming the file and the key, and an event
type, field path or link that does not exist is refused naming it, so a bad file stops the audit
service before any entry is built.

What never leaves, whatever the file says (domain.md §1: informants stay sealed; investigation
plans and measures are the commission's own): `feeds.NEVER_TYPES`, `feeds.NEVER_FIELDS`, and any
measure event but a custody hand-over (`feeds.measure_problem`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from google.protobuf.descriptor import Descriptor, FileDescriptor

from audit.v1 import events_pb2 as _audit
from cases.v1 import events_pb2 as _cases
from clues.v1 import events_pb2 as _clues, tour_events_pb2 as _tours
from common.v1 import reads_pb2 as _reads
from kernel.runtime.config import read_toml
from sanctions.v1 import events_pb2 as _sanctions
from services.audit.domain import feeds
from services.audit.domain.feeds import EventFeed, FeedConfig

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "partner_feeds.toml"
ENV_FILE = "PARTNER_FEEDS_FILE"
SCHEMA_VERSION = 1
# The producers' published event contracts: their top-level messages are the event types a feed
# may name (the clues, cases and sanctions services; every service's reads, common.v1.FileRead; audit's
# own integrity-opinion events, issue 26).
EVENT_FILES: tuple[FileDescriptor, ...] = (
    _audit.DESCRIPTOR,
    _clues.DESCRIPTOR,
    _tours.DESCRIPTOR,  # tour rounds (issue 27)
    _cases.DESCRIPTOR,
    _sanctions.DESCRIPTOR,
    _reads.DESCRIPTOR,
)
_LINK = re.compile(r"[a-z][a-z_]*/[a-z][a-z_-]*")
_EVENT_KEYS = ("select", "fields", "links")


class FeedConfigError(ValueError):
    """The partner feeds' configuration is wrong; the message names the file and the key."""


def event_types() -> dict[str, Descriptor]:
    """Every event type a feed may name, by full name."""
    return {d.full_name: d for f in EVENT_FILES for d in f.message_types_by_name.values()}


def config_file() -> Path:
    return Path(os.environ.get(ENV_FILE) or DEFAULT_FILE)


def load_feed_config(path: Path | str | None = None, agencies: Iterable[str] | None = None) -> FeedConfig:
    """The feeds of the file (PARTNER_FEEDS_FILE, else the shipped one); `agencies`, the catalogue's
    agency codes, when given, are the only agencies a feed may be for."""
    path = Path(path) if path else config_file()
    return parse_feed_config(read_toml(path, FeedConfigError), str(path), agencies)


def parse_feed_config(data: dict, source: str, agencies: Iterable[str] | None = None) -> FeedConfig:
    def fail(key: str, problem: str):
        raise FeedConfigError(f"{source}: {key}: {problem}")

    unknown = sorted(set(data) - {"schema_version", "agencies"})
    if unknown:
        fail(unknown[0], "unknown key (schema_version, [agencies.<code>])")
    if data.get("schema_version") != SCHEMA_VERSION:
        fail("schema_version", f"must be {SCHEMA_VERSION}")
    table = data.get("agencies", {})
    if not isinstance(table, dict):
        fail("agencies", "must be tables [agencies.<agency code>]")
    known = frozenset(agencies) if agencies is not None else None
    types = event_types()
    out = {}
    for agency, spec in table.items():
        key = f"agencies.{agency}"
        if known is not None and agency not in known:
            fail(key, f"{agency!r} is not an agency of the catalogue ({', '.join(sorted(known))})")
        if not isinstance(spec, dict):
            fail(key, 'must be a table with [agencies.<code>.events."<event type>"]')
        extra = sorted(set(spec) - {"events"})
        if extra:
            fail(f"{key}.{extra[0]}", "unknown key (events)")
        events = spec.get("events", {})
        if not isinstance(events, dict):
            fail(f"{key}.events", 'must be tables [agencies.<code>.events."<event type>"]')
        out[agency] = {
            name: _event(f'{key}.events."{name}"', name, value, types, fail) for name, value in events.items()
        }
    return FeedConfig(out)


def _event(key: str, name: str, spec, types: dict[str, Descriptor], fail) -> EventFeed:
    descriptor = types.get(name)
    if descriptor is None:
        fail(key, f"{name!r} is no event type of the published contracts (e.g. 'cases.v1.CaseDisposed')")
    problem = feeds.never_problem(descriptor)
    if problem:
        fail(key, problem)
    if not isinstance(spec, dict):
        fail(key, f"must be a table with {', '.join(_EVENT_KEYS)}")
    extra = sorted(set(spec) - set(_EVENT_KEYS))
    if extra:
        fail(f"{key}.{extra[0]}", f"unknown key (one of {', '.join(_EVENT_KEYS)})")
    select = spec.get("select")
    if not isinstance(select, str) or select not in feeds.SELECTORS:
        fail(f"{key}.select", f"must be one of {', '.join(feeds.SELECTORS)}")
    problem = feeds.selector_problem(descriptor, select) or feeds.measure_problem(descriptor, select)
    if problem:
        fail(f"{key}.select", problem)
    fields = spec.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields):
        fail(f"{key}.fields", 'must be a non-empty list of field paths (allow-list), e.g. ["case_id", "outcomes.kind"]')
    if len(set(fields)) != len(fields):
        fail(f"{key}.fields", f"{next(f for f in fields if fields.count(f) > 1)!r} is listed twice")
    for path in fields:
        problem = feeds.path_problem(descriptor, path)
        if problem:
            fail(f"{key}.fields", problem)
    links = spec.get("links", [])
    if not isinstance(links, list) or not all(isinstance(x, str) and _LINK.fullmatch(x) for x in links):
        fail(f"{key}.links", 'must be a list of "<kind>/<relation>", e.g. ["person/subject"]')
    if links and feeds.LINKS_KEY in descriptor.fields_by_name:
        fail(f"{key}.links", f"{name} has a field {feeds.LINKS_KEY!r} of its own")
    return EventFeed(name, select, tuple(fields), tuple(links))
