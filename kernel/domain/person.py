"""The person an event is about, as every service's domain holds it (`common.v1.PersonRef`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """`person_id` is the personnel system's id, one across services; the rest is display data
    copied at the time of the event."""

    person_id: str
    name: str
    post: str = ""
    unit: str = ""
