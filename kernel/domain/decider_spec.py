"""Given/when/then for pure deciders (after emmett's DeciderSpecification).

spec = DeciderSpec(decide, fold)
spec.given([ClueRegistered(...)]).when(ProposeDisposal(...)).then([DisposalProposed(...)])
spec.given([...]).when(cmd).raises(IllegalState, current_state="RECEIVED")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DeciderSpec:
    decide: Callable
    fold: Callable

    def given(self, events: list) -> _When:
        return _When(self, list(events))


@dataclass(frozen=True)
class _When:
    spec: DeciderSpec
    events: list

    def when(self, command) -> _Then:
        return _Then(self.spec, self.events, command)


@dataclass(frozen=True)
class _Then:
    spec: DeciderSpec
    events: list
    command: object

    def run(self) -> list:
        return self.spec.decide(self.command, self.spec.fold(self.events))

    def then(self, expected: list) -> list:
        got = self.run()
        assert got == expected, f"expected {expected}\n     got {got}"
        return got

    def raises(self, error: type[Exception], **attributes) -> Exception:
        try:
            got = self.run()
        except error as e:
            for name, value in attributes.items():
                assert getattr(e, name) == value, f"{name}: expected {value!r}, got {getattr(e, name)!r}"
            return e
        raise AssertionError(f"expected {error.__name__}, got events {got}")
