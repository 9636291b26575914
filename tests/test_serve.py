"""The preview server: caption types, byte ranges (for seeking) and a clear error without a site."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from videokit.errors import PackageError
from videokit.serve import make_server, serving


def _get(url: str, range_: str | None = None) -> tuple[int, Message, bytes]:
    """Status, headers (names in any case) and body."""
    request = urllib.request.Request(url, headers={"Range": range_} if range_ else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, b""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "v.da.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (tmp_path / "v" / "v.da.srt").write_text("1\n", encoding="utf-8")
    (tmp_path / "v" / "transcript.json").write_text("{}", encoding="utf-8")
    (tmp_path / "v" / "v.mp4").write_bytes(bytes(range(256)) * 4)
    return tmp_path


def test_caption_files_get_their_types(site: Path) -> None:
    with serving(site) as base:
        assert base.startswith("http://127.0.0.1:")
        assert _get(base + "v/v.da.vtt")[1]["Content-Type"] == "text/vtt; charset=utf-8"
        assert _get(base + "v/v.da.srt")[1]["Content-Type"].startswith("application/x-subrip")
        assert _get(base + "v/transcript.json")[1]["Content-Type"] == "application/json"
        assert _get(base + "v/v.mp4")[1]["Content-Type"] == "video/mp4"


def test_byte_ranges_let_a_player_seek(site: Path) -> None:
    data = (site / "v" / "v.mp4").read_bytes()
    with serving(site) as base:
        status, headers, body = _get(base + "v/v.mp4")
        assert (status, body, headers["Accept-Ranges"]) == (200, data, "bytes")
        status, headers, body = _get(base + "v/v.mp4", "bytes=10-19")
        assert (status, body, headers["Content-Range"]) == (206, data[10:20], "bytes 10-19/1024")
        status, headers, body = _get(base + "v/v.mp4", "bytes=1000-")
        assert (status, body) == (206, data[1000:])
        status, headers, body = _get(base + "v/v.mp4", "bytes=-4")
        assert (status, body) == (206, data[-4:])
        status, headers, _ = _get(base + "v/v.mp4", "bytes=5000-")
        assert (status, headers["Content-Range"]) == (416, "bytes */1024")
        assert _get(base + "v/missing.mp4", "bytes=0-")[0] == 404


def test_no_site_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no site to serve"):
        make_server(tmp_path / "missing", port=0)
