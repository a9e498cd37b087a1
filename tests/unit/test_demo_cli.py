"""`jjjc demo` (issue 29 point 1) without a platform: --help names its options; a wrong size and a
missing signing key are usage errors (exit 2) saying what to give; the summary says a second run
added nothing, where the replay page is and how to get a token for someone who may see the case;
a refusal of our own request id with other content counts as done before (and only that)."""

import grpc
import pytest
from typer.testing import CliRunner

from tools.demo.cli import page_url, summary
from tools.demo.loader import DemoReport
from tools.demo.session import done_before, refused
from tools.jjjc.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("TOKEN_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("AUDIT_PAGE_PORT", raising=False)
    return tmp_path


def test_help_names_the_options():
    got = runner.invoke(app, ["demo", "--help"])
    assert got.exit_code == 0
    for option in ("--size", "--seed", "--key-file", "--quiet", "small", "normal"):
        assert option in got.output


def test_a_wrong_size_and_a_missing_key_are_usage_errors(tmp_path):
    got = runner.invoke(app, ["demo", "--size", "huge"])
    assert got.exit_code == 2 and "--size 'huge': one of small, normal" in got.output
    got = runner.invoke(app, ["demo", "--size", "small", "--quiet"])
    assert got.exit_code == 2 and f"no token signing key at {tmp_path}/keys/token-signing.key" in got.output


def test_the_summary_of_a_second_run_says_nothing_was_added(monkeypatch):
    report = DemoReport(1, "small", steps=120, already=120, sent=20, parts={"tour": True, "case0": True})
    report.case_ids, report.tour_round, report.notices = ["case-1234"], "tour-9", ["DB-2026-1-07", "DB-2026-1-08"]
    text = summary(report, 0.4, "http://127.0.0.1:52054/")
    assert text.startswith("already loaded: 120 of 120 steps (seed 1, small); nothing added")
    assert "replay page: http://127.0.0.1:52054/  subject: case-1234" in text
    assert "supervision notices DB-2026-1-07 (met), DB-2026-1-08 (open)" in text
    assert "jjjc token issue --agency commission --office case_management --role case_manager" in text
    first = DemoReport(1, "small", steps=120, sent=120, parts={"tour": False, "case0": True})
    assert summary(first, 3.2, "u").startswith("loaded the small demo of seed 1 in 3 s: 120 calls; 1 of 2 parts")


def test_the_page_is_beside_audit_unless_configured(monkeypatch):
    assert page_url({"audit": "127.0.0.1:50054"}) == "http://127.0.0.1:52054/"
    monkeypatch.setenv("AUDIT_PAGE_PORT", "8443")
    assert page_url({"audit": "10.0.0.5:50054"}) == "http://10.0.0.5:8443/"


def refusal(code, details):
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)


def test_only_our_request_id_reused_with_another_time_counts_as_done_before():
    reused = "x-request-id: already used for a different request; use a new request id for a new operation"
    assert done_before(refusal(grpc.StatusCode.INVALID_ARGUMENT, reused))
    assert not done_before(refusal(grpc.StatusCode.INVALID_ARGUMENT, "meeting.held_at: is before the case's last step"))
    assert not done_before(refusal(grpc.StatusCode.FAILED_PRECONDITION, reused))


def test_a_refusal_names_the_step_and_a_silent_platform_says_to_start_it():
    silent = refused("n0-clue: ClueService.RegisterClue as wang.fang", refusal(grpc.StatusCode.UNAVAILABLE, "down"))
    assert (silent.code, str(silent)) == (
        grpc.StatusCode.UNAVAILABLE,
        "n0-clue: ClueService.RegisterClue as wang.fang: UNAVAILABLE: down (is the platform running? make run)",
    )
    assert "make run" not in str(refused("x", refusal(grpc.StatusCode.NOT_FOUND, "clue-1 not found")))
