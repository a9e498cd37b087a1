"""The partner feeds' configuration (issue 23 point 1): the shipped file loads against the catalogue;
every mistake stops the service naming the file and the key, and an event type, field path or link
that does not exist is refused naming it."""

from __future__ import annotations

import copy

import pytest

from kernel.edge import catalogue
from services.audit.app import feed_config
from services.audit.app.feed_config import FeedConfigError, load_feed_config, parse_feed_config

AGENCIES = tuple(catalogue.load().agencies)


def test_shipped_file_loads_against_the_catalogue():
    config = load_feed_config(feed_config.DEFAULT_FILE, AGENCIES)
    assert set(config.agencies) == {
        "procuratorate",
        "court",
        "organisation_department",
        "personnel_bureau",
        "finance_bureau",
        "archives",
        "party_organisation",
        "township_government",
        "employer_unit",
    }
    assert config.agencies["procuratorate"]["cases.v1.CaseDisposed"].select == "transfer"


def test_partner_feeds_file_overrides_the_shipped_one(tmp_path, monkeypatch):
    own = tmp_path / "feeds.toml"
    own.write_text(
        'schema_version = 1\n[agencies.archives.events."sanctions.v1.DecisionIssued"]\n'
        'select = "item_owner"\nfields = ["decision_id"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PARTNER_FEEDS_FILE", str(own))
    assert set(load_feed_config(agencies=AGENCIES).agencies) == {"archives"}


def test_unreadable_file_names_it(tmp_path):
    bad = tmp_path / "feeds.toml"
    bad.write_text("schema_version = [", encoding="utf-8")
    with pytest.raises(FeedConfigError, match=str(bad)):
        load_feed_config(bad)


GOOD = {
    "schema_version": 1,
    "agencies": {
        "procuratorate": {
            "events": {
                "cases.v1.CaseDisposed": {"select": "transfer", "fields": ["case_id", "outcomes.kind"]},
            }
        }
    },
}
EVENT = 'agencies.procuratorate.events."cases.v1.CaseDisposed"'


def _with(change) -> dict:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def _event(data) -> dict:
    return data["agencies"]["procuratorate"]["events"]["cases.v1.CaseDisposed"]


MISTAKES = [
    # (what is wrong, change, the key named, words of the problem)
    ("an unknown top-level key", lambda d: d.update(feeds=1), "feeds", "unknown key"),
    ("the schema version", lambda d: d.update(schema_version=2), "schema_version", "must be 1"),
    ("agencies not tables", lambda d: d.update(agencies=[]), "agencies", "must be tables"),
    (
        "an agency not in the catalogue",
        lambda d: d["agencies"].update(police={"events": {}}),
        "agencies.police",
        "not an agency of the catalogue",
    ),
    (
        "an unknown key of an agency",
        lambda d: d["agencies"]["procuratorate"].update(topics=[]),
        "agencies.procuratorate.topics",
        "unknown key",
    ),
    (
        "an event type that does not exist",
        lambda d: d["agencies"]["procuratorate"]["events"].update({"cases.v1.CaseDisposd": {}}),
        'agencies.procuratorate.events."cases.v1.CaseDisposd"',
        "'cases.v1.CaseDisposd' is no event type",
    ),
    (
        "a message that is no producer's event (the envelope)",
        lambda d: d["agencies"]["procuratorate"]["events"].update({"common.v1.Envelope": {}}),
        'agencies.procuratorate.events."common.v1.Envelope"',
        "is no event type",
    ),
    ("an unknown key of an event", lambda d: _event(d).update(why="x"), f"{EVENT}.why", "unknown key"),
    ("no selector", lambda d: _event(d).pop("select"), f"{EVENT}.select", "must be one of all, transfer"),
    ("an unknown selector", lambda d: _event(d).update(select="some"), f"{EVENT}.select", "must be one of"),
    (
        "a selector that cannot apply to the type",
        lambda d: _event(d).update(select="item_owner"),
        f"{EVENT}.select",
        "carries no execution items",
    ),
    ("no fields", lambda d: _event(d).pop("fields"), f"{EVENT}.fields", "non-empty list"),
    ("an empty allow-list", lambda d: _event(d).update(fields=[]), f"{EVENT}.fields", "non-empty list"),
    ("a field twice", lambda d: _event(d).update(fields=["case_id", "case_id"]), f"{EVENT}.fields", "listed twice"),
    (
        "a field that does not exist",
        lambda d: _event(d).update(fields=["case_id", "verdict"]),
        f"{EVENT}.fields",
        "'verdict': no field 'verdict' in cases.v1.CaseDisposed",
    ),
    (
        "a nested field that does not exist",
        lambda d: _event(d).update(fields=["outcomes.crime"]),
        f"{EVENT}.fields",
        "'outcomes.crime': no field 'crime' in cases.v1.Outcome",
    ),
    (
        "a path into a scalar",
        lambda d: _event(d).update(fields=["case_id.x"]),
        f"{EVENT}.fields",
        "case_id is no message",
    ),
    (
        "a path into a timestamp (whole or not at all)",
        lambda d: _event(d).update(fields=["decided_at.seconds"]),
        f"{EVENT}.fields",
        "decided_at is allowed whole or not at all",
    ),
    ("links not a list", lambda d: _event(d).update(links="person/subject"), f"{EVENT}.links", "<kind>/<relation>"),
    ("a malformed link", lambda d: _event(d).update(links=["person"]), f"{EVENT}.links", "<kind>/<relation>"),
]


@pytest.mark.parametrize(("what", "change", "key", "problem"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_every_mistake_names_the_file_and_the_key(what, change, key, problem):
    with pytest.raises(FeedConfigError) as e:
        parse_feed_config(_with(change), "feeds.toml", AGENCIES)
    assert str(e.value).startswith(f"feeds.toml: {key}: "), str(e.value)
    assert problem in str(e.value)


def _one(event_type: str, select: str, fields: list[str]) -> dict:
    return {"schema_version": 1, "agencies": {"court": {"events": {event_type: {"select": select, "fields": fields}}}}}


NEVER = [
    # domain.md §1: informants stay sealed
    ("clues.v1.InformantIdentityRead", "all", ["clue_id"], "never leaves the commission"),
    ("clues.v1.ClueRegistered", "all", ["clue_id", "has_sealed_informant"], "has_sealed_informant never leaves"),
    # SL 42, Rules 39: the investigation plan is the commission's own
    ("clues.v1.PrelimCheckPlanSubmitted", "all", ["clue_id"], "never leaves the commission"),
    ("clues.v1.PrelimCheckPlanApproved", "all", ["clue_id"], "never leaves the commission"),
    ("cases.v1.TopicMeetingHeld", "all", ["case_id"], "never leaves the commission"),
    ("cases.v1.FilingApproved", "all", ["case_id", "plan"], "plan never leaves"),
    # issue 23: measures not addressed to the agency never appear (only the custody hand-over)
    ("cases.v1.MeasureRequested", "all", ["measure_id"], "measures reach no partner"),
    ("cases.v1.CustodyTransferred", "all", ["measure_id"], "measures reach no partner"),
    ("cases.v1.MeasureExtended", "transfer", ["measure_id"], "records no transfer"),
    # §6: reads on the record are the commission's self-supervision
    ("common.v1.FileRead", "all", ["purpose"], "never leaves the commission"),
]


@pytest.mark.parametrize(("event_type", "select", "fields", "problem"), NEVER, ids=[n[0] + ":" + n[3] for n in NEVER])
def test_what_never_leaves_is_refused_whatever_the_file_says(event_type, select, fields, problem):
    with pytest.raises(FeedConfigError, match=problem) as e:
        parse_feed_config(_one(event_type, select, fields), "feeds.toml", AGENCIES)
    assert str(e.value).startswith(f'feeds.toml: agencies.court.events."{event_type}"')


def test_a_whole_message_holding_a_never_field_is_refused():
    """A message allowed whole may not smuggle a never-field: checked at every depth."""
    from services.audit.domain import feeds

    class _Fd:  # the shape of a descriptor field, enough for the check
        def __init__(self, name, message_type=None):
            self.name, self.message_type = name, message_type

    class _Msg:
        def __init__(self, full_name, fields):
            self.full_name, self.fields = full_name, fields
            self.fields_by_name = {f.name: f for f in fields}

        def GetOptions(self):  # noqa: N802 - descriptor API
            class _O:
                map_entry = False

            return _O()

    inner = _Msg("x.v1.Inner", [_Fd("note"), _Fd("informant")])
    outer = _Msg("x.v1.Outer", [_Fd("id"), _Fd("detail", inner)])
    assert "detail.informant never leaves" in feeds.path_problem(outer, "detail")
    assert feeds.path_problem(outer, "id") == ""
