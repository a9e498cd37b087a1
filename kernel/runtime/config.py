"""Configuration files of local practice (catalogue, holiday calendar, the services' rules): TOML
read in one place, and the shape most rule files share checked in one place."""

from __future__ import annotations

import tomllib
from pathlib import Path


def read_toml(path: Path, error: type[ValueError]) -> dict:
    """The file's tables; `error` naming the file when it cannot be read or parsed."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise error(f"{path}: {e}") from e


def parse_tables(data: dict, source: str, keys_of: dict, parsers: dict, error: type[Exception], version: int) -> dict:
    """The values of a file of tables whose every key is required (`keys_of`: table -> key ->
    (field, parser name)), by field; `error` naming the file and the key at the first mistake."""

    def fail(key: str, problem: str):
        raise error(f"{source}: {key}: {problem}")

    unknown = sorted(set(data) - {"schema_version", *keys_of})
    if unknown:
        fail(unknown[0], f"unknown key (schema_version, {', '.join(f'[{t}]' for t in keys_of)})")
    if data.get("schema_version") != version:
        fail("schema_version", f"must be {version}")
    values = {}
    for table, keys in keys_of.items():
        spec = data.get(table)
        if not isinstance(spec, dict):
            fail(table, f"must be a table [{table}] with {', '.join(keys)}")
        extra = sorted(set(spec) - set(keys))
        if extra:
            fail(f"{table}.{extra[0]}", f"unknown key (one of {', '.join(keys)})")
        for key, (name, kind) in keys.items():
            if key not in spec:
                fail(f"{table}.{key}", "required")
            problem, value = parsers[kind](spec[key])
            if problem:
                fail(f"{table}.{key}", problem)
            values[name] = value
    return values
