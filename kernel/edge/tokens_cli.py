"""Issue and inspect the platform's signed bearer tokens.

  python -m kernel.edge.tokens_cli issue --agency commission --office case_management \\
      --role case_manager --user P-10023 --ttl 8h
  python -m kernel.edge.tokens_cli issue --agency procuratorate --office prosecution_intake \\
      --role partner_system --user procuratorate-intake-gateway --ttl 30d
  python -m kernel.edge.tokens_cli inspect <token>
  python -m kernel.edge.tokens_cli public-key

The principal is checked against the catalogue before a token is issued. The signing key is
TOKEN_SIGNING_KEY_FILE, or DATA_DIR/keys/token-signing.key (created on first use: the embedded
default). Send the token as gRPC metadata `authorization: Bearer <token>`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from kernel.domain.errors import Unauthenticated
from kernel.domain.principal import Principal
from kernel.edge import catalogue, tokens
from kernel.edge.catalogue import CatalogueError

_TTL = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def ttl_seconds(text: str) -> int:
    m = _TTL.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: use a positive number with s, m, h or d, e.g. 8h or 30d")
    return int(m.group(1)) * _UNIT[m.group(2)]


def default_key_file() -> Path:
    return Path(
        os.environ.get("TOKEN_SIGNING_KEY_FILE")
        or Path(os.environ.get("DATA_DIR", ".data")) / "keys" / "token-signing.key"
    ).resolve()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kernel.edge.tokens_cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help="signing key (default: TOKEN_SIGNING_KEY_FILE or DATA_DIR/keys/token-signing.key)",
    )
    p.add_argument(
        "--catalogue",
        type=Path,
        default=None,
        help="catalogue file (default CATALOGUE_FILE or deploy/config/catalogue.toml)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    issue = sub.add_parser("issue", help="issue a token for a user or a partner system")
    for name, what in (
        ("agency", "agency code, e.g. commission"),
        ("office", "office code, e.g. case_management"),
        ("role", "role code, e.g. case_manager"),
        ("user", "personnel-system user id, or a partner system's name"),
    ):
        issue.add_argument(f"--{name}", required=True, help=what)
    issue.add_argument("--ttl", type=ttl_seconds, default=ttl_seconds("8h"), help="lifetime, e.g. 8h, 30d (default 8h)")
    inspect = sub.add_parser("inspect", help="verify a token and print its principal and expiry")
    inspect.add_argument("token")
    sub.add_parser("public-key", help="print the public key services verify with (PEM)")
    return p


def issue(cat, key_file: Path, principal: Principal, ttl: int) -> tuple[str, str]:
    """A signed token for a catalogued principal (the key created on first use, as `make run`
    does) and the sentence saying for whom and with which key."""
    principal = cat.check_principal(principal)
    token = tokens.TokenSigner(tokens.load_or_create_private_key(key_file)).issue(principal, ttl)
    return token, (
        f"issued for {principal.user} ({principal.role} in {principal.office}, {principal.agency}); "
        f"expires in {ttl} s; signed with {key_file}"
    )


def inspect(cat, key_file: Path, token: str) -> tokens.Claims:
    """The token's claims, checked against the public half of `key_file` (never created here).
    A token signed by another key says so and names the key file it was checked against."""
    if not key_file.exists():
        raise Unauthenticated(
            f"no signing key at {key_file} to check the token against; give --key-file, or the "
            f"DATA_DIR the platform runs with"
        )
    try:
        claims = tokens.TokenVerifier([tokens.load_private_key(key_file).public_key()]).verify(token)
    except Unauthenticated as e:
        if "signature" not in str(e):
            raise
        data_dir = Path(os.environ.get("DATA_DIR", ".data")).resolve()
        raise Unauthenticated(
            f"{e}: it was signed by another key than the one it was checked against, {key_file} "
            f"(DATA_DIR {data_dir}); give the DATA_DIR the platform runs with, or --key-file"
        ) from e
    cat.check_principal(claims.principal)
    return claims


def describe(claims: tokens.Claims, key_file: Path) -> str:
    return (
        f"valid: {claims.principal}\nexpires: "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(claims.expires_at))}\nchecked against: {key_file}"
    )


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    key_file = args.key_file or default_key_file()
    try:
        cat = catalogue.load(args.catalogue)
        if args.command == "issue":
            token, said = issue(cat, key_file, Principal(args.agency, args.office, args.role, args.user), args.ttl)
            print(token)
            print(said, file=sys.stderr)
        elif args.command == "inspect":
            print(describe(inspect(cat, key_file, args.token), key_file))
        else:
            sys.stdout.write(tokens.public_pem(tokens.load_or_create_private_key(key_file).public_key()).decode())
    except (Unauthenticated, CatalogueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
