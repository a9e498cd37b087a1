"""Fixtures shared by the end-to-end modules.

`shared_platform`: clues and audit of the shipped COUNTY commission, started once for the session
by the first module that names it, for the stories that can share it: each uses fresh ids and
counts only what it made (or what a refused call could have made, with nothing else running), no
settable clock, no restart, no other service (a cases service would answer clues' filing
proposals). A module that moves a clock, restarts or kills a service, adds a service or counts a
whole schema while others write starts its own platform (tests/e2e/platforms.py)."""

from __future__ import annotations

from tests.e2e.platforms import platform_fixture

shared_platform = platform_fixture("sh", ("clues", "audit"), scope="session", clocked=None)
