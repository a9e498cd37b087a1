"""Statistics from events on a real PostgreSQL (issue 27; domain.md §5 "Statistics the seeds quote").

The audit ledger is fed, as its consumer would, the exact envelopes the clues, cases and sanctions
services publish (`tests.statistics_history`): seed 001's year 2019 (T = 69 of D = 100 市管 persons
disposed, 69%; 1443 problems and 14 suggestion letters over two regular rounds and one special
round), seed 004's window (30 notices / 26 clues concluded / 5 filed / 1 person detained) and a
generated year with every statistic known by construction — all three in one ledger, with their
noise (other years, other levels, light outcomes, notices outside the window, clues concluded before
their notice, a detention outside F, done and re-blocked execution items).

Checked: every figure exactly, as of the end and as of a moment in the past, for every office and
each office alone (need to know, domain.md §1: a case counts for its holder and its liaison); the
drill-down — every evidence row is a ledger leaf of the stream it names whose inclusion proof
verifies against the signed checkpoint; who may ask for which office; the `stat_facts` projection
rebuilt from the leaves gives the same table and figures.
"""

from __future__ import annotations

import heapq
import uuid
from datetime import datetime, timezone

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.v1 import (
    service_pb2 as service_pb,
    service_pb2_grpc,
    statistics_pb2 as stats_pb,
    statistics_pb2_grpc as stats_grpc,
)
from kernel.domain.errors import Forbidden, Validation
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import envelope as env_mod
from kernel.runtime.settings import extend
from services.audit.app import projections, statistics as app
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import Recorder
from services.audit.app.statistics import Statistics
from services.audit.app.statistics_config import load_statistics_rules
from services.audit.domain import merkle
from services.audit.domain.checkpoint import NoteSigner, NoteVerifier, open_checkpoint
from services.audit.domain.statistics import STATISTICS
from services.audit.main import AuditSettings, build as build_audit
from tests import statistics_history as sh
from tests.factories import call_metadata, service_settings

ORG = catalogue.load().organisation
ORIGIN = "test.jjjc/statistics"
SEED = 27
SEED_001_RAWS, SEED_001 = sh.seed_001()
SEED_004_RAWS, SEED_004 = sh.seed_004()
GENERATED = sh.generated(SEED)


def _recorded_order(*histories: list[bytes]) -> list[bytes]:
    """The histories' events in one recording order (each history's own order kept)."""

    def keyed(raws):
        return ((env_mod.parse(r).recorded_at.ToNanoseconds(), r) for r in raws)

    return [r for _, r in heapq.merge(*(keyed(raws) for raws in histories), key=lambda k: k[0])]


PROBE_RAWS, PROBES = sh.probes()
RAWS = _recorded_order(SEED_001_RAWS, SEED_004_RAWS, GENERATED.raws, PROBE_RAWS)
CITY = "CITY"  # 市管 (common.v1.ManagementLevel MANAGEMENT_LEVEL_CITY)
OFFICES = ("supervision_1", "investigation_1", "supervision_2", "investigation_2", sh.TOUR_OFFICE)


def who(office: str, role: str) -> Principal:
    return Principal("commission", office, role, f"u-{office}-{role}")


CASE_MANAGER = who("case_management", "case_manager")
HEAD = who("leadership", "commission_head")
S1, S2 = who("supervision_1", "supervisor"), who("supervision_2", "supervisor")
I1 = who("investigation_1", "investigator")
TOUR_OFFICER = who(sh.TOUR_OFFICE, "tour_officer")


@pytest.fixture
async def ledger(store):
    """The ledger with the three histories recorded, a signed checkpoint over all of it."""
    recorder = Recorder(store, consumer="statistics-test")
    await recorder.migrate()
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    checkpoints = Checkpointer(store.pool, store.schema, signer, ORIGIN)
    await checkpoints.migrate()
    assert await sh.record(recorder, RAWS, batch=1000) == len(RAWS)
    await checkpoints.sign()
    stats = Statistics(store.pool, store.schema, load_statistics_rules(), ORG)
    return stats, Proofs(store.pool, store.schema, checkpoints), NoteVerifier(signer.verifier_key), store


def by_key(answer) -> dict:
    return {f.key: f for f in answer.figures}


def nonzero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v}


