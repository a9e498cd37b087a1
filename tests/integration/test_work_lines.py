"""One log line per unit of work that no gRPC call started (issue 28 point 2), said once its
transaction committed: a consumer's command (a clue's FilingProposed opening a case's filing) and a
timer's firing (the investigation stage's YELLOW warning, local practice, deploy/config/
investigation.toml), each naming the command, the stream and the state it left, the system
principal and the triggering event's (or the scheduling command's) correlation id. A redelivery
says nothing. And what audit is busy with at start: its projections catching up with the ledger."""

import uuid

from structlog.testing import capture_logs

from clues.v1 import events_pb2 as clues_pb2
from common.v1 import identity_pb2
from kernel.domain.clock import FixedClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.timers import TimerScheduler
from kernel.messaging.inbox import Source
from services.audit.app import projections, story
from services.audit.app.recorder import Recorder
from services.cases.adapters.translators import case_id_for, from_clues
from services.cases.app.filings import FilingOpener
from services.cases.domain import awaiting as aw
from tests.integration.test_audit_rebuild import ingest, many
from tests.integration.test_audit_replay import STORY
from tests.integration.test_cases_filing import AT, CLUE, HEAD, handlers  # noqa: F401 - the fixture
from tests.integration.test_cases_timers import T0, case_under_investigation


def proposal(correlation: str) -> bytes:
    payload = clues_pb2.FilingProposed(
        clue_id=CLUE,
        findings="money traced",
        handling_office="supervision_1",
        clue_number="cm-2026-7",
        proposed_by="u-insp",
        subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")],
    )
    event = NewEvent(str(uuid.uuid4()), payload, AT, HEAD, correlation)
    return env_mod.seal(env_mod.build(event, CLUE, 1, AT))


def work_lines(logs: list[dict], event: str) -> list[dict]:
    return [x for x in logs if x["event"] == event]


async def test_a_consumers_command_has_one_line_with_the_trigger_correlation_and_a_redelivery_none(store, handlers):
    raw = proposal("corr-consumer-line")
    case_id = case_id_for(env_mod.parse(raw).event_id)
    opener = FilingOpener(handlers, from_clues)
    with capture_logs() as logs:
        await opener.record(raw, Source("clues.events.v1", 0, 1))
    [line] = work_lines(logs, "consumer.ok")
    assert line["log_level"] == "info" and line["consumer"] == "cases-filing"
    assert line["command"] == "OpenFiling" and line["trigger"] == "clues.v1.FilingProposed"
    assert (line["stream"], line["version"], line["state"]) == (case_id, 1, "FILING")
    assert (line["user"], line["role"]) == ("system:cases-filing", "system")
    assert line["correlation_id"] == "corr-consumer-line" and line["event_id"] == env_mod.parse(raw).event_id
    with capture_logs() as again:  # redelivered: the inbox skips it, no line
        await opener.record(raw, Source("clues.events.v1", 0, 2))
    assert work_lines(again, "consumer.ok") == []


async def test_a_timer_firing_has_one_line_naming_its_command_the_aggregate_and_the_state(store, handlers):
    """Local practice (unverified, deploy/config/investigation.toml): YELLOW at 3 months of INVESTIGATING."""
    handlers.cases.aggregate.investigation_limits = aw.DEFAULT_LIMITS
    case_id = await case_under_investigation(handlers)
    at = aw.DEFAULT_LIMITS.stages["INVESTIGATING"].yellow.after(T0)
    with capture_logs() as logs:
        scheduler = TimerScheduler(handlers.store, FixedClock(at))
        scheduler.route("case", handlers.cases.fire)
        assert await scheduler.fire_due() == 1
    [line] = work_lines(logs, "timer.fired")
    assert line["log_level"] == "info" and line["command"] == "RecordInvestigationWarning"
    assert (line["stream"], line["state"]) == (case_id, "INVESTIGATING")
    assert line["timer_stream"].startswith("case-timers-") and line["event_id"]
    assert (line["user"], line["role"]) == ("system:timers", "system")
    assert line["correlation_id"] == "corr-f"  # the command that entered the stage and set the timer


async def test_audit_says_how_far_its_projections_catch_up_at_start_until_they_are_up(store):
    """`make run` shows what audit is busy with before it serves: a projection new to the ledger is
    filled at start, a line per `progress_every` seconds (0 here: one per chunk) and one at the end."""
    r = Recorder(store, consumer="progress-test")
    await r.migrate()
    await ingest(r, [raw for _, raw in STORY] + many(40, 3))
    async with store.pool.acquire() as conn:
        await conn.execute(
            f"DROP TABLE {store.schema}.{story.TABLE}; DELETE FROM {store.schema}.projection_positions; "
            f"DELETE FROM {store.schema}.schema_migrations WHERE component = 'audit.projections'"
        )
    with capture_logs() as logs:
        await Recorder(store, consumer="progress-test").migrate(progress_every=0, chunk=10)
    said = work_lines(logs, "audit.projections_catching_up")
    [up] = work_lines(logs, "audit.projections_caught_up")
    todo = said[0]["of"]
    assert said[0]["leaves"] == 0 and said[0]["seconds_left"] is None and todo == up["leaves"] > 0
    assert [x["leaves"] for x in said] == sorted(x["leaves"] for x in said) and said[-1]["leaves"] == todo
    assert len(said) > 1 + todo // 10 // len(projections.PROJECTIONS)  # a line per chunk of each projection
    assert said[-1]["percent"] == 100 and all(x["of"] == todo for x in said)
