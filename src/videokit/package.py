"""The website package: manifest of every file with its hash, and the zip the web team uploads.

Layout (the web team depends on it)::

    site/index.html                  list of all videos
    site/<slug>/index.html           transcript page
    site/<slug>/<slug>.mp4, poster.jpg, <slug>.da.vtt, <slug>.da.srt, transcript.json
    site/manifest.json               every file: path, bytes, sha256; every video: title, duration;
                                     per video, which social-media files are ready (not in the zip)
    videokit-site.zip                the same tree
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import sha256_file, temporary_beside, write_json
from .naming import MANIFEST_NAME as MANIFEST

# The zip's timestamps are fixed so that the same site gives the same zip bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class VideoEntry:
    slug: str
    title: str
    duration_ms: int
    reviewed: bool = False


def build_manifest(
    site: Path,
    videos: Iterable[VideoEntry],
    files: Iterable[Path],
    social: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The site's contents: its videos, and exactly ``files`` (each below ``site``) with hashes;
    ``social``: per video, each social format's state and ready files (``social/<slug>/``)."""
    manifest: dict[str, Any] = {
        "videos": [
            {
                "slug": v.slug,
                "title": v.title,
                "duration_ms": v.duration_ms,
                "duration_s": round(v.duration_ms / 1000, 3),
                "path": f"{v.slug}/index.html",
                "reviewed": v.reviewed,
            }
            for v in sorted(videos, key=lambda v: v.slug)
        ],
        "files": [
            {
                "path": p.relative_to(site).as_posix(),
                "bytes": p.stat().st_size,
                "sha256": sha256_file(p),
            }
            for p in sorted(files)
        ],
    }
    if social is not None:
        manifest["social"] = {slug: social[slug] for slug in sorted(social)}
    return manifest


def write_manifest(
    site: Path,
    videos: Iterable[VideoEntry],
    files: Iterable[Path],
    social: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    manifest = build_manifest(site, videos, files, social)
    write_json(site / MANIFEST, manifest)
    return manifest


def write_zip(site: Path, target: Path, manifest: dict[str, Any]) -> int:
    """Zip the files the manifest lists, and the manifest; returns the file count.

    Only listed files go in, so a stray file or a link in the site folder never reaches the web.
    """
    files = [site / f["path"] for f in manifest["files"]] + [site / MANIFEST]
    with temporary_beside(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(site).as_posix(), _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            # Video and JPEG are already compressed; deflating them again only costs time.
            if path.suffix in {".mp4", ".jpg"}:
                info.compress_type = zipfile.ZIP_STORED
            with path.open("rb") as src, zf.open(info, "w") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
    return len(files)