# --- seed 001 ------------------------------------------------------------------------------------


async def test_seed_001_tour_contribution_is_69_percent_of_the_city_managed_cadres_disposed_in_2019(ledger):
    """Seed 001: "2019年…给予党纪政务处分和组织处理的市管干部中，巡视线索贡献率达69%" (domain.md §5:
    D at level CITY at the decision, by sanction or organisational handling, a person once; T of D
    with a tour origin clue). Not counted: county-level persons (also from tours), other years,
    light outcomes, a person promoted to 市管 after the decision; counted at the decision's level:
    persons promoted after it; once: persons disposed twice."""
    stats, *_ = ledger
    answer = await stats.get("TOUR_CONTRIBUTION", *sh.Y2019, management_level=CITY)
    f = by_key(answer)
    assert (f["D"].count, f["T"].count) == (100, 69)
    assert f["rate"].value == pytest.approx(0.69) and (f["rate"].numerator_key, f["rate"].denominator_key) == ("T", "D")
    assert {e.person_id for e in f["D"].evidence} == SEED_001["D_persons"]
    assert {e.person_id for e in f["T"].evidence} == SEED_001["T_persons"]
    # T's drill-down reaches each person's origin clue, registered from a tour round
    origins = {e.stream_id for e in f["T"].evidence if e.stream_id.startswith("clue-")}
    assert len(origins) == 69
    # every level: the county-level persons (20 of them from tours) join D and T
    every = by_key(await stats.get("TOUR_CONTRIBUTION", *sh.Y2019))
    assert (every["D"].count, every["T"].count) == (100 + 30 + 3, 69 + 20 + 3)


async def test_seed_001_problems_1443_and_letters_14_over_the_three_rounds_of_2019(ledger):
    """Seed 001: "已完成两轮常规巡视和一轮…专项巡视…共发现问题1443个，…巡视建议书14份" (domain.md §5:
    problem-ledger items and suggestion letters per round, the year's sum). Not counted: a 2018
    round's problems (still open ones carried over into 2019's first round), the eighth round's
    problems found in 2020, transfers, rectifications and closings (销账) of the same items."""
    stats, *_ = ledger
    answer = await stats.get("TOUR_PROBLEMS", *sh.Y2019)
    assert nonzero({f.key: f.count for f in answer.figures}) == SEED_001["TOUR_PROBLEMS"]
    f = by_key(answer)
    assert len({e.event_id for e in f["problems"].evidence}) == 1443
    r5 = SEED_001["rounds"]["r5"]
    assert {e.stream_id for e in f[f"problems:{r5}"].evidence} == {r5}
    assert "2019 第五轮" in f[f"problems:{r5}"].label
    # 2020: the eighth round's 120 problems and 2 letters, nothing else
    later = await stats.get(
        "TOUR_PROBLEMS", datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2021, 1, 1, tzinfo=timezone.utc)
    )
    r8 = SEED_001["rounds"]["r8"]
    assert nonzero({f.key: f.count for f in later.figures}) == {
        f"problems:{r8}": 120,
        f"letters:{r8}": 2,
        "problems": 120,
        "letters": 2,
    }


async def test_seed_001_as_of_mid_2019_counts_only_what_was_recorded_by_then(ledger):
    """As of 2019-07-01 the first 50 persons of D were disposed (every 3 days from 2019-02-01), all
    from tour clues: D = T = 50, rate 100%."""
    stats, *_ = ledger
    f = by_key(
        await stats.get(
            "TOUR_CONTRIBUTION", *sh.Y2019, management_level=CITY, as_of=datetime(2019, 7, 1, tzinfo=timezone.utc)
        )
    )
    assert (f["D"].count, f["T"].count, f["rate"].value) == (50, 50, 1.0)


# --- seed 004 ------------------------------------------------------------------------------------


