"""kernel.runtime.log (issue 28 point 2): one pipeline for structlog and the standard library's
logging, every line naming its service, JSON or a console renderer that escapes users' control
characters, and the fields of a unit of work's one line."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from types import SimpleNamespace

import pytest
import structlog
import structlog.testing

from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Envelope
from kernel.messaging.follower import Follower
from kernel.messaging.inbox import Accepted, Outcome, Source
from kernel.runtime import log as klog


@pytest.fixture
def configured():
    """configure(...) into a buffer; the process's previous logging set back afterwards."""
    saved, root = structlog.get_config(), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()

    def configure(fmt: str, service: str = "clues"):
        klog._service = None
        klog.configure(service=service, fmt=fmt, stream=buffer, force=True)
        return buffer

    yield configure
    structlog.configure(**saved)
    for h in root.handlers[:]:
        root.removeHandler(h)
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level)
    klog._configured, klog._service = False, None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text 中文", "plain text 中文"),  # printable text, Chinese included, as it is
        ("a\x1b[2Jb", "a\\x1b[2Jb"),  # ESC: a terminal escape sequence would repaint the screen
        ("one\ntwo", "one\\ntwo"),  # a newline would forge a second log line
        ("a\rb\tc", "a\\rb\\tc"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f", "del\\x7f"),
        ("csi\x9b", "csi\\x9b"),  # C1 control
        ("ab\u202ec", "ab\\u202ec"),  # right-to-left override reorders what follows
        ("x\u2066y\u2069", "x\\u2066y\\u2069"),  # bidirectional isolates
    ],
)
def test_escape_writes_control_characters_and_bidi_overrides_as_escapes(text, shown):
    assert klog.escape(text) == shown


@pytest.mark.parametrize(
    ("env", "tty", "fmt"),
    [
        ({}, True, "console"),  # a person at a terminal
        ({}, False, "json"),  # a file, a pipe, a collector
        ({"LOG_FORMAT": "json"}, True, "json"),
        ({"LOG_FORMAT": "Console"}, False, "console"),
    ],
)
def test_the_format_is_console_on_a_terminal_json_otherwise_and_log_format_overrides(env, tty, fmt):
    stream = io.StringIO()
    stream.isatty = lambda: tty
    assert klog.log_format(env, stream) == fmt


def test_an_unknown_log_format_stops_naming_the_variable():
    with pytest.raises(SystemExit, match="LOG_FORMAT='xml'"):
        klog.log_format({"LOG_FORMAT": "xml"})


def test_an_unknown_log_level_stops_naming_the_variable(configured, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(SystemExit, match="LOG_LEVEL='VERBOSE'"):
        klog.configure(force=True)


def test_json_lines_name_the_service_and_libraries_go_through_the_same_pipeline(configured):
    out = configured("json")
    klog.get("rpc").info("rpc.ok", user="P-1")
    logging.getLogger("kafka.conn").warning("connection to %s lost", "broker:9092")
    logging.getLogger("aiokafka").info("an INFO line of a noisy library is not shown")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x["event"] for x in lines] == [
        "rpc.ok",
        "connection to broker:9092 lost",
        "Task exception was never retrieved",
    ]
    assert all(x["service"] == "clues" and x["timestamp"] and x["level"] for x in lines)
    assert [x["logger"] for x in lines] == ["rpc", "kafka.conn", "asyncio"]


def test_a_traceback_is_one_json_field_without_the_frames_locals(configured):
    out = configured("json")
    secret = "INFORMANT-NAME"  # noqa: F841 - a local the traceback must not print
    try:
        raise ValueError("boom")
    except ValueError:
        klog.get("rpc").exception("rpc.failed")
    [line] = [json.loads(x) for x in out.getvalue().splitlines()]
    assert "ValueError: boom" in line["exception"] and "INFORMANT-NAME" not in out.getvalue()


def test_the_console_keeps_users_text_on_its_line(configured):
    out = configured("console")
    klog.get("rpc").info("rpc.refused", reason="summary 'x\x1b[31m\nforged line' is too long", user="P\u202e1")
    logging.getLogger("kafka.conn").warning("from a library: a\x1bb")
    text = out.getvalue()
    assert len(text.splitlines()) == 2 and "\x1b" not in text and "\u202e" not in text
    assert "clues" in text.splitlines()[0] and "\\x1b[31m\\nforged line" in text and "P\\u202e1" in text


