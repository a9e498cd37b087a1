"""The replay page's HTTP API (issue 29), over HTTP with aiohttp's client against the audit service
(and the clues service producing) on the real PostgreSQL and broker: sign-in refused without or
with a bad token (401); an officer of another office gets the story exactly as an unknown one
(404); a story's JSON has every step with its proof event, and that proof verifies in Python
against the pinned key of /config.json; each view is one recorded read (ListReads shows it); bad
parameters are 400 naming the parameter; the awaiting-me queue comes from the services."""

import base64
import uuid
from datetime import datetime, timedelta, timezone

import aiohttp
import grpc
import pytest

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from cases.v1 import events_pb2 as cev
from clues.v1 import events_pb2 as clue_events
from common.v1 import meeting_pb2, recording_pb2
from kernel.domain.access import holding_links
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore.envelope import Link, NewEvent, build, new_event_id, parse
from services.audit.adapters.web import story_json
from services.audit.adapters.web.pins import load_pins
from services.audit.domain.checkpoint import NoteVerifier, open_checkpoint
from services.audit.domain.merkle import leaf_hash, verify_inclusion
from tests.e2e.platforms import start_service
from tests.e2e.test_clue_awaiting import proposed
from tests.e2e.test_clue_lifecycle import HEAD, Client
from tests.factories import call_metadata, token_for, wait_until

ORG = catalogue.load().organisation
HOLDING = ORG.holding("resident_group_1").with_approvers(["commission_head"])
HOLDER = Principal("commission", "resident_group_1", "office_head", "u-rg1-head")
STRANGER = Principal("commission", "supervision_2", "supervisor", "u-s2")
AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")
PARTNER = Principal("procuratorate", "prosecution_intake", "partner_system", "u-procuratorate")
T0 = datetime(2026, 11, 3, 9, tzinfo=timezone.utc)
SHA = "ab" * 32


def clue_events_of(clue: str) -> list[NewEvent]:
    """A clue's small story: registered, a red warning with its deadline, an approval by a meeting
    with a recording (payload fields read by reflection, as the page shows them)."""
    held = tuple(Link(*link) for link in holding_links(HOLDING))
    links = (Link("person", "P-29", "subject"), *held)
    meeting = meeting_pb2.CollectiveDecision(
        body=meeting_pb2.MEETING_BODY_STANDING_COMMITTEE,
        attendees=["u-a", "u-b", "u-c"],
        outcome="同意 agreed",
        minutes_by="u-a",
    )
    meeting.held_at.FromDatetime(T0)
    warning = clue_events.ClueWarningRaised(clue_id=clue, colour=clue_events.WARNING_COLOUR_RED, stage="REGISTERED")
    warning.deadline.FromDatetime(T0 + timedelta(days=15))
    payloads = [
        clue_events.ClueRegistered(clue_id=clue),
        warning,
        recording_pb2.RecordingRef(sha256=SHA, duration_seconds=42),
    ]
    return [
        NewEvent(new_event_id(), p, T0 + timedelta(hours=k), HOLDER, "c29", links=links) for k, p in enumerate(payloads)
    ]


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"rp{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("replay-page")
    clues = await start_service("clues", database_url, bootstrap, prefix, data)
    audit = await start_service("audit", database_url, bootstrap, prefix, data, checkpoint_seconds=3600)
    try:
        clue = f"clue-{uuid.uuid4()}"
        events = clue_events_of(clue)
        await clues.store.append(clue, 0, events)
        await wait_until(lambda: _holds(audit, clue, len(events)), 60, "the clue's events in audit")
        async with aiohttp.ClientSession(f"http://127.0.0.1:{audit.parts.page.port}") as http:
            yield clues, audit, clue, [e.event_id for e in events], http
    finally:
        await clues.stop()
        await audit.stop()


async def _holds(audit, stream_id: str, n: int) -> bool:
    return len(await audit.parts.recorder.stream_history(stream_id)) >= n


def bearer(audit, who: Principal) -> dict:
    return {"Authorization": f"Bearer {token_for(audit.settings, who)}"}


async def get(http, path: str, headers=None, **params) -> tuple[int, object]:
    async with http.get(path, params=params, headers=headers or {}) as r:
        assert r.content_type == "application/json", (path, r.status, await r.text())
        return r.status, await r.json()


async def reads_of(audit, clue: str) -> list:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        answer = await service_pb2_grpc.AuditServiceStub(ch).ListReads(
            pb.ListReadsRequest(file_id=clue, purpose="who read it"), metadata=call_metadata(audit.settings, AUDITOR)
        )
    return list(answer.reads)


