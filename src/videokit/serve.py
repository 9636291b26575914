"""Preview the published site over HTTP, as a browser will see it on the web server.

Opening ``build/site/index.html`` from disk is not enough: browsers refuse to load a caption track
over ``file://``, so the player shows no captions. This server serves the site folder on loopback
with the types the pages depend on (``.vtt`` as ``text/vtt``). It is for previews and tests, not for
production hosting.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import PackageError

# One byte range, as browsers ask for media: "bytes=100-", "bytes=100-199" or a suffix "bytes=-500".
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1 << 16

CONTENT_TYPES = {
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".zip": "application/zip",
}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files from one folder, with the caption types set and no request log on stderr.

    Byte ranges are honoured, as on a real web server: without them a browser may refuse to seek
    in a video, so the transcript's time buttons would not work in the preview.
    """

    extensions_map = {  # noqa: RUF012 - the stdlib's own class attribute, overridden
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **CONTENT_TYPES,
    }
    _remaining: int | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        # A preview should always show the files as they are now, not a cached copy.
        self.send_header("Cache-Control", "no-store")
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        self._remaining = None
        wanted = _RANGE.match((self.headers.get("Range") or "").strip())
        path = self.translate_path(self.path)
        if wanted is None or self.path.endswith("/") or not os.path.isfile(path):
            return super().send_head()  # whole file, directory redirect, 404 or a multi-range ask
        try:
            f = open(path, "rb")  # noqa: SIM115 - handed to the caller, which closes it
        except OSError:
            self.send_error(404, "File not found")
            return None
        size = os.fstat(f.fileno()).st_size
        first, last = wanted.groups()
        if not first and not last:
            f.close()
            return super().send_head()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:
            start, end = max(0, size - int(last)), size - 1
        if start >= size or start > end:
            f.close()
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", self.date_time_string(int(os.fstat(f.fileno()).st_mtime)))
        self.end_headers()
        f.seek(start)
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile):  # type: ignore[no-untyped-def]
        remaining, self._remaining = self._remaining, None
        if remaining is None:
            super().copyfile(source, outputfile)
            return
        while remaining > 0:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


def make_server(
    site: Path, host: str = "127.0.0.1", port: int = 8000
) -> http.server.ThreadingHTTPServer:
    """A server for ``site`` bound to ``host:port`` (port 0 picks a free one), not yet serving."""
    site = Path(site)
    if not site.is_dir():
        raise PackageError("no site to serve", path=site, stage="serve",
                           hint="run `videokit produce` first")
    handler = functools.partial(SiteHandler, directory=str(site.resolve()))
    return http.server.ThreadingHTTPServer((host, port), handler)


def _url(server: http.server.ThreadingHTTPServer) -> str:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    return f"http://{host}:{port}/"


def serve(site: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``site`` until interrupted (Ctrl-C)."""
    with make_server(site, host, port) as server:
        print(f"Serving {site} at {_url(server)}  (Ctrl-C stops)", flush=True)
        with suppress(KeyboardInterrupt):
            server.serve_forever()


@contextmanager
def serving(site: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``site`` in a background thread; yields the base URL (ending in '/')."""
    server = make_server(site, host, port)
    thread = threading.Thread(target=server.serve_forever, name="videokit-serve", daemon=True)
    thread.start()
    try:
        yield _url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
