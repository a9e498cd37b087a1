"""Logs a person can follow (issue 28 point 2): one pipeline, every line naming its service.

* structlog and the standard library's `logging` (kafka-python, aiokafka, grpc, asyncio, faust)
  go through the same processors and the same renderer: structlog hands its event dict to the
  stdlib handler (`ProcessorFormatter.wrap_for_formatter`) and foreign records are brought to the
  same shape by the `foreign_pre_chain`. So a library's line carries the service, the level, the
  time and the logger like ours, and nothing is printed around the pipeline.
* Every line names its service: `configure(service=...)` at start-up (`kernel.runtime.service.serve`)
  binds it for the whole process (one service per process under `make run`).
* Rendering: JSON (one object a line, what machines read) unless stderr is a terminal, where a
  console renderer prints `time level service event key=value ...`. `LOG_FORMAT=console|json`
  overrides; `LOG_LEVEL` sets the level. Users' text reaches the logs (a clue's summary in an error,
  a user id): on the console every control character and bidirectional override in it is escaped
  (`\\x1b`, `\\n`, `\\u202e`), so a line is one line and cannot repaint the terminal; JSON escapes
  them by itself.
* One line per unit of work: the `rpc` decorator (`kernel.edge.grpc_server`) opens a `work()`
  record, the command path (`kernel.eventstore.aggregate`) `note_change`s each stream it appended
  to with the state it left, and the decorator's closing line carries them with the command, the
  principal and the correlation id. Work no call started has its line too, after its transaction
  committed: a consumer's command (`kernel.messaging.follower`, `consumer.ok`: the triggering
  event's correlation id, the system principal) and a timer's firing (`kernel.eventstore.timers`,
  `timer.fired`); a duplicate or held delivery, or one that changed nothing, is at most DEBUG.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
import sys
from typing import Any, TextIO

import structlog

_configured = False
_service: str | None = None

FORMATS = ("console", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The loggers of libraries that speak at INFO about every connection: WARNING and above only.
NOISY = ("aiokafka", "kafka", "faust", "mode")
# kafka-python 3's own I/O loop (the admin client's thread) warns whenever one of its tasks ran over
# 0.1 s: on a busy 2-core machine that is every topic check, and it says nothing about the
# services' event loops (asyncio's own slow-callback warnings do). ERROR and above only.
QUIET = ("kafka.net.selector",)

# C0 and C1 control characters, DEL, and the bidirectional overrides/isolates that reorder text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(m: re.Match) -> str:
    c = m.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or (
        f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
    )


def escape(text: str) -> str:
    """`text` with every control character and bidirectional override written as an escape."""
    return _CONTROL.sub(_escape_char, text)


class _Shown:
    """A value the console renderer prints as it is (it prints `repr()` of what is not a string)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


_QUOTED = frozenset(" \t=\r\n\"'")  # what makes the console renderer quote a string with repr()


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        # repr() escapes control and non-printable characters (the overrides among them)
        return _Shown(escape(repr(value))) if set(value) & _QUOTED else escape(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _Shown(escape(repr(value)))


def escape_controls(_, __, event_dict: dict) -> dict:
    """Console processor: users' text printed on a terminal stays on its line and cannot move the
    cursor or reorder what follows. Exceptions (`exc_info`) are left to the renderer: a traceback
    has lines of its own."""
    out = {}
    for k, v in event_dict.items():
        if k == "exc_info":
            out[k] = v
        elif k in ("event", "logger", "level", "timestamp", "service"):
            out[k] = escape(str(v))
        else:
            out[escape(str(k))] = _shown(v)
    return out


def add_service(_, __, event_dict: dict) -> dict:
    """Processor: the service the process serves (bound by `configure`), unless a line names one."""
    if _service and "service" not in event_dict:
        event_dict["service"] = _service
    return event_dict


def _service_first(_, __, event_dict: dict) -> dict:
    """Console: the service in front of the event name, where the eye looks for it."""
    service = event_dict.pop("service", None) or "-"
    event_dict["event"] = f"{service:<9} {event_dict.get('event', '')}"
    return event_dict


def _shared() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
    ]


