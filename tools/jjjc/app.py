"""jjjc — the platform's command-line tool for operators (issue 28).

Every command finds the platform as `make run` does: the data folder from --data-dir, DATA_DIR or
the checkout's .data; addresses from {SERVICE}_GRPC_HOST/GRPC_HOST and {SERVICE}_GRPC_PORT or the
platform file (PLATFORM_FILE); databases from {SERVICE}_DATABASE_URL, DATABASE_URL or the embedded
PostgreSQL (EMBEDDED_PG_PORT). Exit status: 0 done, 1 the answer is bad (a service did not answer,
an RPC failed, tampering, a difference), 2 usage.
"""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import grpc
import typer
from rich.console import Console

from tools.jjjc import env, rpc

app = typer.Typer(
    name="jjjc",
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # paragraphs reflowed to the terminal
    pretty_exceptions_show_locals=False,  # a traceback never prints a token held in a local
    context_settings={"help_option_names": ["-h", "--help"]},
)
token_app = typer.Typer(
    help="Issue or inspect the platform's signed bearer tokens (kernel/edge/tokens_cli.py), with the "
    "signing key of --key-file, TOKEN_SIGNING_KEY_FILE or DATA_DIR/keys/token-signing.key.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(token_app, name="token")
err = Console(stderr=True)

TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="JJJC_TOKEN", help="bearer token (env JJJC_TOKEN); see `jjjc token issue`"),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds to wait for each answer")]
CaOpt = Annotated[
    Path | None,
    typer.Option("--ca-file", envvar="JJJC_CA_FILE", help="PEM roots to check the services' TLS certificates (TLS on)"),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="the service's PostgreSQL (default {SERVICE}_DATABASE_URL, DATABASE_URL, or embedded)"
    ),
]


def fail(message: str, code: int) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if not value:
        return
    from kernel.runtime.version import PACKAGE, UNKNOWN, platform_version

    found = platform_version()  # the one the services report (GetStatus, jjjc_build_info)
    print(f"{PACKAGE} {found}" if found != UNKNOWN else f"{PACKAGE} (not installed: run make install)")
    raise typer.Exit(0)


@app.callback()
def root(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="DATA_DIR", help="data folder (default: DATA_DIR, else the checkout's .data)"
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_version, help="print the platform's version and exit"),
    ] = False,
) -> None:
    env.use_data_dir(data_dir)


# ---------------------------------------------------------------------------------------- status


def _operator_token(as_principal: str) -> str | None:
    """A five-minute token for `agency/office/role/user`, signed with the data folder's key when
    that key exists (the platform `make run` started); None otherwise."""
    from kernel.domain.principal import Principal
    from kernel.edge import catalogue, tokens_cli

    key_file = env.token_key_file()
    parts = as_principal.split("/")
    if len(parts) != 4:
        raise fail(f"--as {as_principal!r}: give agency/office/role/user", 2)
    if not key_file.exists():
        return None
    token, _ = tokens_cli.issue(catalogue.load(env.catalogue_file()), key_file, Principal(*parts), 300)
    return token


@app.command()
def status(
    token: TokenOpt = None,
    as_principal: Annotated[
        str,
        typer.Option(
            "--as",
            help="without --token: sign a 5-minute token for agency/office/role/user with the data folder's key",
        ),
    ] = "commission/platform_operations/platform_operator/jjjc",
    service: Annotated[list[str] | None, typer.Option("--service", "-s", help="only this service (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    parts: Annotated[
        bool, typer.Option("--parts", help="every part of each service with all its figures, not the summary")
    ] = False,
    timeout: TimeoutOpt = 5.0,
    ca_file: CaOpt = None,
) -> None:
    """Each service's health and version, its relay (published, waiting), its consumers' backlog
    (from the producers' watermarks), timers, stuck events and problems, one row per service
    (control.v1 GetStatus), then the audit ledger's last checkpoint, completeness and witnesses.
    --parts: every part with all its figures. Exit 1 when a service does not answer."""
    from tools.jjjc import status as st

    names = service or list(env.services())
    if unknown := set(names) - set(env.services()):
        raise fail(f"status: no service {', '.join(sorted(unknown))} (services: {', '.join(env.services())})", 2)
    token = token or _operator_token(as_principal)
    md = rpc.metadata(token, None, [])
    with ThreadPoolExecutor(max_workers=len(names)) as pool:  # a silent service costs one timeout, not one each
        reports = list(pool.map(lambda name: st.read(name, md, timeout, ca_file), names))
    if as_json:
        print(json.dumps([st.as_dict(r) for r in reports], indent=2, ensure_ascii=False))
    elif parts:
        Console().print(st.table(reports))
    else:
        console = Console()
        console.print(st.summary(reports))
        for line in st.ledger_lines(reports):
            console.print(line, highlight=False)
    silent = [r.name for r in reports if not r.answered]
    if silent:
        raise fail(f"no answer from {', '.join(silent)}", 1)


# ----------------------------------------------------------------------------------------- token


@token_app.callback()
def token_options(
    ctx: typer.Context,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file", help="signing key (default: TOKEN_SIGNING_KEY_FILE or DATA_DIR/keys/token-signing.key)"
        ),
    ] = None,
    catalogue_file: Annotated[
        Path | None,
        typer.Option("--catalogue", help="catalogue (default: CATALOGUE_FILE or deploy/config/catalogue.toml)"),
    ] = None,
) -> None:
    ctx.obj = {"key_file": env.token_key_file(key_file), "catalogue": env.catalogue_file(catalogue_file)}


