"""The replay page's JSON API (issue 29): who am I, a story, a person's stories, recent subjects,
what awaits me. Thin like the gRPC edge: authenticate with audit's own authenticator, check the
role against the catalogue, delegate to the app layer (`app.bundles`, `app.story`,
`app.dossiers`, `kernel.edge.awaiting`), and put each view on the record (`record_read`, rpc names
"ReplayPage.<View>") after the answer is built and before it leaves. Need to know is the gRPC
edge's: a story the caller may not know is NOT_FOUND like an unknown one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from kernel.domain.access import Organisation
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from kernel.edge.auth import Authenticator
from kernel.edge.awaiting import awaiting_for
from kernel.eventstore.commands import CORRELATION_HEADER, CommandContext, check_correlation_id
from kernel.eventstore.reads import FileRef, record_read
from kernel.eventstore.store import EventStore
from services.audit.adapters.web import person, story_json, subjects
from services.audit.adapters.web.awaiting_json import awaiting_json, endpoints_for
from services.audit.adapters.web.pins import Pins
from services.audit.app import bundles
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.dossiers import Dossiers
from services.audit.app.holdings import Reader
from services.audit.domain.story import subject_kind

DEFAULT_PURPOSE = "复盘 replay"
MAX_PURPOSE = 500  # the gRPC contracts' `purpose` rule (text: 500)
READ_OP, DOSSIER_OP = "audit.read", "audit.dossier"


@dataclass
class PageDeps:
    """What the page's API works with: the audit service's parts it shares with the gRPC edge."""

    authenticator: Authenticator
    own: EventStore  # audit's own store: the page's reads are recorded there
    clock: Clock
    checkpoints: Checkpointer
    dossiers: Dossiers
    pins: Pins
    witness: Callable | None = None  # Witnessing.witness, when witnesses are configured
    # where the services answer ListAwaitingMe: {service: host:port}; empty: the platform file's
    awaiting_targets: dict[str, str] = field(default_factory=dict)

    @property
    def org(self) -> Organisation:
        return self.authenticator.catalogue.organisation


class PageApi:
    def __init__(self, deps: PageDeps):
        self.d = deps

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/config.json", self.config),
            web.get("/api/whoami", self.whoami),
            web.get("/api/story", self.story),
            web.get("/api/person", self.person),
            web.get("/api/subjects", self.subjects),
            web.get("/api/awaiting", self.awaiting),
        ]

    def _principal(self, request: web.Request) -> Principal:
        """Who calls (UNAUTHENTICATED for a missing, forged, expired or uncatalogued token)."""
        header = request.headers.get("Authorization")
        return self.d.authenticator.authenticate([("authorization", header)] if header is not None else [])

    def _caller(self, request: web.Request, *operations: str) -> CommandContext:
        """The authenticated caller, allowed every operation (PERMISSION_DENIED)."""
        principal = self._principal(request)
        for operation in operations:
            self.d.authenticator.catalogue.authorize(principal, operation)
        correlation = check_correlation_id(request.headers.get(CORRELATION_HEADER, "").strip()) or str(uuid.uuid4())
        return CommandContext(principal, correlation, operations[0] if operations else READ_OP)

    def _reader(self, call: CommandContext) -> Reader:
        return Reader(call.principal, self.d.org)

    async def _record(self, call, view: str, purpose: str, files: Iterable[FileRef], persons=(), query="") -> None:
        await record_read(
            self.d.own, call, f"ReplayPage.{view}", purpose, files, persons, now=self.d.clock.now(), query=query
        )

    async def config(self, request: web.Request) -> web.Response:
        """The operator's pins: public, and never together with a proof."""
        return web.json_response(self.d.pins.as_json(), headers={"Cache-Control": "no-cache"})

    async def whoami(self, request: web.Request) -> web.Response:
        p = self._principal(request)
        return _json(
            {
                "user": p.user,
                "agency": p.agency,
                "office": p.office,
                "role": p.role,
                "sees_all": self.d.org.sees_everything(p),
            }
        )

    async def _export(self, subject: str, reader: Reader) -> bundles.Bundle:
        c = self.d.checkpoints
        return await bundles.export(c.pool, c.schema, c, subject, reader, whole_story=True, witness=self.d.witness)

    async def story(self, request: web.Request) -> web.Response:
        call = self._caller(request, READ_OP)
        subject = _subject(request.query.get("subject", ""))
        purpose = _purpose(request)
        bundle = await self._export(subject, self._reader(call))
        answer = story_json.story(subject, [bundle])
        await self._record(call, "Story", purpose, [FileRef(s.kind, s.id) for s in bundle.subjects], bundle.persons)
        return _json(answer)

    async def person(self, request: web.Request) -> web.Response:
        call = self._caller(request, READ_OP, DOSSIER_OP)
        person_id = _required(request, "person_id")
        purpose = _purpose(request)
        reader = self._reader(call)
        items, _ = await self.d.dossiers.dossier(person_id, self.d.clock.now(), reader)
        told = await person.stories(person.subjects_of(items), lambda s: self._export(s, reader))
        answer = story_json.story(person_id, told)
        files = [FileRef("person", person_id), *(FileRef(s.kind, s.id) for b in told for s in b.subjects)]
        await self._record(call, "Person", purpose, files, [person_id, *(p for b in told for p in b.persons)])
        return _json(answer)

    async def subjects(self, request: web.Request) -> web.Response:
        call = self._caller(request, READ_OP)
        q = request.query.get("q", "").strip()
        if len(q) > 100:
            raise Validation("q", "at most 100 characters")
        c = self.d.checkpoints
        found = await subjects.recent(c.pool, c.schema, self._reader(call), q)
        await self._record(call, "Subjects", _purpose(request), [FileRef(f["kind"], f["id"]) for f in found], query=q)
        return _json(found)

    async def awaiting(self, request: web.Request) -> web.Response:
        """The caller's queue across the services, asked with the caller's own token: each service
        applies its need to know and records the read itself."""
        self._principal(request)  # 401 here, not from each service
        header = request.headers["Authorization"]
        purpose = _purpose(request, default="what awaits me (待办)")
        merged = await awaiting_for([("authorization", header)], endpoints_for(self.d.awaiting_targets), purpose)
        return _json(awaiting_json(merged))


def _json(body) -> web.Response:
    return web.json_response(body, dumps=story_json.dumps, headers={"Cache-Control": "no-store"})


def _required(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise Validation(name, "is required")
    if len(value) > 200:
        raise Validation(name, "at most 200 characters")
    return value


def _subject(value: str) -> str:
    subject = value.strip()
    if not subject_kind(subject):
        raise Validation(
            "subject", "must be a clue, case or decision stream id: clue-<uuid>, case-<uuid> or decision-<uuid>"
        )
    return subject


def _purpose(request: web.Request, default: str = DEFAULT_PURPOSE) -> str:
    purpose = request.query.get("purpose", "").strip() or default
    if len(purpose) > MAX_PURPOSE:
        raise Validation("purpose", f"at most {MAX_PURPOSE} characters")
    return purpose
