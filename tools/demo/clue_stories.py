"""The clues service's side of the demo: seed 004's supervision notices and reconciliation (a
resident group's clues, four superior-assigned ones never disposed; a clue fast-tracked through a
preliminary check and closed, its notice met; another notice still open; the office's monthly
ledger reconciled against the central one), and seed 001's tour round (its problem ledger, a
suggestion letter, a problem transferred for rectification and a batch of clues transferred)."""

from __future__ import annotations

from datetime import timedelta, timezone

from clues.v1 import events_pb2 as ev, service_pb2 as cpb, tour_events_pb2 as tev, tours_pb2 as tpb
from tools.demo.cast import CASE_MANAGER, RESIDENT, TOUR
from tools.demo.plan import Person, Plan
from tools.demo.session import Session
from tools.demo.steps import PURPOSE, checked, disposed, proposed, ref, registered

CST = timezone(timedelta(hours=8))
SUPERIOR, PETITION = ev.CLUE_SOURCE_SUPERIOR_ASSIGNMENT, ev.CLUE_SOURCE_PETITION
# seed 004's office clues: the handling office, the source, the allegation, the days since receipt
# (a clue undisposed a month after its receipt is red, yellow 3 days before: clue_warnings.toml)
SEED_004 = (
    ("resident_group_1", SUPERIOR, "上级交办：反映{name}违规借贷", 0),  # the anchor, received now
    ("resident_group_1", SUPERIOR, "上级交办：反映{name}违规借贷", 38),  # planted: red
    ("resident_group_1", SUPERIOR, "上级交办：反映{name}违规借贷", 36),
    ("resident_group_1", SUPERIOR, "上级交办：反映{name}违规借贷", 34),
    ("resident_group_1", SUPERIOR, "反映{name}收受礼金", 20),  # handled by a talk
    ("supervision_1", ev.CLUE_SOURCE_REPORTING_PLATFORM, "举报平台：{name}向管理服务对象借款", 12),  # fast-tracked
    ("resident_group_1", PETITION, "信访：反映{name}违规兼职取酬", 28),  # left alone: yellow
    ("supervision_2", PETITION, "信访：反映{name}违规发放补贴", 10),  # the notice left unmet
)
TOUR_UNITS = {"chengguan": "城关镇", "education": "县教育局", "health": "县卫生健康局"}


async def anchor(s: Session, p: Person) -> str:
    """The demo's first clue; its receipt time, as the clues service recorded it the first time,
    is the anchor of every time the demo states (so a second run states the same ones)."""
    clue_id = await office_clue(s, 0, p)
    got = await s.read("ClueService.GetClue", CASE_MANAGER, clue_id=clue_id, purpose=PURPOSE)
    s.anchor = got.received_at.ToDatetime(tzinfo=timezone.utc).replace(microsecond=0)
    return clue_id


async def office_clue(s: Session, k: int, p: Person) -> str:
    office, source, summary, days = (
        SEED_004[k]
        if k < len(SEED_004)
        else (("resident_group_1", "resident_group_2")[k % 2], PETITION, "信访：反映{name}作风问题", 2 + k % 20)
    )
    return await registered(s, f"n{k}", p, office, source, summary.format(name=p.name), days)


def notice_ids(plan: Plan, year: int) -> tuple[str, str]:
    return f"DB-{year}-{plan.seed}-07", f"DB-{year}-{plan.seed}-08"


async def notices_done(s: Session, plan: Plan) -> bool:
    met, _ = notice_ids(plan, s.anchor.year)
    listed = await s.read("ClueService.ListSupervisionNotices", CASE_MANAGER, office="supervision_1", purpose=PURPOSE)
    return any(n.notice_id == met and n.HasField("satisfied_at") for n in listed.notices)


