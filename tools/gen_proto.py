"""Regenerate gen/ from proto/: protobuf messages, gRPC stubs and type stubs.

Run as `make proto`. The output package is never edited by hand; a unit test regenerates into a
temporary folder and fails when the committed gen/ is stale.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"


def proto_files() -> list[Path]:
    return sorted(PROTO.rglob("*.proto"))


def generate(out: Path) -> None:
    """Compile every .proto under proto/ into `out`, with __init__.py in every package folder."""
    out.mkdir(parents=True, exist_ok=True)
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO}",
        f"-I{include}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *[str(p.relative_to(PROTO)) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")
    for folder in [p for p in out.rglob("*") if p.is_dir()]:
        (folder / "__init__.py").touch()


def main() -> None:
    target = ROOT / "gen"
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "gen")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(tmp) / "gen", target)
    print(f"regenerated {target.relative_to(ROOT)}/ from {len(proto_files())} proto files", file=sys.stderr)


if __name__ == "__main__":
    main()