def test_a_unit_of_work_names_the_stream_and_state_it_changed_or_the_streams_or_what_it_read():
    with klog.work() as one:
        klog.note_change("clue-1", 3, "RECEIVED")
    assert klog.done(one) == {"stream": "clue-1", "version": 3, "state": "RECEIVED"}
    with klog.work() as batch:
        klog.note_change("clue-1", 1, "RECEIVED")
        klog.note_change("clue-2", 1, "")
    assert klog.done(batch) == {"streams": ["clue-1@1 RECEIVED", "clue-2@1"], "stream_count": 2}
    with klog.work() as nothing:
        pass
    assert klog.done(nothing) == {}
    with klog.work() as read:  # a read names the aggregate it read
        klog.note_read("clue-1", 3, "RECEIVED")
    assert klog.done(read) == {"read": "clue-1", "version": 3, "state": "RECEIVED"}
    with klog.work() as listing:
        klog.note_read("clue-1", 3, "RECEIVED")
        klog.note_read("clue-2", 1, "RECEIVED")
    assert klog.done(listing) == {"read_count": 2}
    with klog.work() as both:  # what changed is what the line names
        klog.note_read("clue-9", 1, "RECEIVED")
        klog.note_change("clue-1", 4, "FORWARDED")
    assert klog.done(both) == {"stream": "clue-1", "version": 4, "state": "FORWARDED"}
    klog.note_change("clue-3", 1, "X")  # outside a unit of work: nothing kept, nothing raised


def test_a_unit_of_work_no_rpc_names_says_its_command_or_commands_and_the_system_principal():
    with klog.work() as one:  # the command path names what it decided (issue 28: consumers, timers)
        klog.note_change("case-1", 1, "FILING", command="OpenFiling")
    assert klog.commands(one) == {"command": "OpenFiling"}
    with klog.work() as several:
        klog.note_change("measure-1", 2, "RUNNING", command="AttachToCase")
        klog.note_change("measure-2", 3, "RUNNING", command="AttachToCase")
        klog.note_change("case-1", 2, "FILED", command="ApproveFiling")
    assert klog.commands(several) == {"commands": ["AttachToCase", "ApproveFiling"]}
    with klog.work() as none:
        klog.note_change("clue-timers-1", 1)  # a timer's own event: no command
    assert klog.commands(none) == {}
    assert klog.who(Principal.system("cases-filing")) == {
        "user": "system:cases-filing",
        "role": "system",
        "office": "system",
    }


class _Inbox:
    def __init__(self, outcome):
        self.outcome = outcome

    async def receive(self, conn, raw, source):
        return self.outcome


class _Store:
    schema = "t"

    @contextlib.asynccontextmanager
    async def unit_of_work(self):
        yield SimpleNamespace(conn=None)


class _Opener(Follower):
    async def apply(self, uow, env):
        klog.get("cases-filing").info("filings.opened")  # a follower's own line carries the correlation id
        if env.stream_id == "clue-1":
            klog.note_change("case-1", 1, "FILING", command="OpenFiling")


def _env(stream: str) -> Envelope:
    return Envelope(event_id="e-1", stream_id=stream, event_type="clues.v1.FilingProposed", correlation_id="corr-c")


@pytest.mark.parametrize(
    ("outcome", "lines"),
    [
        # an accepted event that ran a command: its one line, INFO, after the commit
        (Outcome(accepted=[Accepted(_env("clue-1"), b"", Source())]), [("consumer.ok", "info")]),
        # an accepted event that concerned no command (changed nothing): DEBUG only
        (Outcome(accepted=[Accepted(_env("clue-2"), b"", Source())]), [("consumer.ok", "debug")]),
        (Outcome(duplicate=True), []),  # a duplicate: nothing
        (Outcome(gap=("clue-1", 2, 3)), []),  # held behind a gap: nothing (the republish request says it)
    ],
)
async def test_a_consumers_unit_of_work_is_one_line_and_a_skipped_delivery_none(outcome, lines):
    opener = _Opener(_Store(), "cases-filing")
    opener.inbox = _Inbox(outcome)
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))  # DEBUG lines too
    try:
        with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            await opener.record(b"", Source())
    finally:
        structlog.configure(**saved)
    said = [x for x in logs if x["event"] == "consumer.ok"]
    assert [(x["event"], x["log_level"]) for x in said] == lines
    if outcome.accepted:
        assert [x.get("correlation_id") for x in logs if x["event"] == "filings.opened"] == ["corr-c"]
        assert said[0]["correlation_id"] == "corr-c" and said[0]["user"] == "system:cases-filing"
    if lines and lines[0][1] == "info":
        assert (said[0]["command"], said[0]["stream"], said[0]["state"]) == ("OpenFiling", "case-1", "FILING")