async def notices(s: Session, plan: Plan, first: str) -> None:
    """Seed 004 (Ningbo): the rest of the story after the anchor clue."""
    ids = [first] + [await office_clue(s, k, p) for k, p in enumerate(plan.office_clues[1:], start=1)]
    planted, handled, fast, unmet = ids[:4], ids[4], ids[5], ids[7]
    await disposed(s, "n4", handled, ev.DISPOSAL_METHOD_TALK_OR_LETTER)
    await disposed(s, "n5", fast, ev.DISPOSAL_METHOD_PRELIM_CHECK)
    for k in range(8, len(ids), 3):
        await disposed(s, f"n{k}", ids[k], ev.DISPOSAL_METHOD_TALK_OR_LETTER)
    await proposed(s, "n7", unmet, ev.DISPOSAL_METHOD_TALK_OR_LETTER)  # on the head's queue, unapproved
    met, open_ = notice_ids(plan, s.anchor.year)
    for clue_id, notice, required in ((fast, met, "CONCLUDED"), (unmet, open_, "DISPOSED")):
        issued = dict(clue_id=clue_id, notice_id=notice, due_at=s.at(26), required=required)
        await s.do("ClueService.IssueSupervisionNotice", CASE_MANAGER, f"notice-{notice}", **issued)
    await reconciled(s, planted, handled)
    await checked(s, "n5", fast, "联合核查组：谈话、调取证据", "借款已归还，情节轻微", ev.REPORT_PROPOSAL_CLOSE)


async def reconciled(s: Session, planted: list[str], handled: str) -> None:
    """The resident group's ledger of the month (it believes the talk over, and lists a number of
    its own), reconciled against the central ledger."""
    numbers = []
    for clue_id in [*planted, handled]:
        numbers.append(
            (await s.read("ClueService.GetClue", CASE_MANAGER, clue_id=clue_id, purpose=PURPOSE)).clue_number
        )
    entries = [cpb.OfficeLedgerEntry(clue=n, status="REGISTERED") for n in numbers[:-1]]
    entries += [
        cpb.OfficeLedgerEntry(clue=numbers[-1], status="CLOSED"),
        cpb.OfficeLedgerEntry(clue=f"RG1-{s.anchor.year}-099", status="REGISTERED"),
    ]
    month = s.anchor.astimezone(CST).strftime("%Y-%m")
    await s.do(
        "ClueService.SubmitOfficeLedger",
        RESIDENT,
        f"ledger-{month}",
        office="resident_group_1",
        month=month,
        entries=entries,
    )


async def tour(s: Session, plan: Plan) -> tuple[str, bool]:
    """Seed 001: the round, its problems, a letter, a rectification and a batch of clues; the
    round's id and whether it was already there."""
    year = s.anchor.year
    units = [tpb.TourUnit(code=c, name=n) for c, n in TOUR_UNITS.items()]
    opened = dict(
        reference=f"{year}年第{plan.seed}轮巡察",
        kind=tev.TOUR_KIND_REGULAR,
        units=units,
        starts_on=s.at(-45),
        ends_on=s.at(15),
    )
    rid = (await s.do("TourService.OpenTourRound", TOUR, "tour-open", **opened)).round_id
    got = await s.read("TourService.GetTourRound", TOUR, round_id=rid, purpose=PURPOSE)
    if got.transfers:
        return rid, True
    found = [
        tpb.NewTourProblem(unit=u, category=c, description=f"{TOUR_UNITS[u]}：{d}") for u, c, d in plan.tour_problems
    ]
    ids = (
        await s.do("TourService.RecordTourProblems", TOUR, "tour-problems", round_id=rid, problems=found)
    ).problem_ids
    letter = dict(
        round_id=rid, letter_id=f"巡建〔{year}〕{plan.seed}号", addressed_to="县发展和改革局", problem_ids=ids[:3]
    )
    await s.do("TourService.IssueSuggestionLetter", TOUR, "tour-letter", **letter)
    moved = dict(round_id=rid, problem_id=ids[0], responsible_unit=plan.tour_problems[0][0], due_at=s.at(30))
    await s.do("TourService.TransferTourProblem", TOUR, "tour-rectify", **moved)
    clues = [
        cpb.RegisterClueRequest(
            source=ev.CLUE_SOURCE_INSPECTION_TOUR,
            subjects=[ref(p)],
            summary=f"巡察移交：{p.unit}{p.post}{p.name}履职不力问题",
        )
        for p in plan.tour_clues
    ]
    await s.do(
        "TourService.TransferTourClues",
        TOUR,
        "tour-clues",
        round_id=rid,
        batch_reference=f"{year}年第{plan.seed}轮巡察 移交1",
        clues=clues,
    )
    return rid, False