async def test_seed_004_notices_30_concluded_26_filed_5_detained_1(ledger):
    """Seed 004: "已下发督办通知书30份，先后督促办结重要问题线索26件，其中立案5件，对1人实施留置"
    (domain.md §5: N notices in the window; C distinct clues of N concluded after their notice; F
    of C filed; X distinct persons detained on cases from F). Not counted: notices before and
    after the window, clues concluded before their notice, the one still under way, a refused
    detention, an ordered waiting, a second detention of the same person, detentions on cases of
    clues outside F."""
    stats, *_ = ledger
    f = by_key(await stats.get("NOTICE_RESULTS", *sh.W004))
    assert {k: f[k].count for k in "NCFX"} == SEED_004["NOTICE_RESULTS"]
    assert {e.event_id for e in f["N"].evidence} == SEED_004["notice_events"]
    assert {e.stream_id for e in f["C"].evidence} == SEED_004["C_clues"]
    assert {e.stream_id for e in f["F"].evidence} == SEED_004["F_clues"]
    assert {e.person_id for e in f["X"].evidence if e.person_id} == SEED_004["X_persons"]
    kinds = {e.stream_id.split("-")[0] for e in f["X"].evidence}
    assert kinds <= {"measure", "case"} and "measure" in kinds


# --- the generated year: every statistic, every office, now and in the past ----------------------


def expected_of(statistic: str, office: str | None, past: bool) -> dict[str, int]:
    return (GENERATED.then if past else GENERATED.now).figures(statistic, office)


@pytest.mark.parametrize("statistic", STATISTICS)
async def test_every_statistic_of_the_generated_year_is_exact_for_every_office_now_and_in_the_past(ledger, statistic):
    """Each figure as built (counts chosen, domain.md §5), for all offices and each one alone (a
    case's figures count for its holder and its liaison, a clue's for its holder, a round's for the
    tour office), as of now and as of 2025-07-01 (what was recorded by then)."""
    stats, *_ = ledger
    for past in (False, True):
        as_of = GENERATED.past if past else datetime.now(timezone.utc)
        for office in (None, *OFFICES):
            answer = await stats.get(
                statistic, *GENERATED.period, office=office or "", management_level=CITY, as_of=as_of
            )
            got = nonzero({f.key: f.count for f in answer.figures if f.key != "rate"})
            assert got == expected_of(statistic, office, past), (statistic, office, past)
            f = by_key(answer)
            if statistic == "TOUR_CONTRIBUTION":
                d, t = f["D"].count, f["T"].count
                assert f["rate"].value == pytest.approx(t / d if d else 0.0)
            if statistic == "FOUR_FORMS":  # share(k) = count(k) / total
                total = f["total"].count
                for k in ("form1", "form2", "form3", "form4"):
                    assert f[k].value == pytest.approx(f[k].count / total if total else 0.0), k
                    assert (f[k].numerator_key, f[k].denominator_key) == (k, "total")
            assert answer.offices == (None if office is None else frozenset({office}))


async def test_the_generated_drill_down_names_the_persons_and_clues_counted(ledger):
    stats, *_ = ledger
    f = by_key(await stats.get("TOUR_CONTRIBUTION", *GENERATED.period, management_level=CITY))
    for key in ("D", "T"):
        assert {e.person_id for e in f[key].evidence} == GENERATED.now.persons[("TOUR_CONTRIBUTION", key, None)]
    f = by_key(await stats.get("NOTICE_RESULTS", *GENERATED.period))
    for key in ("C", "F"):
        assert {e.stream_id for e in f[key].evidence} == GENERATED.now.persons[("NOTICE_RESULTS", key, None)]
    assert {e.person_id for e in f["X"].evidence if e.person_id} == GENERATED.now.persons[("NOTICE_RESULTS", "X", None)]


# --- one rule each (2023) ---------------------------------------------------------------------------


