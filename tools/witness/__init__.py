"""A C2SP tlog-witness for the audit ledger: protocol (pure decision), store (SQLite), server (aiohttp), CLI."""
