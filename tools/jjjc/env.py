"""Where things are, resolved as `make run` resolves them (kernel/runtime/runner.py and
kernel/runtime/settings.py), so that jjjc talks to the platform `make run` started:

* data folder: --data-dir, else DATA_DIR (relative to the current folder, as the runner takes
  it), else the checkout's .data (where `make run` puts it); exported as DATA_DIR to what jjjc
  wraps (the token key, the ledger key);
* a service's gRPC address: <SERVICE>_GRPC_HOST or GRPC_HOST (default 127.0.0.1), and
  <SERVICE>_GRPC_PORT or its port in the platform file (PLATFORM_FILE, default
  deploy/config/platform.toml);
* a service's database: <SERVICE>_DATABASE_URL or DATABASE_URL, else the embedded PostgreSQL
  `make run` starts (127.0.0.1, EMBEDDED_PG_PORT, default 55432);
* the catalogue: CATALOGUE_FILE, else deploy/config/catalogue.toml.
"""

from __future__ import annotations

import os
from pathlib import Path

from kernel.runtime.platform import load_platform, platform_file

ROOT = Path(__file__).resolve().parents[2]


def data_dir(option: Path | None = None) -> Path:
    text = option or os.environ.get("DATA_DIR")
    return Path(text).resolve() if text else ROOT / ".data"


def use_data_dir(option: Path | None = None) -> Path:
    """Resolve the data folder and export it as DATA_DIR for the modules jjjc wraps."""
    data = data_dir(option)
    os.environ["DATA_DIR"] = str(data)
    return data


def services() -> tuple[str, ...]:
    return load_platform(platform_file()).names


def address(service: str) -> str:
    up = service.upper()
    host = os.environ.get(f"{up}_GRPC_HOST") or os.environ.get("GRPC_HOST") or "127.0.0.1"
    port = os.environ.get(f"{up}_GRPC_PORT") or str(load_platform(platform_file()).service(service).port)
    return f"{host}:{port}"


def database_url(service: str) -> str:
    return (
        os.environ.get(f"{service.upper()}_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or f"postgresql://postgres@127.0.0.1:{os.environ.get('EMBEDDED_PG_PORT') or 55432}/postgres"
    )


def catalogue_file(option: Path | None = None) -> Path | None:
    return option or (Path(os.environ["CATALOGUE_FILE"]) if os.environ.get("CATALOGUE_FILE") else None)


def token_key_file(option: Path | None = None) -> Path:
    """The platform's token signing key: --key-file, TOKEN_SIGNING_KEY_FILE, DATA_DIR/keys/..."""
    from kernel.edge.tokens_cli import default_key_file

    return option.resolve() if option else default_key_file()