async def test_probes_of_the_rules_the_seeds_do_not_isolate(ledger):
    """domain.md §5 and §1, one situation per rule (`statistics_history.probes`): the level at the
    decision (stated on the disposal, else reported before it; never a later promotion); a
    multi-subject case counts each subject at its own level; two sanctions in one disposal are one
    person of D; a detention requested before filing and attached to the case filed from a clue of
    F counts in X; an item overdue at two stages counts once, a delivered one not at all, a
    re-blocked one under its latest cause; a talk/letter conclusion on two subjects is two
    person-outcomes; several outcomes of one person count as the configuration says; a disposal
    entered after its decision counts in the decision's period, from when it was recorded."""
    stats, *_ = ledger
    f = by_key(await stats.get("TOUR_CONTRIBUTION", *sh.PROBE_YEAR, management_level=CITY))
    assert (f["D"].count, f["T"].count) == (PROBES["TOUR_CONTRIBUTION"]["D"], PROBES["TOUR_CONTRIBUTION"]["T"])
    assert {e.person_id for e in f["D"].evidence} == PROBES["D_persons"]
    assert {e.person_id for e in f["T"].evidence} == PROBES["T_persons"]
    moment, entered = PROBES["entered"]  # decided before the moment, entered after it
    f = by_key(await stats.get("TOUR_CONTRIBUTION", *sh.PROBE_YEAR, management_level=CITY, as_of=moment))
    assert {e.person_id for e in f["D"].evidence} == PROBES["D_persons"] - {entered}
    f = by_key(await stats.get("NOTICE_RESULTS", *sh.PROBE_YEAR))
    assert {k: f[k].count for k in "NCFX"} == PROBES["NOTICE_RESULTS"]
    assert [e.event_id for e in f["N"].evidence] == [PROBES["notice"]]
    assert {e.person_id for e in f["X"].evidence if e.person_id} == PROBES["X_persons"]
    answer = await stats.get("OVERDUE_EXECUTION", *sh.PROBE_YEAR)
    assert nonzero({x.key: x.count for x in answer.figures}) == PROBES["OVERDUE_EXECUTION"]
    f = by_key(await stats.get("FOUR_FORMS", *sh.PROBE_YEAR))
    counting = load_statistics_rules().four_forms.counting
    assert (f["form1"].count, f["form2"].count) == (PROBES["form1"], PROBES["form2"][counting])
    assert {e.person_id for e in f["form1"].evidence} == {"P-probe-t1", "P-probe-t2"}


# --- drill-down: every evidence row proves in the ledger -----------------------------------------


async def test_every_evidence_row_is_a_leaf_of_its_stream_proved_against_the_signed_checkpoint(ledger):
    """Each evidence row (event id, leaf, stream) of every statistic of the three histories: the
    ledger's leaf at that index is that event of that stream, and its inclusion proof verifies
    against the signed checkpoint (opened with the ledger's public key)."""
    stats, proofs, verifier, store = ledger
    asked = [
        ("TOUR_CONTRIBUTION", sh.Y2019, CITY),
        ("TOUR_PROBLEMS", sh.Y2019, ""),
        ("NOTICE_RESULTS", sh.W004, ""),
        *((s, sh.PROBE_YEAR, CITY) for s in STATISTICS),
        *((s, GENERATED.period, CITY) for s in STATISTICS),
    ]
    rows = {}
    for statistic, period, level in asked:
        answer = await stats.get(statistic, *period, management_level=level)
        for f in answer.figures:
            assert [e.leaf_index for e in f.evidence] == sorted(e.leaf_index for e in f.evidence)  # leaf order
            for e in f.evidence:
                assert e.leaf_index < answer.tree_size and e.what
                rows[e.event_id] = (e.leaf_index, e.stream_id)
    assert len(rows) > 1443 + 100 + 30
    async with store.pool.acquire() as conn:
        stored = await conn.fetch(
            f"SELECT event_id::text AS id, leaf_index, stream_id, envelope FROM {store.schema}.recorded_events "
            f"WHERE event_id = ANY($1::uuid[])",
            list(rows),
        )
    assert {r["id"]: (r["leaf_index"], r["stream_id"]) for r in stored} == rows
    for r in stored:
        assert env_mod.parse(bytes(r["envelope"])).event_id == r["id"]
    note = None
    for event_id, (leaf, _) in rows.items():
        p = await proofs.inclusion(event_id, 0)
        note = note or open_checkpoint(p.checkpoint, verifier, ORIGIN)
        assert (p.leaf_index, p.tree_size) == (leaf, note.size)
        merkle.verify_inclusion(p.leaf_hash, p.leaf_index, p.tree_size, p.hashes, note.root)


# --- need to know --------------------------------------------------------------------------------