def log_format(env: dict | None = None, stream: TextIO | None = None) -> str:
    """LOG_FORMAT if set (console or json), else console on a terminal and JSON otherwise."""
    env = os.environ if env is None else env
    chosen = (env.get("LOG_FORMAT") or "").strip().lower()
    if chosen:
        if chosen not in FORMATS:
            raise SystemExit(f"LOG_FORMAT={chosen!r}: expected one of {', '.join(FORMATS)}")
        return chosen
    stream = sys.stderr if stream is None else stream
    return "console" if getattr(stream, "isatty", lambda: False)() else "json"


def renderer(fmt: str) -> list:
    if fmt == "console":
        return [
            escape_controls,
            _service_first,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(),
                # never the frames' locals: they hold what a user sent (an informant's name)
                exception_formatter=structlog.dev.plain_traceback,
                pad_event_to=40,
            ),
        ]
    # JSON escapes control characters itself; a traceback is one string (never the frames' locals)
    return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]


def configure(
    level: str | None = None,
    *,
    service: str | None = None,
    fmt: str | None = None,
    stream: TextIO | None = None,
    force: bool = False,
) -> None:
    """Route structlog and the stdlib's logging through one pipeline onto `stream` (stderr).
    Once per process; a later call only binds the service if it was not yet known."""
    global _configured, _service
    if service:
        _service = _service or service
    if _configured and not force:
        return
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    if level not in LEVELS:
        raise SystemExit(f"LOG_LEVEL={level!r}: expected one of {', '.join(LEVELS)}")
    stream = sys.stderr if stream is None else stream
    fmt = fmt or log_format(stream=stream)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer(fmt)],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for quiet in QUIET:
        logging.getLogger(quiet).setLevel(logging.ERROR)
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            *_shared(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=not force,
    )
    _configured = True


def bind_service(service: str) -> None:
    """Name the process's service on every line from now on."""
    global _service
    _service = service


def get(name: str):
    return structlog.get_logger(name)


# -- one line per unit of work ------------------------------------------------------------------
_work: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_work", default=None)


@contextlib.contextmanager
def work():
    """A record of what the unit of work in this context did (`note_change`); `done(record)` gives
    the fields its closing line carries."""
    record: dict = {"changes": [], "reads": []}
    token = _work.set(record)
    try:
        yield record
    finally:
        _work.reset(token)


def note_change(stream: str, version: int, state: Any = None, *, command: str | None = None) -> None:
    """The command path appended to `stream`, up to `version`, leaving the aggregate in `state`
    (its status, if it has one), deciding `command` (its name). Outside a `work()` record, nothing."""
    record = _work.get()
    if record is not None:
        record["changes"].append((stream, version, None if state in (None, "") else str(state)))
        if command and command not in record.setdefault("commands", []):
            record["commands"].append(command)


def note_read(stream: str, version: int, state: Any = None) -> None:
    """A read through the command path's `read` (need to know checked): named on the closing line
    of a unit of work that changed nothing and read one aggregate."""
    record = _work.get()
    if record is not None:
        record["reads"].append((stream, version, None if state in (None, "") else str(state)))


def done(record: dict) -> dict:
    """The closing line's fields: the stream and its new state (one change), or the streams
    (several); for a unit of work that changed nothing, the one aggregate it read, or how many."""
    changes, reads = record["changes"], record.get("reads", [])
    if not changes and len(reads) == 1:
        stream, version, state = reads[0]
        return {"read": stream, "version": version, "state": state}
    if not changes and reads:
        return {"read_count": len(reads)}
    if len(changes) == 1:
        stream, version, state = changes[0]
        return {"stream": stream, "version": version, "state": state}
    if changes:
        return {
            "streams": [f"{s}@{v}" + (f" {st}" if st else "") for s, v, st in changes[:20]],
            "stream_count": len(changes),
        }
    return {}


def commands(record: dict) -> dict:
    """The command(s) a unit of work decided, for a line whose unit of work no RPC names (a
    consumer's, a timer's): `command`, or `commands` when several."""
    names = record.get("commands", [])
    return {"command": names[0]} if len(names) == 1 else {"commands": names[:20]} if names else {}


def who(principal: Any) -> dict:
    """The principal as a unit of work's line names it."""
    return {"user": principal.user, "role": principal.role, "office": principal.office}
