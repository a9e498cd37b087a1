"""jjjc (issue 28 point 1): every command's --help exits 0 and names its options; `call` finds any
RPC of the contracts by name through the local descriptor pool and says what to change in the
operator's words (exit 2) or the refusal as "CODE: details" (exit 1); `token inspect` names the
key file a token was checked against, resolved from DATA_DIR as `make run` does; `verify` exits
2 (usage), never 1 (tampered), without a key."""

import socket

import pytest
from typer.testing import CliRunner

from tools.jjjc import env, rpc
from tools.jjjc.app import app

runner = CliRunner()

HELP = [
    ([], ["--data-dir", "--version", "status", "token", "call", "rebuild", "verify", "reconcile", "export"]),
    (["status"], ["--token", "--as", "--service", "--json", "--timeout", "--ca-file"]),
    (["token"], ["--key-file", "--catalogue", "issue", "inspect", "public-key"]),
    (["token", "issue"], ["--agency", "--office", "--role", "--user", "--ttl"]),
    (["token", "inspect"], ["TOKEN"]),
    (["token", "public-key"], ["--help"]),
    (["call"], ["METHOD", "REQUEST", "--service", "--address", "--token", "--request-id", "--header", "--timeout"]),
    (["rebuild"], ["SERVICE", "--projection", "--check", "--database-url", "--schema", "--quiet"]),
    (["verify"], ["--database-url", "--schema", "--verifier-key", "--origin", "--quiet"]),
    (["reconcile"], ["--database-url", "--schema", "--producer", "--limit"]),
    (["export"], ["STREAM_ID", "--purpose", "--whole-story", "--as-of", "--output", "--token", "--address"]),
]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """jjjc exports DATA_DIR; monkeypatch puts the test's own back afterwards."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("JJJC_TOKEN", raising=False)
    monkeypatch.delenv("TOKEN_SIGNING_KEY_FILE", raising=False)
    return tmp_path


@pytest.mark.parametrize(("command", "names"), HELP, ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_every_commands_help_exits_0_and_names_its_options(command, names):
    got = runner.invoke(app, [*command, "--help"])
    assert got.exit_code == 0, got.output
    text = got.output.upper()
    assert all(n.upper() in text for n in names), [n for n in names if n.upper() not in text]


@pytest.mark.parametrize(
    "text",
    [
        "clues.v1.ClueService.RegisterClue",
        "clues.v1.ClueService/RegisterClue",
        "/clues.v1.ClueService/RegisterClue",
        "ClueService.RegisterClue",
    ],
)
def test_call_finds_a_method_by_any_spelling_of_its_name(text):
    found = rpc.find(text)
    assert found.path == "/clues.v1.ClueService/RegisterClue" and found.package == "clues.v1"


def test_every_service_of_the_contracts_is_known_from_the_local_descriptors():
    known = rpc.services()
    assert {"clues.v1.ClueService", "audit.v1.AuditService", "control.v1.ControlService"} <= set(known)


def test_metadata_comes_from_the_token_the_request_id_and_headers():
    md = rpc.metadata("T", "R-1", ["x-correlation-id=c-9", "X-Extra = a=b"])
    assert md == [
        ("authorization", "Bearer T"),
        ("x-request-id", "R-1"),
        ("x-correlation-id", "c-9"),
        ("x-extra", " a=b"),
    ]
    with pytest.raises(rpc.UsageError, match="key=value"):
        rpc.metadata(None, None, ["nope"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["call", "clues.v1.ClueService.Nope"], "has no method 'Nope'"),
        (["call", "clues.v1.ClueService"], "give a method of clues.v1.ClueService: RegisterClue, GetClue"),
        (["call", "NoSuchService.Get"], "no service 'NoSuchService'"),
        (["call", "clues.v1.ClueService.GetClue", '{"x": 1}'], "not a clues.v1.GetClueRequest"),
        (["call", "clues.v1.ClueService.GetClue", "{not json"], "not a clues.v1.GetClueRequest"),
        (["call", "control.v1.ControlService.GetStatus"], "say which with --service"),
        (["call", "ClueService.GetClue", "-H", "novalue"], "key=value"),
        (["call", "ClueService.GetClue", "@/nonexistent/req.json"], "cannot read the request file"),
    ],
)
def test_call_says_what_to_change_with_exit_2(args, says):
    got = runner.invoke(app, args)
    assert got.exit_code == 2, got.output
    assert says in got.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_call_to_a_service_that_does_not_answer_prints_code_and_details_and_exits_1():
    got = runner.invoke(
        app, ["call", "ClueService.GetClue", "{}", "--address", f"127.0.0.1:{free_port()}", "--timeout", "3"]
    )
    assert got.exit_code == 1
    assert got.output.startswith("UNAVAILABLE: ")


def test_status_exits_1_and_names_the_services_that_do_not_answer(monkeypatch):
    monkeypatch.setenv("CLUES_GRPC_PORT", str(free_port()))
    got = runner.invoke(app, ["status", "-s", "clues", "--json", "--timeout", "2"])
    assert got.exit_code == 1
    assert "no answer from clues" in got.output and '"health": "no answer"' in got.output


def issue(*extra) -> str:
    got = runner.invoke(
        app,
        [
            "token",
            *extra,
            "issue",
            "--agency",
            "commission",
            "--office",
            "platform_operations",
            "--role",
            "platform_operator",
            "--user",
            "u-ops",
        ],
    )
    assert got.exit_code == 0, got.output
    return got.stdout.strip()


def test_token_issue_and_inspect_use_the_data_folder_key_and_name_it(data_dir):
    token = issue()
    key_file = data_dir / "keys" / "token-signing.key"
    assert key_file.exists()
    got = runner.invoke(app, ["token", "inspect", token])
    assert got.exit_code == 0, got.output
    assert "platform_operator" in got.stdout and f"checked against: {key_file}" in got.stdout


def test_a_token_signed_by_another_key_says_so_and_names_the_key_file_it_was_checked_against(
    data_dir, tmp_path_factory
):
    other = tmp_path_factory.mktemp("other-platform")
    token = issue("--key-file", str(other / "k.key"))
    issue()  # the data folder's own key
    got = runner.invoke(app, ["token", "inspect", token])
    assert got.exit_code == 2
    assert "signed by another key" in got.output
    assert str(data_dir / "keys" / "token-signing.key") in got.output and f"DATA_DIR {data_dir}" in got.output


def test_the_data_folder_option_wins_over_data_dir_as_make_run_does(data_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    runner.invoke(app, ["--data-dir", str(elsewhere), "token", "public-key"])
    assert (elsewhere / "keys" / "token-signing.key").exists()
    assert not (data_dir / "keys").exists()


def test_token_inspect_without_a_key_names_where_it_looked_and_creates_none(data_dir):
    got = runner.invoke(app, ["token", "inspect", "jjjc1.x.y"])
    assert got.exit_code == 2
    assert f"no signing key at {data_dir / 'keys' / 'token-signing.key'}" in got.output
    assert not (data_dir / "keys").exists()


def test_without_data_dir_the_checkout_data_folder_is_used(monkeypatch):
    monkeypatch.delenv("DATA_DIR")
    assert env.data_dir() == env.ROOT / ".data"
    monkeypatch.setenv("DATA_DIR", "rel")
    assert env.data_dir().is_absolute() and env.data_dir().name == "rel"


def test_verify_without_a_key_is_a_usage_error_exit_2_not_tampering(data_dir):
    """services/audit/verify.py: 0 intact, 1 tampered, 2 usage (issue 28)."""
    got = runner.invoke(app, ["verify", "--database-url", f"postgresql://x@127.0.0.1:{free_port()}/x"])
    assert got.exit_code == 2
    assert f"no signing key at {data_dir / 'keys' / 'ledger-signing.key'}" in got.output


def test_verify_with_a_malformed_verifier_key_is_a_usage_error_exit_2():
    got = runner.invoke(app, ["verify", "--database-url", "postgresql://x@127.0.0.1:1/x", "--verifier-key", "bogus"])
    assert got.exit_code == 2


def test_verify_with_a_database_that_cannot_be_read_exits_2(data_dir):
    from kernel.edge import tokens

    tokens.load_or_create_private_key(data_dir / "keys" / "ledger-signing.key")
    got = runner.invoke(app, ["verify", "--database-url", f"postgresql://x@127.0.0.1:{free_port()}/x"])
    assert got.exit_code == 2
    assert "cannot be read" in got.output


def test_rebuild_of_an_unknown_service_is_a_usage_error():
    got = runner.invoke(app, ["rebuild", "nosuch", "--database-url", "postgresql://x@127.0.0.1:1/x"])
    assert got.exit_code == 2
    assert "no service 'nosuch'" in got.output


def test_rebuild_with_a_database_that_cannot_be_reached_is_a_usage_error_not_a_traceback():
    got = runner.invoke(app, ["rebuild", "clues", "--database-url", f"postgresql://x@127.0.0.1:{free_port()}/x"])
    assert got.exit_code == 2
    assert "cannot reach clues's database" in got.output and "Traceback" not in got.output


def test_version_names_the_installed_platform():
    got = runner.invoke(app, ["--version"])
    assert got.exit_code == 0 and got.stdout.startswith("jjjc-platform ")