async def test_who_may_ask_for_which_office(ledger):
    """domain.md §1: case management, the head (statistics.toml [readers]) see any office or all;
    an officer only the offices they may see — their own by default — and another office is
    refused naming `office`."""
    stats, *_ = ledger
    period = GENERATED.period
    everything = await stats.get("NOTICE_RESULTS", *period, principal=CASE_MANAGER)
    assert everything.offices is None
    assert nonzero({f.key: f.count for f in everything.figures}) == expected_of("NOTICE_RESULTS", None, False)
    for principal in (CASE_MANAGER, HEAD):
        one = await stats.get("NOTICE_RESULTS", *period, principal=principal, office="supervision_2")
        assert nonzero({f.key: f.count for f in one.figures}) == expected_of("NOTICE_RESULTS", "supervision_2", False)
    own = await stats.get("NOTICE_RESULTS", *period, principal=S1)  # empty office: their own
    assert "supervision_1" in own.offices and "supervision_2" not in own.offices
    assert nonzero({f.key: f.count for f in own.figures}) == expected_of("NOTICE_RESULTS", "supervision_1", False)
    cases = await stats.get("TOUR_CONTRIBUTION", *period, principal=I1, management_level=CITY)
    assert nonzero({f.key: f.count for f in cases.figures if f.key != "rate"}) == expected_of(
        "TOUR_CONTRIBUTION", "investigation_1", False
    )
    tours = await stats.get("TOUR_PROBLEMS", *period, principal=TOUR_OFFICER)
    assert nonzero({f.key: f.count for f in tours.figures}) == expected_of("TOUR_PROBLEMS", sh.TOUR_OFFICE, False)
    for principal, office in ((S2, "supervision_1"), (S1, "investigation_2"), (I1, sh.TOUR_OFFICE)):
        with pytest.raises(Forbidden, match="office"):
            await stats.get("NOTICE_RESULTS", *period, principal=principal, office=office)


async def test_a_bad_query_is_refused_naming_the_field(ledger):
    stats, *_ = ledger
    start, end = GENERATED.period
    with pytest.raises(Validation, match="statistic"):
        await stats.get("EVERYTHING", start, end)
    with pytest.raises(Validation, match="period_end"):
        await stats.get("NOTICE_RESULTS", end, start)


# --- rebuild ---------------------------------------------------------------------------------------


async def test_the_rebuilt_projection_gives_the_same_table_and_figures(ledger):
    stats, _, _, store = ledger
    before = {s: (await stats.get(s, *GENERATED.period, management_level=CITY)).figures for s in STATISTICS}
    p = projections.BY_NAME["stat_facts"]
    async with store.pool.acquire() as conn:
        live = await conn.fetch(f"SELECT t::text AS t FROM {store.schema}.{app.TABLE} t ORDER BY 1")
        check = await projections.rebuild(conn, store.schema, p, replace=False, chunk_size=997)
        assert (check.equal, check.read, check.rows) == (True, len(RAWS), len(live))
        done = await projections.rebuild(conn, store.schema, p, replace=True)
        assert done.equal and done.replaced
        again = await conn.fetch(f"SELECT t::text AS t FROM {store.schema}.{app.TABLE} t ORDER BY 1")
    assert again == live
    after = {s: (await stats.get(s, *GENERATED.period, management_level=CITY)).figures for s in STATISTICS}
    assert after == before
    seed = by_key(await stats.get("TOUR_CONTRIBUTION", *sh.Y2019, management_level=CITY))
    assert (seed["D"].count, seed["T"].count) == (100, 69)


def test_the_histories_are_the_same_bytes_when_built_again():
    """A history built twice is the same bytes (a redelivery, not a new fact)."""
    assert sh.seed_004()[0] == SEED_004_RAWS
    assert sh.generated(SEED).raws == GENERATED.raws
    assert sh.seed_001()[0] == SEED_001_RAWS
    assert sh.probes()[0] == PROBE_RAWS


# --- over gRPC: the audit service whole ---------------------------------------------------------

AUDITOR = who("case_management", "auditor")


@pytest.fixture
async def audit(database_url, bootstrap, tmp_path):
    """The audit service running, seed 004's history recorded as its consumer would."""
    prefix = f"st{uuid.uuid4().hex[:8]}"
    settings = extend(
        AuditSettings,
        service_settings("audit", database_url, bootstrap, prefix, tmp_path, database_schema=f"audit_{prefix}"),
        checkpoint_seconds=3600,
    )
    host = await build_audit(settings).start()
    await sh.record(host.parts.recorder, SEED_004_RAWS)
    yield host
    await host.stop()


