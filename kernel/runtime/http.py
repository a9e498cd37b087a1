"""One small HTTP server on the service's event loop (aiohttp): the metrics endpoint and audit's
replay page both start theirs here."""

from __future__ import annotations

import ssl as _ssl

from aiohttp import web


async def serve(app: web.Application, host: str, port: int, ssl: _ssl.SSLContext | None = None):
    """`app` listening on host:port (0: a free port); (its runner, the port it got). A port
    already taken raises OSError with nothing left open."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    return runner, site._server.sockets[0].getsockname()[1]  # the one picked when asked for 0