def _token_errors(work):
    from kernel.domain.errors import Unauthenticated
    from kernel.edge.catalogue import CatalogueError

    try:
        return work()
    except (Unauthenticated, CatalogueError, OSError) as e:
        raise fail(f"error: {e}", 2) from e


def _ttl(text: str) -> int:
    import argparse

    from kernel.edge.tokens_cli import ttl_seconds

    try:
        return ttl_seconds(text)
    except argparse.ArgumentTypeError as e:
        raise typer.BadParameter(str(e)) from e


@token_app.command("issue")
def token_issue(
    ctx: typer.Context,
    agency: Annotated[str, typer.Option("--agency", help="agency code, e.g. commission")],
    office: Annotated[str, typer.Option("--office", help="office code, e.g. case_management")],
    role: Annotated[str, typer.Option("--role", help="role code, e.g. case_manager")],
    user: Annotated[str, typer.Option("--user", help="personnel-system user id, or a partner system's name")],
    ttl: Annotated[str, typer.Option("--ttl", help="lifetime, e.g. 8h, 30d")] = "8h",
) -> None:
    """Issue a token for a catalogued user or partner system (the key is created on first use)."""
    from kernel.domain.principal import Principal
    from kernel.edge import catalogue, tokens_cli

    seconds = _ttl(ttl)
    token, said = _token_errors(
        lambda: tokens_cli.issue(
            catalogue.load(ctx.obj["catalogue"]), ctx.obj["key_file"], Principal(agency, office, role, user), seconds
        )
    )
    print(token)
    print(said, file=sys.stderr)


@token_app.command("inspect")
def token_inspect(ctx: typer.Context, token: Annotated[str, typer.Argument(help="the token")]) -> None:
    """Verify a token against the platform's key and print its principal, expiry and the key file
    it was checked against; a token signed by another key says so and names that file."""
    from kernel.edge import catalogue, tokens_cli

    key_file = ctx.obj["key_file"]
    claims = _token_errors(lambda: tokens_cli.inspect(catalogue.load(ctx.obj["catalogue"]), key_file, token))
    print(tokens_cli.describe(claims, key_file))


@token_app.command("public-key")
def token_public_key(ctx: typer.Context) -> None:
    """Print the public key the services verify tokens with (PEM)."""
    from kernel.edge import tokens

    key = _token_errors(lambda: tokens.load_or_create_private_key(ctx.obj["key_file"]))
    sys.stdout.write(tokens.public_pem(key.public_key()).decode())


# ------------------------------------------------------------------------------------------ call


@app.command()
def call(
    method: Annotated[
        str, typer.Argument(help="SERVICE.METHOD, e.g. clues.v1.ClueService.RegisterClue or ClueService/RegisterClue")
    ],
    request: Annotated[str, typer.Argument(help="the request as JSON, @FILE, or - for standard input")] = "{}",
    service: Annotated[
        str | None,
        typer.Option(
            "--service", "-s", help="which service to ask (default: the contract's package, e.g. clues for clues.v1)"
        ),
    ] = None,
    address: Annotated[str | None, typer.Option("--address", help="host:port to ask instead")] = None,
    token: TokenOpt = None,
    request_id: Annotated[
        str | None, typer.Option("--request-id", help="x-request-id (commands: idempotency key)")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("-H", "--header", help="more metadata, key=value (repeatable)")
    ] = None,
    timeout: TimeoutOpt = 30.0,
    ca_file: CaOpt = None,
) -> None:
    """Call any RPC of the contracts by reflection over the local descriptor pool: JSON in, JSON
    out. A refusal prints "CODE: details" (and the fields it names) and exits 1."""
    try:
        target = _rpc_target(method, service, address)
        found = rpc.find(method)
        message = found.request(rpc.read_json(request))
        md = rpc.metadata(token, request_id, header or [])
        with rpc.channel(target, ca_file) as ch:
            for response in rpc.invoke(ch, found, message, md, timeout):
                print(rpc.to_json(response))
    except rpc.UsageError as e:
        raise fail(f"call: {e}", 2) from e
    except grpc.RpcError as e:
        raise fail(rpc.describe_error(e), 1) from e


def _rpc_target(method: str, service: str | None, address: str | None) -> str:
    if address:
        return address
    names = env.services()
    if service:
        if service not in names:
            raise rpc.UsageError(f"--service {service!r}: one of {', '.join(names)}")
        return env.address(service)
    package = rpc.find(method).package.split(".")[0]
    if package not in names:
        raise rpc.UsageError(
            f"{rpc.find(method).path} is offered by every service: say which with --service ({', '.join(names)})"
        )
    return env.address(package)


