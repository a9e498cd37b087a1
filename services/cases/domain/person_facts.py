"""Person facts from their sources (issue 24; domain.md §1, "Person attributes"). Pure.

The organisation department and HR report changes of the facts they are the source of, each part
dated (its `source.as_of`, the date it became true) and with the document by hash; the cases
service keeps them on a stream per person (`kernel.domain.ids.person_stream_id`) and publishes
each report (`PersonFactsReported`, with the person's facts after it, so a feed can tell whose
they are).

Who sources what (domain.md §1, the Source column):

| Part | Source |
|---|---|
| Party membership, cadre management level (and heading the next-lower committee) | org dept |
| Party posts (Party post, Party congress delegate) | org dept |
| Public-official category (SL 15), non-Party posts, service (retired, left, deceased: PSL 27) | HR |

An agency reporting another's part is INVALID_ARGUMENT naming the field. A report of posts
replaces that agency's posts (the other agency's stay). The latest fact of a part is the one with
the latest date; a report dated before the fact held is recorded but does not replace it.

A command that needs facts (PrepareFiling, DisposeCase) takes the latest reported facts at
decision time for a person the request states none about (`resolve`); an officer who states facts
about a person whose sources reported some gives `facts_reason` (recorded on the event).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from kernel.domain import facts as f
from kernel.domain.errors import Forbidden, Validation

ORG_DEPT, HR = "organisation_department", "personnel_bureau"
# domain.md §1: the parts each source reports (posts are split by `party_post`).
SOURCED = {ORG_DEPT: ("party", "cadre"), HR: ("official", "service")}
REASON_LIMIT = 500
POSTS_LIMIT = 20  # common.v1.PersonFacts.posts: both sources' posts together, as a request's bound
ALL_PARTS = ("party", "official", "cadre", "posts", "service")
FILING_PARTS = ("party", "official", "cadre")  # what a filing report states (cases.v1.FilingSubject)


@dataclass(frozen=True)
class ReportPersonFacts:
    """An agency's report of what changed about a person: only the parts it sources."""

    person_id: str
    agency: str
    reported: f.PersonFacts
    document: object  # events.Document (title, sha256)
    at: datetime
    by: str  # the reporting user


@dataclass(frozen=True)
class PersonFactsReported:
    """`reported`: the parts as the agency reported them; `facts`: the person's latest facts after
    the report (what the next decision takes)."""

    person_id: str
    agency: str
    reported: f.PersonFacts
    facts: f.PersonFacts
    document: object
    reported_by: str
    reported_at: datetime


@dataclass(frozen=True)
class PersonRecord:
    """A person's facts as their sources reported them (empty before any report)."""

    person_id: str = ""
    facts: f.PersonFacts | None = None
    reports: int = 0

    @property
    def status(self) -> str:
        return "REPORTED" if self.reports else ""


def evolve(state: PersonRecord, event) -> PersonRecord:
    if isinstance(event, PersonFactsReported):
        return PersonRecord(event.person_id, event.facts, state.reports + 1)
    return state


def check_report(cmd: ReportPersonFacts) -> None:
    """Only a source agency, only the parts it sources (domain.md §1), each part's source the
    reporting agency, at least one part."""
    if cmd.agency not in SOURCED:
        raise Forbidden(f"agency {cmd.agency!r} is not a source of person facts (domain.md §1: {ORG_DEPT}, {HR})")
    r = cmd.reported
    own = SOURCED[cmd.agency]
    for part in ("party", "official", "cadre", "service"):
        value = getattr(r, part)
        if value is None:
            continue
        if part not in own:
            raise Validation(part, f"is not sourced by {cmd.agency} (domain.md §1: {_source_of(part)} reports it)")
        _check_source(value.source, cmd.agency, f"{part}.source.source")
    for i, post in enumerate(r.posts):
        party = post.party_post or post.party_congress_delegate
        if party != (cmd.agency == ORG_DEPT):
            kind = "Party posts" if party else "non-Party posts"
            raise Validation(f"posts[{i}]", f"{kind} are not sourced by {cmd.agency} (domain.md §1)")
        _check_source(post.source, cmd.agency, f"posts[{i}].source.source")
    if not (r.party or r.official or r.cadre or r.service or r.posts):
        raise Validation("party", f"report at least one fact {cmd.agency} sources ({', '.join(own)}, posts)")


