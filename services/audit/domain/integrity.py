"""Integrity opinions (党风廉政意见回复; domain.md §5, seed 004): one candidate's answer from their
dossier, and the words of the reply. Pure: no I/O, no clock.

Per candidate, from the dossier as of the reply instant, periods and bars judged at the intended
date of use (domain.md §5):

| Check                        | Answer                                                         |
|------------------------------|----------------------------------------------------------------|
| OPEN_CLUE                    | PENDING (正在核实); the clue is fast-tracked                    |
| FILING_AWAITING_APPROVAL     | PENDING                                                        |
| OPEN_CASE                    | OBJECTION (PSL 52: no transfer, promotion, reward while open)  |
| PARTY_SANCTION_PERIOD        | OBJECTION to promotion (P2, Regs 10); other uses per `[uses]`  |
| GOVERNMENT_SANCTION_PERIOD   | OBJECTION to promotion (G7, PSL 19-21); other uses per `[uses]`|
| IMPACT_PERIOD (诫勉, 组织处理, 问责) | OBJECTION or a comment (`[impacts] answer`; local, unverified) |
| none                         | NO_OBJECTION ("经核查，未发现…问题，对其使用不持异议")            |

Any OBJECTION → OBJECTION with all reasons; else any PENDING → PENDING; else NO_OBJECTION
(platform rule, §5). A period check that does not object for the intended use is kept as a
comment: a reason whose own answer is NO_OBJECTION, told in the reply without objecting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from services.audit.domain.dossier import CASE, CLUE, FILING, IMPACT, SANCTION, Bar, Item, running_at

# The answers (proto IntegrityAnswer without its prefix).
NO_OBJECTION, PENDING, OBJECTION = "NO_OBJECTION", "PENDING", "OBJECTION"
ANSWERS = (NO_OBJECTION, PENDING, OBJECTION)
COMMENT = "COMMENT"  # `[impacts] answer`: the impact is told, without objecting
# The intended uses (proto IntendedUse without its prefix).
PROMOTION, SAME_LEVEL_MOVE, OTHER = "PROMOTION", "SAME_LEVEL_MOVE", "OTHER"
USES = (PROMOTION, SAME_LEVEL_MOVE, OTHER)
# The checks of §5, in the order the reasons are told.
OPEN_CLUE, FILING_AWAITING_APPROVAL, OPEN_CASE = "OPEN_CLUE", "FILING_AWAITING_APPROVAL", "OPEN_CASE"
PARTY_SANCTION_PERIOD, GOVERNMENT_SANCTION_PERIOD = "PARTY_SANCTION_PERIOD", "GOVERNMENT_SANCTION_PERIOD"
IMPACT_PERIOD = "IMPACT_PERIOD"
CHECKS = (
    OPEN_CLUE,
    FILING_AWAITING_APPROVAL,
    OPEN_CASE,
    PARTY_SANCTION_PERIOD,
    GOVERNMENT_SANCTION_PERIOD,
    IMPACT_PERIOD,
)
PERIOD_CHECKS = (PARTY_SANCTION_PERIOD, GOVERNMENT_SANCTION_PERIOD, IMPACT_PERIOD)  # objecting per use
# The rule each check cites.
RULES = {
    OPEN_CLUE: "domain.md §5",
    FILING_AWAITING_APPROVAL: "domain.md §5",
    OPEN_CASE: "PSL 52",
    PARTY_SANCTION_PERIOD: "P2 (Regs 10)",
    GOVERNMENT_SANCTION_PERIOD: "G7 (PSL 19-21)",
    IMPACT_PERIOD: "domain.md §5 (impact periods local, unverified)",
}


@dataclass(frozen=True)
class Reason:
    """One check that found something (`audit.v1.IntegrityReason`): its own answer, in words, the
    dossier item's file and the rule."""

    check: str
    answer: str
    text: str
    ref: str
    rule: str


@dataclass(frozen=True)
class Proposal:
    """The answer audit proposes for one candidate, with its reasons (comments included)."""

    answer: str
    reasons: tuple[Reason, ...] = ()

    @property
    def open_clues(self) -> tuple[str, ...]:
        """The open clues a PENDING answer fast-tracks (seed 004), each once."""
        return tuple(dict.fromkeys(r.ref for r in self.reasons if r.check == OPEN_CLUE))


@dataclass(frozen=True)
class ReplyTexts:
    """The reply's words (`[texts]`, local): one per answer with `{name}` and `{findings}`, the
    comment added to a NO_OBJECTION with comments, and each check's phrase."""

    no_objection: str = "经核查，未发现{name}同志有违反党风廉政建设规定的问题，对其使用不持异议。"
    pending: str = "经核查，{name}同志{findings}，正在核实，暂不宜作出结论。"
    objection: str = "经核查，{name}同志{findings}，对其使用持有异议。"
    comment: str = "另：{findings}。"
    checks: Mapping[str, str] = field(
        default_factory=lambda: {
            OPEN_CLUE: "有反映其问题的线索",
            FILING_AWAITING_APPROVAL: "有待批准的立案",
            OPEN_CASE: "正被立案审查调查",
            PARTY_SANCTION_PERIOD: "在党纪处分影响期内",
            GOVERNMENT_SANCTION_PERIOD: "在政务处分期内",
            IMPACT_PERIOD: "在诫勉、组织处理或问责影响期内",
        }
    )