async def test_without_or_with_a_bad_token_the_api_answers_401(platform):
    _, audit, clue, _, http = platform
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        for path in ("/api/whoami", "/api/story", "/api/awaiting"):
            status, body = await get(http, path, headers, subject=clue)
            assert status == 401, (path, headers, body)
            assert body["error"]["code"] == "UNAUTHENTICATED" and body["error"]["message"]


async def test_whoami_names_the_caller(platform):
    _, audit, _, _, http = platform
    status, body = await get(http, "/api/whoami", bearer(audit, HOLDER))
    assert status == 200
    assert body == {"user": "u-rg1-head", "agency": "commission", "office": "resident_group_1",
                    "role": "office_head", "sees_all": False}  # fmt: skip


async def test_a_role_without_audit_read_is_403(platform):
    _, audit, clue, _, http = platform
    status, body = await get(http, "/api/story", bearer(audit, PARTNER), subject=clue)
    assert status == 403 and body["error"]["code"] == "PERMISSION_DENIED"


async def test_a_story_has_every_step_with_its_proof_and_the_proof_verifies_against_the_pinned_key(platform):
    _, audit, clue, event_ids, http = platform
    status, story = await get(http, "/api/story", bearer(audit, HOLDER), subject=clue)
    assert status == 200, story
    assert story["subject"] == clue and [s["id"] for s in story["subjects"]] == [clue]
    assert [s["event_id"] for s in story["steps"]] == event_ids
    assert [s["title"] for s in story["steps"]] == ["ClueRegistered", "ClueWarningRaised", "RecordingRef"]
    first, warning, recording = story["steps"]
    assert first["principal"] == {"user": "u-rg1-head", "agency": "commission", "office": "resident_group_1",
                                  "role": "office_head"}  # fmt: skip
    assert first["occurred_at"] == T0.isoformat() and first["stream_id"] == clue and first["version"] == 1
    assert (
        warning["deadline"]["colour"] == "red" and warning["deadline"]["due"] == (T0 + timedelta(days=15)).isoformat()
    )
    assert recording["recordings"] == [{"sha256": SHA, "duration_seconds": 42}]
    status, pins = await get(http, "/config.json")
    assert status == 200 and pins["source"] == "operator"
    assert pins["ledger_vkey"] == audit.parts.checkpoints.signer.verifier_key
    proof = story["proof"]
    checkpoint = open_checkpoint(proof["checkpoint"].encode(), NoteVerifier(pins["ledger_vkey"]), pins["origin"])
    assert checkpoint.size == proof["tree_size"] == story["tree_size"]
    by_id = {e["event_id"]: e for e in proof["events"]}
    assert set(by_id) == set(event_ids)
    for s in story["steps"]:
        e = by_id[s["event_id"]]
        raw = base64.b64decode(e["envelope_b64"])
        env = parse(raw)
        assert (env.event_id, env.stream_id, env.version) == (s["event_id"], s["stream_id"], s["version"])
        assert e["leaf_index"] == s["leaf_index"]
        hashes = [base64.b64decode(h) for h in e["hashes_b64"]]
        verify_inclusion(leaf_hash(raw), e["leaf_index"], checkpoint.size, hashes, checkpoint.root)


async def test_a_tampered_envelope_does_not_verify(platform):
    """The test of the test: one byte changed in an envelope fails the Python check."""
    _, audit, clue, _, http = platform
    _, story = await get(http, "/api/story", bearer(audit, HOLDER), subject=clue)
    _, pins = await get(http, "/config.json")
    checkpoint = open_checkpoint(story["proof"]["checkpoint"].encode(), NoteVerifier(pins["ledger_vkey"]))
    e = story["proof"]["events"][0]
    raw = bytearray(base64.b64decode(e["envelope_b64"]))
    raw[-1] ^= 1
    with pytest.raises(ValueError):
        hashes = [base64.b64decode(h) for h in e["hashes_b64"]]
        verify_inclusion(leaf_hash(bytes(raw)), e["leaf_index"], checkpoint.size, hashes, checkpoint.root)


async def test_another_office_gets_the_story_as_an_unknown_one_and_nothing_is_recorded(platform):
    _, audit, clue, _, http = platform
    before = await own_events(audit)
    other = f"clue-{uuid.uuid4()}"
    hidden = await get(http, "/api/story", bearer(audit, STRANGER), subject=clue)
    unknown = await get(http, "/api/story", bearer(audit, STRANGER), subject=other)
    assert hidden[0] == unknown[0] == 404
    assert hidden[1]["error"]["message"].replace(clue, "ID") == unknown[1]["error"]["message"].replace(other, "ID")
    assert hidden[1]["error"]["code"] == "NOT_FOUND"
    assert await own_events(audit) == before  # no read served, none recorded


