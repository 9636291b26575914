"""Preview the published site over HTTP, as a browser will see it on the web server.

Opening ``build/site/index.html`` from disk is not enough: browsers refuse to load a caption track
over ``file://``, so the player shows no captions. This server serves the site folder on loopback
with the types the pages depend on (``.vtt`` as ``text/vtt``) and byte ranges (so a player can
seek). It is for previews and tests, not for production hosting, and it serves exactly the site:
no folder listings, no hidden files, no links that lead out of the folder.
"""

from __future__ import annotations

import errno
import mimetypes
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PackageError

CONTENT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".txt": "text/plain",
    ".html": "text/html",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".zip": "application/zip",
}


def _register_types() -> None:
    for suffix, kind in CONTENT_TYPES.items():
        mimetypes.add_type(kind, suffix)


def make_app(site: Path) -> Callable[..., Awaitable[None]]:
    """The ASGI app for ``site``: static files, nothing else."""
    from fastapi import FastAPI, Request, Response
    from fastapi.staticfiles import StaticFiles

    _register_types()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        parts = request.url.path.split("/")
        if any(p.startswith(".") for p in parts if p):
            return Response("Not found", status_code=404, media_type="text/plain")
        response = await call_next(request)
        # A preview should always show the files as they are now, not a cached copy.
        response.headers["Cache-Control"] = "no-store"
        return response

    # html=True serves a folder's index.html and never lists a folder; symlinks are not followed
    # out of the site (Starlette's default).
    app.mount("/", StaticFiles(directory=site, html=True, follow_symlink=False), name="site")
    return app


@dataclass
class Server:
    """A bound, not yet serving, web server (the preview here, the review studio too)."""

    site: Path
    sock: socket.socket

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}/"


def _uvicorn(app: Callable[..., Awaitable[None]]) -> Any:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8000) -> Server:
    """A server for ``site`` bound to ``host:port`` (port 0 picks a free one), not yet serving."""
    site = Path(site)
    if not site.is_dir():
        raise PackageError(
            "no site to serve", path=site, stage="serve", hint="run `videokit produce` first"
        )
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        busy = err.errno == errno.EADDRINUSE
        raise PackageError(
            f"port {port} is already in use" if busy else f"cannot listen on {host}:{port}: {err}",
            path=site,
            stage="serve",
            hint="give another port with --port" if busy else "check --host",
        ) from None
    sock.listen(64)
    return Server(site.resolve(), sock)


def serve(site: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``site`` until interrupted (Ctrl-C)."""
    server = make_server(site, host, port)
    print(f"Serving {site} at {server.url}  (Ctrl-C stops)", flush=True)
    with suppress(KeyboardInterrupt):
        _uvicorn(make_app(server.site)).run(sockets=[server.sock])


@contextmanager
def in_background(server: Server, app: Callable[..., Awaitable[None]]) -> Iterator[str]:
    """Run ``app`` on ``server`` in a background thread; yields the base URL (ending in '/')."""
    runner = _uvicorn(app)
    thread = threading.Thread(
        target=runner.run, kwargs={"sockets": [server.sock]}, name="videokit-web", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not runner.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield server.url
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
        server.sock.close()


@contextmanager
def serving(site: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``site`` in a background thread; yields the base URL (ending in '/')."""
    server = make_server(site, host, port)
    with in_background(server, make_app(server.site)) as url:
        yield url
