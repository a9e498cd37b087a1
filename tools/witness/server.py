"""The witness's HTTP interface (c2sp.org/tlog-witness) on aiohttp; submission and monitoring prefix are "/".

  POST /add-checkpoint             old size, consistency proof, checkpoint -> one cosignature/v1 line (200),
                                   or the refusal of tools.witness.protocol (400 403 404 409 422);
                                   a body over MAX_BODY bytes is 413
  GET  /<sha256(origin) hex>/checkpoint
                                   the latest checkpoint cosigned for that log: its text, the log signature(s)
                                   the witness verified and the witness's cosignature; 404 if none

Answers are short text, never a stack trace; every request is logged through structlog (kernel.runtime.log).
The store's blocking SQLite calls run in a worker thread; the cosignature is made only after the new
latest checkpoint is committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel.runtime import log as logging
from services.audit.domain.checkpoint import NoteVerifier, split_note
from services.audit.domain.cosignature import Cosigner
from tools.witness.protocol import TEXT_TYPE, Cosign, Malformed, parse_add_checkpoint
from tools.witness.store import WitnessStore

MAX_BODY = 64 * 1024  # a checkpoint with 100 signature lines and 63 proof lines is well below this

log = logging.get("witness")


def trusted_logs(logs: Iterable[str | NoteVerifier]) -> dict[str, list[NoteVerifier]]:
    """Map each log origin to its keys; a log's vkey name is its origin (tlog-policy, "Defining a log")."""
    trusted: dict[str, list[NoteVerifier]] = {}
    for key in logs:
        verifier = key if isinstance(key, NoteVerifier) else NoteVerifier(key)
        trusted.setdefault(verifier.name, []).append(verifier)
    return trusted


def _text(status: int, text: str, content_type: str = TEXT_TYPE) -> web.Response:
    body = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    return web.Response(status=status, body=body, headers={"Content-Type": content_type})


class Witness:
    """The handlers, over one cosigner, the trusted log keys and the store."""

    def __init__(
        self, cosigner: Cosigner, trusted: dict[str, list[NoteVerifier]], store: WitnessStore, clock=time.time
    ):
        self.cosigner, self.trusted, self.store, self.clock = cosigner, trusted, store, clock
        self._by_hash = {hashlib.sha256(origin.encode("utf-8")).hexdigest(): origin for origin in trusted}

    async def add_checkpoint(self, request: web.Request) -> web.Response:
        raw = await request.read()  # over client_max_size: 413, raised by aiohttp
        try:
            parsed = parse_add_checkpoint(raw)
        except Malformed as e:
            log.info("witness.refused", status=400, reason=str(e), peer=request.remote)
            return _text(400, str(e))
        now = int(self.clock())
        outcome = await asyncio.to_thread(self.store.add_checkpoint, parsed, self.trusted, now, raw)
        if isinstance(outcome, Cosign):  # committed: only now is the cosignature made
            line = self.cosigner.cosign(outcome.body, now)
            log.info(
                "witness.cosigned",
                origin=parsed.origin,
                size=outcome.checkpoint.size,
                old=outcome.old,
                cosigned_at=now,
            )
            return web.Response(status=200, body=line.encode("utf-8"), headers={"Content-Type": TEXT_TYPE})
        (log.warning if outcome.evidence else log.info)(
            "witness.refused",
            status=outcome.status,
            reason=outcome.reason,
            origin=outcome.origin,
            size=parsed.checkpoint.size,
            old=parsed.old,
            evidence=outcome.evidence,
            peer=request.remote,
        )
        return web.Response(status=outcome.status, body=outcome.body, headers={"Content-Type": outcome.ctype})

    async def checkpoint(self, request: web.Request) -> web.Response:
        origin = self._by_hash.get(request.match_info["origin_hash"])
        latest = await asyncio.to_thread(self.store.latest, origin) if origin is not None else None
        if latest is None:
            return _text(404, "no checkpoint cosigned for this log")
        body, _ = split_note(latest.note)
        line = self.cosigner.cosign(body, latest.cosigned_at)  # Ed25519 is deterministic: the line returned
        return web.Response(status=200, body=latest.note + line.encode("utf-8"), headers={"Content-Type": TEXT_TYPE})


@web.middleware
async def _plain_errors(request: web.Request, handler):
    """HTTP errors answer their status in one line of text; anything unexpected is logged and answered 500
    without details."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        log.info("witness.http_error", status=e.status, path=request.path, peer=request.remote)
        return _text(e.status, e.reason)
    except Exception:
        log.exception("witness.internal_error", path=request.path)
        return _text(500, "internal error")


def make_app(witness: Witness) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_plain_errors])
    app.router.add_post("/add-checkpoint", witness.add_checkpoint)
    app.router.add_get("/{origin_hash:[0-9a-f]{64}}/checkpoint", witness.checkpoint)
    return app


@dataclass
class RunningWitness:
    url: str
    verifier_key: str
    runner: web.AppRunner
    store: WitnessStore

    async def stop(self) -> None:
        await self.runner.cleanup()
        self.store.close()


async def start_witness(
    name: str,
    key: Ed25519PrivateKey,
    logs: Iterable[str | NoteVerifier],
    db: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
) -> RunningWitness:
    """Serve a witness named `name` with cosigning key `key` for the logs whose vkeys are `logs`, state in
    the SQLite file `db`, on host:port (0: a free port; the URL says which)."""
    cosigner = Cosigner(name, key)
    store = WitnessStore(db)
    runner = web.AppRunner(make_app(Witness(cosigner, trusted_logs(logs), store)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    return RunningWitness(f"http://{shown}:{bound}", cosigner.verifier_key, runner, store)
