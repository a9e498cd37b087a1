"""Replay steps read approvals and recording references out of any published payload."""

from datetime import datetime, timezone

from google.protobuf import any_pb2, struct_pb2

from audit.v1 import service_pb2 as pb
from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from common.v1 import recording_pb2, rules_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from services.audit.adapters.steps import approval_of, payload_of, recordings_of

HEAD = Principal("commission", "leadership", "commission_head", "u-head")
AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


def envelope(payload):
    return env_mod.build(NewEvent("e-1", payload, AT, HEAD, "corr"), "clue-x", 1, AT)


def test_an_approval_names_its_approver_and_the_role_given_or_the_principals():
    approved = envelope(clues.DisposalApproved(clue_id="clue-x", approved_by="u-head"))
    assert approval_of(payload_of(approved), approved) == pb.Approval(
        decision=pb.APPROVAL_DECISION_APPROVED, user="u-head", role="commission_head"
    )
    plan = envelope(
        clues.PrelimCheckPlanApproved(clue_id="clue-x", approver_role="party_committee_head", approved_by="u-party")
    )
    assert approval_of(payload_of(plan), plan).role == "party_committee_head"
    refused = envelope(clues.ReportRejected(clue_id="clue-x", rejected_by="u-head"))
    assert approval_of(payload_of(refused), refused).decision == pb.APPROVAL_DECISION_REJECTED
    measure = envelope(cases.MeasureRefused(measure_id="measure-x", refused_by="u-sup", approver_role="superior_head"))
    assert approval_of(payload_of(measure), measure) == pb.Approval(
        decision=pb.APPROVAL_DECISION_REJECTED, user="u-sup", role="superior_head"
    )


def test_a_step_that_is_no_approval_has_none():
    for payload in (clues.DisposalProposed(clue_id="clue-x", proposed_by="u-1"), cases.CaseFiled(case_id="case-y")):
        env = envelope(payload)
        assert approval_of(payload_of(env), env) is None


def test_recordings_are_found_at_any_depth_and_an_unknown_payload_type_gives_nothing():
    ref = recording_pb2.RecordingRef(sha256="ab" * 32, duration_seconds=5400, kind="interrogation")
    assert recordings_of(payload_of(envelope(ref))) == [ref]
    assert recordings_of(payload_of(envelope(clues.ClueRegistered(summary="s")))) == []
    unknown = envelope(struct_pb2.Value(string_value="x"))
    unknown.payload.CopyFrom(any_pb2.Any(type_url="type.googleapis.com/partner.v9.Unknown", value=b"\x08\x01"))
    assert payload_of(unknown) is None and recordings_of(None) == [] and approval_of(None, unknown) is None


def nested_type():
    """A payload type a future contract might publish: recordings inside repeated sub-messages."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    for dependency in (descriptor_pb2.DESCRIPTOR, rules_pb2.DESCRIPTOR, recording_pb2.DESCRIPTOR):
        pool.AddSerializedFile(dependency.serialized_pb)
    f = descriptor_pb2.FileDescriptorProto(name="t/nested.proto", package="t", dependency=["common/v1/recording.proto"])
    step = f.message_type.add(name="Step")
    step.field.add(name="recording", number=1, type=11, type_name=".common.v1.RecordingRef", label=1)
    outer = f.message_type.add(name="Search")
    outer.field.add(name="steps", number=1, type=11, type_name=".t.Step", label=3)
    outer.field.add(name="main", number=2, type=11, type_name=".common.v1.RecordingRef", label=1)
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("t.Search"))


def test_recordings_nested_in_repeated_sub_messages_are_found_in_field_order():
    search = nested_type()()
    refs = [recording_pb2.RecordingRef(sha256=c * 64, duration_seconds=60 * i) for i, c in enumerate("abc", 1)]
    for r in refs[:2]:
        search.steps.add().recording.MergeFromString(r.SerializeToString())
    search.steps.add()  # a step without a recording
    search.main.MergeFromString(refs[2].SerializeToString())
    assert [r.sha256[0] for r in recordings_of(search)] == ["a", "b", "c"]
