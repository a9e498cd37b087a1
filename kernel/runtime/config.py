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

    hints = {table: f" with {', '.join(keys)}" for table, keys in keys_of.items()}
    tables = top_tables(data, source, list(keys_of), error, version, hints)
    values = {}
    for table, keys in keys_of.items():
        spec = tables[table]
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


def top_tables(
    data: dict, source: str, tables: list[str], error: type[Exception], version: int, hints: dict | None = None
) -> dict[str, dict]:
    """The file's required top-level tables, by name, after checking that it names no other key and
    states `schema_version` = `version`; `error` naming the file and the key at the first mistake
    (`hints`: table -> what to add to "must be a table [t]")."""

    def fail(key: str, problem: str):
        raise error(f"{source}: {key}: {problem}")

    unknown = sorted(set(data) - {"schema_version", *tables})
    if unknown:
        fail(unknown[0], f"unknown key (schema_version, {', '.join(f'[{t}]' for t in tables)})")
    if data.get("schema_version") != version:
        fail("schema_version", f"must be {version}")
    found = {}
    for name in tables:
        table = data.get(name)
        if not isinstance(table, dict):
            fail(name, f"must be a table [{name}]{(hints or {}).get(name, '')}")
        found[name] = table
    return found