async def test_each_view_of_a_story_is_one_recorded_read(platform):
    _, audit, clue, _, http = platform
    before = await own_events(audit)
    status, _ = await get(http, "/api/story", bearer(audit, HOLDER), subject=clue, purpose="核查 check 29")
    assert status == 200
    assert await own_events(audit) == before + 1
    await wait_until(lambda: _read(audit, clue, "核查 check 29"), 60, "the read in the ledger")
    new = [r for r in await reads_of(audit, clue) if r.purpose == "核查 check 29"]
    assert [(r.operation, r.reader.user, [f.id for f in r.files]) for r in new] == [
        ("audit.read/ReplayPage.Story", "u-rg1-head", [clue])
    ]


async def _read(audit, file_id: str, purpose: str) -> bool:
    return any(r.purpose == purpose for r in await reads_of(audit, file_id))


async def own_events(audit) -> int:
    """The events in audit's own store: its recorded reads."""
    return await audit.pool.fetchval(f"SELECT count(*) FROM {audit.settings.schema}.events")


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/story", {}, "subject"),
        ("/api/story", {"subject": "case-12"}, "subject"),
        ("/api/story", {"subject": "measure-" + str(uuid.UUID(int=1))}, "subject"),
        ("/api/story", {"subject": f"clue-{uuid.UUID(int=1)}", "purpose": "x" * 501}, "purpose"),
        ("/api/person", {}, "person_id"),
        ("/api/subjects", {"q": "q" * 101}, "q"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(platform, path, params, parameter):
    _, audit, _, _, http = platform
    status, body = await get(http, path, bearer(audit, AUDITOR), **params)
    assert status == 400 and body["error"]["code"] == "INVALID_ARGUMENT"
    assert body["error"]["message"].startswith(parameter), body


def test_make_runs_ready_lines_name_the_page_url():
    from kernel.runtime import runner
    from kernel.runtime.platform import ServiceEntry

    def child(name: str, env: dict) -> runner.ServiceChild:
        return runner.ServiceChild(ServiceEntry(name, f"services.{name}.main", 50054, True, ()), env)

    assert runner.page_url(child("audit", {})) == "http://127.0.0.1:52054/"
    assert runner.page_url(child("audit", {"AUDIT_PAGE_PORT": "8080"})) == "http://127.0.0.1:8080/"
    assert runner.page_url(child("audit", {"AUDIT_PAGE_PORT": "0"})) is None
    assert runner.page_url(child("clues", {})) is None


async def test_the_awaiting_queue_comes_from_the_services_with_the_callers_token(platform):
    clues, audit, _, _, http = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        waiting = await proposed(Client(clues, ch), person="P-29W")  # the head approves its registration
    audit.parts.page.api.d.awaiting_targets.update({"clues": f"127.0.0.1:{clues.port}", "cases": "127.0.0.1:1"})
    status, body = await get(http, "/api/awaiting", bearer(audit, HEAD), purpose="早会 morning review")
    assert status == 200, body
    item = next(i for i in body["items"] if i["file_id"] == waiting)
    assert (item["service"], item["step"], item["role"]) == ("clues", "ApproveRegistration", "commission_head")
    assert set(item) >= {"service", "file_id", "step", "role", "summary", "since", "due", "colour"}
    assert body["unanswered"] == ["cases"]  # nothing answers there: said, not a failure of the view
    status, other = await get(http, "/api/awaiting", bearer(audit, STRANGER))
    assert status == 200 and waiting not in {i["file_id"] for i in other["items"]}  # need to know, by clues


async def test_a_persons_stories_are_one_recorded_read_proven_in_one_checkpoint(platform):
    _, audit, clue, event_ids, http = platform
    before = await own_events(audit)
    status, told = await get(http, "/api/person", bearer(audit, AUDITOR), person_id="P-29", purpose="廉政 check")
    assert status == 200, told
    assert told["subject"] == "P-29" and clue in {s["id"] for s in told["subjects"]}
    assert [s["event_id"] for s in told["steps"] if s["stream_id"] == clue] == event_ids
    _, pins = await get(http, "/config.json")
    checkpoint = open_checkpoint(told["proof"]["checkpoint"].encode(), NoteVerifier(pins["ledger_vkey"]))
    for e in told["proof"]["events"]:
        hashes = [base64.b64decode(h) for h in e["hashes_b64"]]
        raw = base64.b64decode(e["envelope_b64"])
        verify_inclusion(leaf_hash(raw), e["leaf_index"], checkpoint.size, hashes, checkpoint.root)
    assert await own_events(audit) == before + 1
    status, hidden = await get(http, "/api/person", bearer(audit, STRANGER), person_id="P-29")
    assert status == 200 and hidden["steps"] == [] and hidden["subjects"] == []  # another office: need to know
    assert (await get(http, "/api/person", bearer(audit, PARTNER), person_id="P-29"))[0] == 403
    status, none = await get(http, "/api/person", bearer(audit, HOLDER), person_id="P-nobody")
    assert status == 200 and none["steps"] == [] and none["proof"]["events"] == []


async def test_the_subject_picker_lists_only_what_the_caller_may_know(platform):
    _, audit, clue, _, http = platform
    status, mine = await get(http, "/api/subjects", bearer(audit, HOLDER), q=clue[-12:])
    assert status == 200 and [(s["id"], s["kind"]) for s in mine] == [(clue, "clue")]
    status, theirs = await get(http, "/api/subjects", bearer(audit, STRANGER))
    assert status == 200 and clue not in {s["id"] for s in theirs}


async def test_the_page_is_served_with_a_content_security_policy_and_nothing_outside_static(platform):
    _, _, _, _, http = platform
    async with http.get("/") as r:
        assert r.status in (200, 503)  # 503 JSON until the page's files are installed
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    for path in ("/static/..%2Fserver.py", "/static/.hidden", "/static/nothing.js", "/api/nothing"):
        status, body = await get(http, path)
        assert status == 404 and body["error"]["code"] == "NOT_FOUND", path
    async with http.post("/api/story") as r:
        assert r.status == 405 and (await r.json())["error"]["message"]


def test_a_pins_file_replaces_the_deployments_own_and_a_bad_one_stops_the_start(tmp_path):
    (tmp_path / "w.policy").write_text("witness w1 example.org/w1+00000000+AAAA\nquorum w1\n")
    good = tmp_path / "pins.toml"
    good.write_text('ledger_vkey = "other.example/log+01020304+AQID"\nwitness_policy_file = "w.policy"\n')
    pins = load_pins(good, "jjjc.local/audit-ledger", "own+00+AA", "")
    assert pins.as_json() == {"origin": "other.example/log", "ledger_vkey": "other.example/log+01020304+AQID",
                              "witness_policy": "witness w1 example.org/w1+00000000+AAAA\nquorum w1\n",
                              "source": "operator"}  # fmt: skip
    assert load_pins(None, "o", "o+00+AA", "").ledger_vkey == "o+00+AA"
    bad = tmp_path / "bad.toml"
    for text, named in (('ledger_key = "x"', "ledger_key"), ('ledger_vkey = "nokey"', "ledger_vkey")):
        bad.write_text(text)
        with pytest.raises(SystemExit, match=named):
            load_pins(bad, "o", "o+00+AA", "")


def _envelope(payload, stream_id: str, version: int):
    event = NewEvent(new_event_id(), payload, T0, HOLDER, "c29")
    return build(event, stream_id, version, T0)


def test_a_measures_steps_show_its_kind_period_approval_and_meeting():
    """The approval names no kind: the request on the same stream did (pure, no platform)."""
    measure = f"measure-{uuid.uuid4()}"
    approved = cev.MeasureApproved(measure_id=measure, approver_role="commission_head", approved_by="u-head")
    approved.starts_at.FromDatetime(T0)
    approved.ends_at.FromDatetime(T0 + timedelta(days=90))
    approved.meeting.CopyFrom(meeting_pb2.CollectiveDecision(outcome="同意", minutes_by="u-a", attendees=["u-a"]))
    kinds: dict[str, str] = {}
    requested = cev.MeasureRequested(measure_id=measure, kind=cev.MEASURE_KIND_DETENTION, person_id="P-1")
    first = story_json.step(1, 0, _envelope(requested, measure, 1), T0, kinds)
    second = story_json.step(2, 1, _envelope(approved, measure, 2), T0, kinds)
    assert first["measures"] == [] and first["approval"] is None
    assert second["measures"] == [
        {"kind": "DETENTION", "from": T0.isoformat(), "until": (T0 + timedelta(days=90)).isoformat()}
    ]
    assert second["approval"] == {"decision": "APPROVED", "user": "u-head", "role": "commission_head"}
    assert second["collective_decision"]["outcome"] == "同意"
    assert second["title"] == "MeasureApproved" and second["event_type"] == "cases.v1.MeasureApproved"


@pytest.mark.parametrize(
    ("title", "due_in_days", "colour"),
    [("Anything", 10, "green"), ("Anything", 2, "yellow"), ("Anything", -1, "met"), ("NoticeOverdue", -1, "red")],
)
def test_a_deadlines_colour_by_the_storys_moment(title, due_in_days, colour):
    notice = cev.DetentionNoticeOverdue(measure_id="m")
    notice.due.FromDatetime(T0 + timedelta(days=due_in_days))
    assert story_json.deadline(notice, title, T0)["colour"] == colour
    assert story_json.deadline(cev.MeasureRefused(measure_id="m"), title, T0) is None