# ---------------------------------------------------------------------------- rebuild and audit


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="whose projections (a service of the platform file)")],
    projection: Annotated[
        list[str] | None, typer.Option("--projection", help="only this projection (repeatable; default all)")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="compare only; leave the live tables as they are")] = False,
    database_url: DbOpt = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="the service's schema (default {SERVICE}_DATABASE_SCHEMA or its name)"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Rebuild a service's projections from their source events (progress bar with an ETA) and
    compare them with the live tables. Exit 1 when --check found a difference or a replacement was
    refused."""
    from tools.jjjc import ledger

    raise typer.Exit(asyncio.run(ledger.rebuild(service, projection or [], check, database_url, schema, quiet)))


@app.command()
def verify(
    database_url: DbOpt = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="the audit schema (default AUDIT_DATABASE_SCHEMA or audit)")
    ] = None,
    verifier_key: Annotated[
        str | None,
        typer.Option("--verifier-key", help="C2SP verifier key (default: from DATA_DIR/keys/ledger-signing.key)"),
    ] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="require this checkpoint origin line")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Re-read the audit ledger against its signed checkpoints (services/audit/verify.py).
    Exit 0 intact, 1 tampered, 2 usage."""
    from tools.jjjc import ledger

    raise typer.Exit(ledger.verify(database_url, schema, verifier_key, origin, quiet))


@app.command()
def reconcile(
    database_url: DbOpt = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="the audit schema (default AUDIT_DATABASE_SCHEMA or audit)")
    ] = None,
    producer: Annotated[
        list[str] | None,
        typer.Option(
            "--producer", help="NAME[:SCHEMA][=URL] (repeatable; default every producer, as jjjc resolves it)"
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="differences listed at most (0: all)")] = 100,
) -> None:
    """Is every producer event in the audit ledger, once, byte for byte (services/audit/reconcile.py)?
    Exit 0 exact, 1 a difference, 2 usage."""
    from tools.jjjc import ledger

    raise typer.Exit(ledger.reconcile(database_url, schema, producer or [], limit))


@app.command()
def export(
    stream_id: Annotated[str, typer.Argument(help="the stream, e.g. clue-<uuid>")],
    purpose: Annotated[str, typer.Option("--purpose", help="why you read (recorded with the read)")],
    whole_story: Annotated[
        bool, typer.Option("--whole-story", help="the whole story of a clue, case or decision")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="with --whole-story: as it stood then (RFC 3339)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the bundle here (default: standard output)")
    ] = None,
    token: TokenOpt = None,
    address: Annotated[str | None, typer.Option("--address", help="the audit service's host:port instead")] = None,
    timeout: TimeoutOpt = 120.0,
    ca_file: CaOpt = None,
) -> None:
    """Export a stream's history as a verifiable bundle (audit.v1 ExportHistoryBundle), to check
    offline with python -m services.audit.verify_bundle."""
    body = {"stream_id": stream_id, "purpose": purpose, "whole_story": whole_story}
    if as_of:
        body["as_of"] = as_of
    try:
        found = rpc.find("audit.v1.AuditService.ExportHistoryBundle")
        with rpc.channel(address or env.address("audit"), ca_file) as ch:
            [got] = rpc.invoke(ch, found, found.request(json.dumps(body)), rpc.metadata(token, None, []), timeout)
    except rpc.UsageError as e:
        raise fail(f"export: {e}", 2) from e
    except grpc.RpcError as e:
        raise fail(rpc.describe_error(e), 1) from e
    if output:
        output.write_bytes(got.bundle)
    else:
        sys.stdout.buffer.write(got.bundle + b"\n")
    err.print(
        f"{got.events} events proven in the checkpoint of size {got.tree_size}; "
        + (f"witnessed by {', '.join(got.cosigners)}" if got.witnessed else "not witnessed")
        + (f"; written to {output}" if output else "")
    )


# ------------------------------------------------------------------------------------------ demo


@app.command()
def demo(
    size: Annotated[str, typer.Option("--size", help="small (seconds) or normal (under 2 minutes)")] = "normal",
    seed: Annotated[int, typer.Option("--seed", help="which generated history: the same seed, the same data")] = 1,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="token signing key (default: TOKEN_SIGNING_KEY_FILE or DATA_DIR/keys/...)"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Load a generated demo history into the running platform through its gRPC API (tools/demo):
    seed 004's notices and reconciliation, a seed 001 tour round, cases with measures, decisions
    executed by partner agencies, an integrity request. Safe to run twice: a second run adds
    nothing and says so. Exit 0 loaded, 1 the platform refused or did not answer, 2 usage."""
    from tools.demo import cli

    raise typer.Exit(cli.run(size, seed, env.token_key_file(key_file), quiet))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