def ask(statistic: int, period, **kw) -> stats_pb.GetStatisticRequest:
    start, end = period
    request = stats_pb.GetStatisticRequest(statistic=statistic, purpose="年度通报", **kw)
    request.period_start.FromDatetime(start)
    request.period_end.FromDatetime(end)
    return request


async def test_over_grpc_seed_004_and_each_evidence_row_proved_with_the_public_key_alone(audit):
    """GetStatistic answers seed 004's figures; every evidence row's GetInclusionProof verifies
    against the checkpoint signed on demand, opened with the ledger's public key (an auditor
    handed the figures checks them without reading any event)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stats, ledger_stub = stats_grpc.StatisticsServiceStub(ch), service_pb2_grpc.AuditServiceStub(ch)
        answer = await stats.GetStatistic(
            ask(stats_pb.STATISTIC_NOTICE_RESULTS, sh.W004), metadata=call_metadata(audit.settings, CASE_MANAGER)
        )
        assert answer.statistic == stats_pb.STATISTIC_NOTICE_RESULTS and list(answer.offices) == []
        assert {f.key: f.count for f in answer.figures} == SEED_004["NOTICE_RESULTS"]
        assert answer.tree_size == len(SEED_004_RAWS)
        md = call_metadata(audit.settings, AUDITOR)
        signed = (await ledger_stub.SignCheckpoint(service_pb.SignCheckpointRequest(), metadata=md)).checkpoint
        key = await ledger_stub.GetLedgerPublicKey(service_pb.GetLedgerPublicKeyRequest(), metadata=md)
        cp = open_checkpoint(signed.note, NoteVerifier(key.verifier_key), key.origin)
        rows = {e.event_id: e for f in answer.figures for e in f.evidence}
        assert len(rows) >= 30 + 26
        for event_id, e in rows.items():
            proof = await ledger_stub.GetInclusionProof(
                service_pb.GetInclusionProofRequest(event_id=event_id), metadata=md
            )
            assert proof.leaf_index == e.leaf_index and proof.checkpoint == signed.note
            merkle.verify_inclusion(proof.leaf_hash, proof.leaf_index, cp.size, list(proof.hashes), cp.root)
        raw = {env_mod.parse(r).event_id: r for r in SEED_004_RAWS}
        for event_id, e in rows.items():  # the leaf is the very bytes the service published
            assert env_mod.parse(raw[event_id]).stream_id == e.stream_id


async def test_over_grpc_refusals_name_the_office_or_the_field(audit):
    """Another office's figures: PERMISSION_DENIED naming `office`; a bad request INVALID_ARGUMENT
    naming its field; never INTERNAL."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stats = stats_grpc.StatisticsServiceStub(ch)

        async def refused(request, principal, code):
            with pytest.raises(grpc.aio.AioRpcError) as e:
                await stats.GetStatistic(request, metadata=call_metadata(audit.settings, principal))
            assert e.value.code() == code, e.value.details()
            return e.value.details()

        denied = stats_pb.STATISTIC_NOTICE_RESULTS
        assert "office" in await refused(
            ask(denied, sh.W004, office="supervision_1"), S2, grpc.StatusCode.PERMISSION_DENIED
        )
        own = await stats.GetStatistic(ask(denied, sh.W004), metadata=call_metadata(audit.settings, S2))
        assert "supervision_2" in own.offices and "supervision_1" not in own.offices
        mine = {f.key: f.count for f in own.figures}
        assert mine["N"] == 14  # seed 004's 14 odd-numbered clues are supervision_2's, one notice each
        bad = grpc.StatusCode.INVALID_ARGUMENT
        assert "statistic" in await refused(ask(stats_pb.STATISTIC_UNSPECIFIED, sh.W004), CASE_MANAGER, bad)
        assert "period_end" in await refused(ask(denied, sh.W004[::-1]), CASE_MANAGER, bad)
        no_purpose = ask(denied, sh.W004)
        no_purpose.purpose = ""
        assert "purpose" in await refused(no_purpose, CASE_MANAGER, bad)
        future = ask(denied, sh.W004)
        future.as_of.FromDatetime(datetime(2999, 1, 1, tzinfo=timezone.utc))
        assert "as_of" in await refused(future, CASE_MANAGER, bad)
