"""A story (or a person's stories) as the replay page's JSON (issue 29): its steps with who, when,
approval, collective decision, deadline colour, measures and recordings, and the proof of each
step's event in ONE checkpoint, so the browser verifies every step itself.

Built from the same data as `ExportHistoryBundle(whole_story)` (`app.bundles`): the bundle's events
are the steps, in story order. Payloads are read by reflection over the published contracts
(`adapters.steps`), never through another service's code.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from audit.v1 import (
    events_pb2 as _audit,  # noqa: F401 - registers the audit contract's types
    service_pb2 as pb,
)
from clues.v1 import tour_events_pb2 as _tours  # noqa: F401 - registers the tour contract's types
from common.v1 import meeting_pb2
from kernel.eventstore.envelope import Envelope, instant, parse
from sanctions.v1 import events_pb2 as _sanctions  # noqa: F401 - registers the sanctions contract's types
from services.audit.adapters.steps import approval_of, messages_in, payload_of, recordings_of
from services.audit.app.bundles import Bundle
from services.audit.domain.story import StepKey, tell

MEETING = meeting_pb2.CollectiveDecision.DESCRIPTOR.full_name
# Field pairs that state a period (a measure's, a sanction's, ...), in the contracts' spellings.
PERIODS = (("starts_at", "ends_at"), ("start", "end"), ("period_start", "period_end"), ("starts_on", "ends_on"))
DUES = ("due", "due_at", "deadline")
SOON = timedelta(days=3)  # a deadline this close is yellow on the page
COLOURS = {"GREEN": "green", "YELLOW": "yellow", "ORANGE": "orange", "RED": "red"}
DECISIONS = {pb.APPROVAL_DECISION_APPROVED: "APPROVED", pb.APPROVAL_DECISION_REJECTED: "REJECTED"}


def iso(at: datetime | None) -> str | None:
    return at.astimezone(timezone.utc).isoformat() if at else None


def _as_dict(msg: Message) -> dict:
    return MessageToDict(msg, preserving_proto_field_name=True)


def _time(msg: Message, name: str) -> datetime | None:
    fields = msg.DESCRIPTOR.fields_by_name
    if name in fields and fields[name].message_type is not None and msg.HasField(name):
        value = getattr(msg, name)
        if fields[name].message_type.full_name == "google.protobuf.Timestamp":
            return instant(value)
    return None


def _kind_word(msg: Message) -> str:
    """The enum name of a `kind` field (its prefix dropped), else ""."""
    field = msg.DESCRIPTOR.fields_by_name.get("kind")
    if field is None or field.enum_type is None:
        return ""
    name = field.enum_type.values_by_number.get(msg.kind)
    return name.name.removeprefix(f"{_prefix(field.enum_type.name)}_") if name else ""


def _prefix(enum_name: str) -> str:
    """MeasureKind -> MEASURE_KIND (the contracts' enum value prefix)."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(enum_name)).upper()


def collective_decision(msg: Message | None) -> dict | None:
    for m in messages_in(msg):
        if m.DESCRIPTOR.full_name == MEETING:
            return _as_dict(m)
    return None


def measures(msg: Message | None, kind: str, title: str) -> list[dict]:
    """Each period the payload states: {"kind", "from", "until"} (and the message's own kind)."""
    found = []
    for m in messages_in(msg):
        for start, end in PERIODS:
            begins, ends = _time(m, start), _time(m, end)
            if begins or ends:
                found.append({"kind": _kind_word(m) or kind or title, "from": iso(begins), "until": iso(ends)})
    return found


def deadline(msg: Message | None, title: str, as_of: datetime) -> dict | None:
    """The deadline a step states and its colour: the payload's own colour where it has one (a
    warning), red for an overdue or expiry event, else by the story's moment: green, yellow when
    close, "met" when passed without an overdue event (the services raise one when missed)."""
    if msg is None:
        return None
    due = next((t for name in DUES if (t := _time(msg, name))), None)
    if due is None:
        return None
    colour = _colour_field(msg)
    if not colour:
        if title.endswith(("Overdue", "Expired")):
            colour = "red"
        elif due <= as_of:
            colour = "met"
        else:
            colour = "yellow" if due - as_of <= SOON else "green"
    return {"due": iso(due), "colour": colour, "label": f"{title}: due {due.date().isoformat()}"}


def _colour_field(msg: Message) -> str:
    field = msg.DESCRIPTOR.fields_by_name.get("colour")
    if field is None:
        return ""
    value = msg.colour
    if field.enum_type is not None:
        value = field.enum_type.values_by_number[value].name if value in field.enum_type.values_by_number else ""
    return next((c for word, c in COLOURS.items() if str(value).upper().endswith(word)), "")


def principal(env: Envelope) -> dict:
    p = env.principal
    return {"user": p.user, "agency": p.agency, "office": p.office, "role": p.role}


def step(position: int, leaf_index: int, env: Envelope, as_of: datetime, kinds: dict[str, str]) -> dict:
    """One step as the page shows it. `kinds`: the kind each stream's earlier steps stated (a
    measure's approval names no kind: its request did), updated here."""
    msg = payload_of(env)
    title = env.event_type.rsplit(".", 1)[-1]
    if msg is not None and (word := _kind_word(msg)):
        kinds.setdefault(env.stream_id, word)
    approval = approval_of(msg, env)
    return {
        "position": position,
        "leaf_index": leaf_index,
        "event_id": env.event_id,
        "event_type": env.event_type,
        "title": title,
        "stream_id": env.stream_id,
        "version": env.version,
        "principal": principal(env),
        "occurred_at": iso(instant(env.occurred_at)),
        "recorded_at": iso(instant(env.recorded_at)),
        "approval": {
            "decision": DECISIONS.get(approval.decision, "UNSPECIFIED"),
            "user": approval.user,
            "role": approval.role,
        }
        if approval
        else None,
        "collective_decision": collective_decision(msg),
        "deadline": deadline(msg, title, as_of),
        "measures": measures(msg, kinds.get(env.stream_id, ""), title),
        # common.v1.RecordingRef: sha256, duration_seconds, kind (what was recorded), archive_ref
        "recordings": [_as_dict(r) for r in recordings_of(msg)],
        "payload": _as_dict(msg) if msg is not None else {},
    }


def story(subject: str, told: list[Bundle]) -> dict:
    """The page's JSON of whole-story bundles (`app.bundles.export(..., whole_story=True)`) proven
    in checkpoints of one tree size: one bundle's story in its order, or several (a person's
    stories) merged in story order (`domain.story.tell`), each event once."""
    datas = [json.loads(b.data) for b in told]
    events = {e["leaf_index"]: (e, parse(base64.b64decode(e["envelope"]))) for d in datas for e in d["events"]}
    if len(datas) > 1:
        keys = [(_key(env), leaf) for leaf, (_, env) in events.items()]
        events = {leaf: events[leaf] for leaf in tell(keys, None, None, len(keys) or 1).leaves}
    moments = [datetime.fromisoformat(d["as_of"]) for d in datas if d["as_of"]]
    as_of = max(moments, default=datetime.now(timezone.utc))
    subjects = {s["id"]: s for d in datas for s in d["subjects"]}
    kinds: dict[str, str] = {}
    first = told[0] if told else None
    return {
        "subject": subject,
        "as_of": iso(as_of),
        "tree_size": first.tree_size if first else 0,
        "subjects": list(subjects.values()),
        "steps": [step(k, leaf, env, as_of, kinds) for k, (leaf, (_, env)) in enumerate(events.items(), 1)],
        "proof": {
            "checkpoint": datas[0]["checkpoint"] if datas else "",
            "tree_size": first.tree_size if first else 0,
            "witnessed": bool(told) and all(b.witnessed for b in told),
            "cosigners": list(first.cosigners) if first else [],
            "events": [proof_event(e, env) for e, env in events.values()],
        },
    }


def _key(env: Envelope) -> StepKey:
    return StepKey(instant(env.occurred_at), instant(env.recorded_at), env.stream_id, env.version)


def proof_event(event: dict, env: Envelope) -> dict:
    return {
        "event_id": env.event_id,
        "leaf_index": event["leaf_index"],
        "envelope_b64": event["envelope"],
        "hashes_b64": event["proof"],
    }


def dumps(body) -> str:
    """JSON as the page reads it: UTF-8 text, Chinese as is."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
