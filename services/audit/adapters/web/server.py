"""The replay page's HTTP server (issue 29), on the audit service's event loop beside its gRPC
server: `GET /` and `/static/<file>` (the page, `static/`), `/config.json` (the operator's pins)
and the JSON API (`api.PageApi`).

Errors are JSON `{"error": {"code", "message"}}` with the HTTP status of the gRPC code (the
platform's error family, `kernel.edge.grpc_server.status_of`); never a stack trace. Every answer
carries a Content-Security-Policy that allows only the page's own scripts, styles and API (no
inline script, no CDN), so a proof or payload shown on the page cannot run code in it.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import grpc
from aiohttp import web

from kernel.domain import errors
from kernel.edge.grpc_server import status_of
from kernel.eventstore.store import is_store_down, store_unavailable
from kernel.runtime import http, log as klog
from services.audit.adapters.web.api import PageApi, PageDeps

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# the page's files change with a release: the browser checks them again (ETag / Last-Modified)
STATIC_CACHE = "no-cache"
# text files say their charset: the page's Chinese labels are UTF-8 whatever the browser guesses
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
}
log = klog.get("audit.page")


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=SECURITY)


def _refusal(e: errors.PlatformError) -> web.Response:
    code = status_of(e)
    log.info("page.refused", code=code.name, reason=str(e))
    return error(HTTP.get(code, 500), code.name, str(e))


@web.middleware
async def guarded(request: web.Request, handler) -> web.StreamResponse:
    """The platform's errors as JSON with their HTTP status; anything else INTERNAL, logged."""
    try:
        response = await handler(request)
    except errors.PlatformError as e:
        return _refusal(e)
    except web.HTTPException as e:
        if e.status == 404:
            return error(404, "NOT_FOUND", f"no page or API at {request.path}: see GET / and /api/...")
        if e.status == 405:
            return error(405, "UNIMPLEMENTED", f"{request.method} {request.path}: the page's API answers GET only")
        return error(e.status, "INVALID_ARGUMENT" if e.status < 500 else "INTERNAL", e.reason)
    except Exception as e:  # noqa: BLE001 - never a stack trace to the browser
        if is_store_down(e):
            log.warning("page.store_down", error=f"{type(e).__name__}: {e}")
            return error(503, "UNAVAILABLE", str(store_unavailable(e)))
        log.exception("page.failed", path=request.path)
        return error(500, "INTERNAL", "internal error; see the audit service's log")
    response.headers.update(SECURITY)
    return response


async def index(request: web.Request) -> web.StreamResponse:
    page = STATIC / "index.html"
    if not page.is_file():
        return error(503, "UNAVAILABLE", "the page's files are not installed (services/audit/adapters/web/static)")
    return _file(page)


def _file(path: Path) -> web.FileResponse:
    headers = {"Cache-Control": STATIC_CACHE}
    if path.suffix in TYPES:
        headers["Content-Type"] = f"{TYPES[path.suffix]}; charset=utf-8"
    return web.FileResponse(path, headers=headers)


async def static_file(request: web.Request) -> web.StreamResponse:
    """A file of `static/` (no folder walking: a name outside it, hidden or absent is NOT_FOUND)."""
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if name.startswith(".") or "/" in name or path.parent != STATIC.resolve() or not path.is_file():
        raise errors.NotFound("page file", name)
    return _file(path)


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The service's TLS certificate for the page too (TLS_CERT_FILE / TLS_KEY_FILE), else None."""
    if not (cert and key):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class PageServer:
    """The page on `host:port` (0: any free port; `port` then says which)."""

    def __init__(self, deps: PageDeps, host: str, port: int, ssl_context: ssl.SSLContext | None = None):
        """`ssl_context`: HTTPS with the service's own certificate (tokens never cross in clear
        where gRPC does not)."""
        self.api, self.host, self.port, self.ssl = PageApi(deps), host, port, ssl_context
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[guarded], client_max_size=64 << 10)  # GET only: small requests
        app.router.add_get("/", index)
        app.router.add_get("/static/{name}", static_file)
        app.add_routes(self.api.routes())
        return app

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}/"

    async def start(self) -> PageServer:
        self._runner, self.port = await http.serve(self.app(), self.host, self.port, self.ssl)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