@dataclass(frozen=True)
class IntegrityRules:
    """What the workflow judges with (`deploy/config/integrity.toml`, local): who may ask, when a reply is due,
    how long before the intended date a fast-tracked clue's notice falls due, which period checks
    object for each use other than PROMOTION (which objects to all), whether an impact period
    objects or is a comment, the liaison office of each unit, and the reply's words."""

    agency: str = "organisation_department"  # whose principals may ask (the catalogue's code)
    due_hours: int = 24  # seed 004: the next day
    lead_days: int = 1
    objecting: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: {SAME_LEVEL_MOVE: frozenset({PARTY_SANCTION_PERIOD}), OTHER: frozenset(PERIOD_CHECKS)}
    )
    impact_answer: str = OBJECTION
    liaison_units: Mapping[str, str] = field(default_factory=dict)
    liaison_default: str = "supervision_1"
    texts: ReplyTexts = field(default_factory=ReplyTexts)

    def objects(self, use: str, check: str) -> bool:
        """Whether a period `check` that found something objects to `use`."""
        if check == IMPACT_PERIOD and self.impact_answer != OBJECTION:
            return False
        return use == PROMOTION or check in self.objecting.get(use, frozenset())

    def liaison_of(self, unit: str) -> str:
        """The liaison office checking a candidate of `unit` (联系纪检监察室), else the default."""
        return self.liaison_units.get(unit.strip(), self.liaison_default)


DEFAULT_RULES = IntegrityRules()


def combine(answers: Iterable[str]) -> str:
    """§5's platform rule: any OBJECTION → OBJECTION; else any PENDING → PENDING; else NO_OBJECTION."""
    found = set(answers)
    return OBJECTION if OBJECTION in found else PENDING if PENDING in found else NO_OBJECTION


def _day(at: datetime | None) -> str:
    return at.date().isoformat() if at else "?"


def _period(item: Item) -> str:
    """`[start, end)` and the bars, as the dossier states them (end exclusive, domain.md §4)."""
    bars = "; bars " + ", ".join(_bar(b) for b in item.bars) if item.bars else ""
    return f"{item.start or '?'} to {item.end or 'for ever'}{bars}"


def _bar(bar: Bar) -> str:
    return f"{bar.kind} until {bar.until}" if bar.until else f"{bar.kind} for ever"


def _reason(check: str, answer: str, item: Item, words: str) -> Reason:
    return Reason(check, answer, words, item.ref, RULES[check])


def _family(item: Item) -> str:
    return (item.family or "").upper()


def judge(items: Iterable[Item], intended_date: date, use: str, rules: IntegrityRules = DEFAULT_RULES) -> Proposal:
    """The answer of §5 for one candidate whose dossier (as of the reply instant) holds `items`,
    for `use` on `intended_date`, with every reason found (comments included)."""
    reasons: list[Reason] = []
    for item in items:
        kind = item.kind
        if kind == CLUE and item.open:
            reasons.append(
                _reason(OPEN_CLUE, PENDING, item, f"clue {item.ref} in {item.state} since {_day(item.since)}")
            )
        elif kind == FILING and item.open:
            words = f"filing {item.ref} awaiting approval since {_day(item.since)}"
            reasons.append(_reason(FILING_AWAITING_APPROVAL, PENDING, item, words))
        elif kind == CASE and item.open:
            reasons.append(
                _reason(OPEN_CASE, OBJECTION, item, f"case {item.ref} open ({item.state}) since {_day(item.since)}")
            )
        elif kind in (SANCTION, IMPACT) and running_at(item, intended_date):
            if kind == IMPACT:
                check = IMPACT_PERIOD
            elif _family(item).startswith("PARTY"):
                check = PARTY_SANCTION_PERIOD
            elif _family(item).startswith("GOVERNMENT"):
                check = GOVERNMENT_SANCTION_PERIOD
            else:
                continue
            answer = OBJECTION if rules.objects(use, check) else NO_OBJECTION
            words = f"{item.what} {item.ref} running on {intended_date.isoformat()}: {_period(item)}"
            reasons.append(_reason(check, answer, item, words))
    reasons.sort(key=lambda r: CHECKS.index(r.check))
    return Proposal(combine(r.answer for r in reasons), tuple(reasons))


def _findings(reasons: Iterable[Reason], checks: Mapping[str, str]) -> str:
    return "，".join(dict.fromkeys(checks.get(r.check, r.check) for r in reasons))


def reply_text(answer: str, name: str, reasons: Iterable[Reason], comment: str, texts: ReplyTexts) -> str:
    """The reply's words for one candidate answered `answer` (as signed off): the findings are the
    reasons giving that answer (the office's comment when it changed the answer and none does);
    a NO_OBJECTION with comments tells them after the standard words."""
    reasons = tuple(reasons)
    if answer == NO_OBJECTION:
        words = texts.no_objection.format(name=name, findings="")
        comments = [r for r in reasons if r.answer == NO_OBJECTION]
        return words + (texts.comment.format(findings=_findings(comments, texts.checks)) if comments else "")
    own = [r for r in reasons if r.answer == answer]
    findings = _findings(own, texts.checks) if own else (comment.strip() or "有需要说明的情况")
    template = texts.pending if answer == PENDING else texts.objection
    return template.format(name=name, findings=findings)


def notice_due(intended_date: date, lead_days: int, zone: tzinfo, now: datetime) -> datetime:
    """When a fast-tracked clue's supervision notice falls due (seed 004): `lead_days` before the
    intended date begins (in the service's zone); when that is already past, the intended date's
    beginning (never after the intended date)."""
    start = datetime.combine(intended_date, time(0), zone)
    due = start - timedelta(days=lead_days)
    return due if due > now else start
