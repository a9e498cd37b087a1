"""jjjc: the operators' one command-line tool (issue 28).

`.venv/bin/jjjc --help` (installed by `make install`, console script of pyproject.toml), or
`python -m tools.jjjc`. Every command resolves the data folder and settings as `make run` does
(DATA_DIR, PLATFORM_FILE, <SERVICE>_GRPC_PORT, <SERVICE>_DATABASE_URL, ...: tools/jjjc/env.py).
"""
