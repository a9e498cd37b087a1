"""`make bench-e2e` does what it claims (a smoke run: its own platform as `make run` starts it,
one client, a few commands; no timing is asserted)."""

import json
import math

from bench import e2e


def test_a_short_run_reports_every_figure_for_every_process(capsys):
    assert e2e.main(["--clients", "1", "--seconds", "1", "--warmup", "3", "--idle-seconds", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [row] = report["levels"]
    assert row["clients"] == 1 and row["commands"] > 0
    assert row["errors"] == 0 and row["not_in_ledger"] == 0  # every command's event reached the ledger
    for _, key, _ in e2e.COLUMNS:
        assert math.isfinite(row[key]), key  # each process found, each latency measured
    assert row["cpu_platform_ms"] > 0 and row["ledger_p50_ms"] >= row["p50_ms"] > 0
    assert report["at_rest"]["platform"] > 0 and set(report["at_rest"]) >= set(e2e.PROCESSES)
    assert set(report["backlog"]) == {"clues", "cases", "sanctions", "audit"}
    assert all(figures and "unanswered" not in figures for figures in report["backlog"].values())
