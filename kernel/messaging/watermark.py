"""What a relay says it has published, so a consumer can tell a loss from an event in flight.

* Every published record carries its store position (the relay's gap-free reading order, see
  `kernel.eventstore.store`: `(order_key, position)`) in the Kafka header `store-position` as
  "<order_key>:<position>". The envelope bytes stay unchanged (leaf hashes never move).
* A watermark says: every event of the topic's store up to `through` (inclusive) is published,
  `count` of them. The relay writes it to every partition after the broker acknowledged the
  events it covers, so a consumer that has read the watermark on every partition has read every
  event it covers; events after it are in flight, never gaps. `epoch` is the relay's marker: a
  watermark is compared only with others of its epoch (a broker restarted empty starts a new one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import total_ordering

POSITION_HEADER = "store-position"
WATERMARK_KEY = b"__relay_watermark__"


@total_ordering
@dataclass(frozen=True)
class Position:
    """A store position: the relay reads and publishes in this order."""

    order_key: int = 0
    position: int = 0

    def __lt__(self, other: Position) -> bool:
        return (self.order_key, self.position) < (other.order_key, other.position)

    def encode(self) -> str:
        return f"{self.order_key}:{self.position}"

    @classmethod
    def decode(cls, text: str) -> Position:
        """ValueError for anything but "<int>:<int>" of non-negative numbers."""
        order_key, sep, position = text.partition(":")
        if not sep or not order_key.isdigit() or not position.isdigit():
            raise ValueError(f"not a store position: {text!r}")
        return cls(int(order_key), int(position))


def position_of(headers) -> Position | None:
    """The store position a record's headers carry, if any (older records carry none)."""
    for key, value in headers or ():
        if key == POSITION_HEADER:
            try:
                return Position.decode(bytes(value).decode())
            except (ValueError, UnicodeDecodeError):
                return None
    return None


@dataclass(frozen=True)
class Watermark:
    topic: str
    epoch: str
    through: Position
    count: int  # events in the store up to `through`, inclusive
    partitions: int  # the topic's partitions: a watermark is complete once read on each

    def encode(self) -> bytes:
        return json.dumps(
            {
                "topic": self.topic,
                "epoch": self.epoch,
                "through": self.through.encode(),
                "count": self.count,
                "partitions": self.partitions,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Watermark:
        """ValueError for anything malformed."""
        try:
            data = json.loads(raw)
            mark = cls(
                data["topic"], data["epoch"], Position.decode(data["through"]), data["count"], data["partitions"]
            )
        except (TypeError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"malformed watermark: {e}") from e
        if not (
            isinstance(mark.count, int)
            and mark.count >= 0
            and isinstance(mark.partitions, int)
            and mark.partitions >= 1
            and isinstance(mark.epoch, str)
            and isinstance(mark.topic, str)
        ):
            raise ValueError(f"malformed watermark: {data}")
        return mark
