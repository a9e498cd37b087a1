"""Every clue event survives domain -> protobuf bytes -> domain unchanged."""

from datetime import date

import pytest

from clues.v1 import events_pb2
from services.clues.adapters import mapping
from services.clues.domain import events as ev, reconciliation as rec
from services.clues.tests.unit.test_lifecycle import AT, ID, SITUATIONS, SUBJECT

SAMPLES = {type(e): e for events in SITUATIONS.values() for e in events} | {
    type(e): e
    for e in [
        ev.RegistrationRejected(ID, "not ours", "u-head"),
        ev.DisposalRejected(ID, "no", "u-head"),
        ev.TalkOrLetterConcluded(ID, "LIGHT_HANDLING", "criticised", "u-insp"),  # before approvals (empty)
        ev.TalkOrLetterConclusionRejected(ID, "redo", "u-head"),
        ev.CluePartForwarded(ID, "audit office", "the tender", "the audit office's", "u-cm"),
        ev.RecusalDeclared(ID, "u-kin", "NEAR_RELATIVE", "brother", "u-head"),
        ev.ReportRejected(ID, "redo", "u-head"),
        ev.ReportProposalRevised(
            ID, "HAND_OVER_TO_PARTY_ORGANISATION", "refused", "u-insp", "", "the bureau's Party group"
        ),
        ev.ClueReopened(ID, "new report", "u-cm"),
        ev.InformantIdentityRead(ID, "u-complaints", "verify the informant's account"),
        ev.ClueWarningRaised(ID, "YELLOW", "REGISTERED", "propose-disposal", AT),
        ev.SupervisionNoticeIssued(ID, "N-2026-07", "resident_group_1", AT, "CONCLUDED", "u-cm"),
        ev.SupervisionNoticeSatisfied(ID, "N-2026-07", "CLOSED"),
        ev.SupervisionNoticeOverdue(ID, "N-2026-07", AT),
        ev.ClueEscalated(ID, "supervision_1", "supervision_2", "complex", "u-cm", "u-head"),
        ev.EscalationProposed(ID, "supervision_2", "complex", "u-cm"),
        ev.EscalationRejected(ID, "stays", "u-head"),
        ev.ClueFastTracked(
            ID, "integrity-1", "P-1", date(2026, 6, 20), "IMPORTANT_POST", "integrity:1"
        ),  # domain.md §5
        ev.ClueRegistered(
            ID,
            "SELF_DISCOVERED",
            (SUBJECT, ev.Subject("P-2", "Li Si")),
            "two",
            "commission",
            "case_management",
            AT,
            False,
            "2026 round 1",
            "YOUNG_RESERVE_CADRE",
        ),
        rec.OfficeLedgerReconciled(
            "reconciliation-1",
            "resident_group_1",
            "2026-05",
            AT,
            "u-res",
            3,
            4,
            (
                rec.Difference(ID, "case_management-2026-0001", rec.ASSIGNED_NOT_DISPOSED, "", "REGISTERED", "red"),
                rec.Difference("", "RG1-17", rec.UNKNOWN_TO_CENTRAL, "CLOSED", "", "no such clue"),
            ),
        ),
    ]
}


def test_samples_cover_every_event_type():
    assert set(SAMPLES) == set(mapping.PUBLISHED)


@pytest.mark.parametrize("event", list(SAMPLES.values()), ids=lambda e: type(e).__name__)
def test_round_trip(event):
    msg = mapping.event_to_pb(event)
    assert msg.DESCRIPTOR.name == type(event).__name__
    assert mapping.event_from_pb(type(msg).FromString(msg.SerializeToString())) == event


def test_enum_words_map_to_prefixed_values():
    assert mapping.enum_value(events_pb2.DisposalMethod, "TALK_OR_LETTER") == events_pb2.DISPOSAL_METHOD_TALK_OR_LETTER
    assert mapping.enum_value(events_pb2.DisposalMethod, "NONSENSE") == 0
    assert mapping.enum_word(events_pb2.ReportProposal.DESCRIPTOR, events_pb2.REPORT_PROPOSAL_FILE_CASE) == "FILE_CASE"
    assert mapping.enum_word(events_pb2.ReportProposal.DESCRIPTOR, 0) == ""