def _source_of(part: str) -> str:
    return next(a for a, parts in SOURCED.items() if part in parts)


def _check_source(source: f.FactSource, agency: str, field: str) -> None:
    if source.source != agency:
        raise Validation(field, f"must be the reporting agency {agency!r}, not {source.source!r}")


def _later(old, new):
    """The part with the later date (the new one on a tie); None never replaces."""
    if new is None:
        return old
    if old is None or new.source.as_of >= old.source.as_of:
        return new
    return old


def merged(before: f.PersonFacts | None, cmd: ReportPersonFacts) -> f.PersonFacts:
    """The person's latest facts once the report is added."""
    b, r = before or f.PersonFacts(cmd.person_id), cmd.reported
    posts = b.posts
    if r.posts:
        party = cmd.agency == ORG_DEPT
        posts = tuple(p for p in b.posts if (p.party_post or p.party_congress_delegate) != party) + r.posts
        if len(posts) > POSTS_LIMIT:
            raise Validation("posts", f"the person's posts from both sources are at most {POSTS_LIMIT}")
    return f.PersonFacts(
        cmd.person_id,
        party=_later(b.party, r.party),
        official=_later(b.official, r.official),
        cadre=_later(b.cadre, r.cadre),
        posts=posts,
        service=_later(b.service, r.service),
    )


def decide(cmd: ReportPersonFacts, state: PersonRecord) -> list:
    check_report(cmd)
    reported = replace(cmd.reported, person_id=cmd.person_id)
    return [
        PersonFactsReported(cmd.person_id, cmd.agency, reported, merged(state.facts, cmd), cmd.document, cmd.by, cmd.at)
    ]


def _states_any(facts: f.PersonFacts) -> bool:
    return bool(facts.party or facts.official or facts.cadre or facts.service or facts.posts)


def _only(facts: f.PersonFacts, parts: tuple[str, ...]) -> f.PersonFacts:
    return f.PersonFacts(facts.person_id, **{p: getattr(facts, p) for p in parts})


def resolve(
    stated: Iterable[f.PersonFacts],
    reported: Mapping[str, f.PersonFacts],
    reason: str,
    field: str,
    parts: tuple[str, ...] = ALL_PARTS,
) -> tuple[f.PersonFacts, ...]:
    """The facts a command decides on: per person, the parts the officer stated, the others (of
    `parts`, what the command records) from the latest reported; a person the request states
    nothing about takes the reported facts whole (persons with reports but absent from `stated`
    are added). Stating facts about a person whose sources reported some needs `reason` (else
    INVALID_ARGUMENT naming `facts_reason`)."""
    out, seen = [], set()
    reported = {person: _only(r, parts) for person, r in reported.items()}
    for i, s in enumerate(stated):
        seen.add(s.person_id)
        r = reported.get(s.person_id)
        if r is None:
            out.append(s)
            continue
        if _states_any(s) and not reason.strip():
            raise Validation(
                "facts_reason",
                f"required: {field}[{i}] states facts about {s.person_id}, whose sources reported facts "
                f"(give the reason the reported facts do not hold, or leave the facts to the sources)",
            )
        out.append(
            f.PersonFacts(
                s.person_id,
                party=s.party or r.party,
                official=s.official or r.official,
                cadre=s.cadre or r.cadre,
                posts=s.posts or r.posts,
                service=s.service or r.service,
            )
        )
    out.extend(r for person, r in reported.items() if person not in seen)
    return tuple(out)


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_LIMIT:
        raise Validation("facts_reason", f"at most {REASON_LIMIT} characters")
    return reason
