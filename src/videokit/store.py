"""A project kept in S3-compatible object storage instead of a shared folder, and leases in it.

A store is a URL, ``s3://bucket/prefix``, under which a project's folders live as they would on
disk: ``media/``, ``review/``, ``build/``, ``videokit.toml``, and the draft cache in ``cache/``
unless ``VIDEOKIT_CACHE_DIR`` names another place. It is reached through fsspec's ``s3fs``
(the maintained S3 file system of the Python data stack; Prefect's own storage blocks only move
flow code and results, and offer neither conditional writes nor listings with ETags). The
endpoint and credentials are the standard AWS settings (``AWS_ENDPOINT_URL_S3`` for MinIO, Ceph,
R2 and the like; ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` or a profile), so nothing secret
passes through videokit's parameters.

Object storage has no ``flock``. What the locks do on a shared folder is done here with
conditional writes (``If-None-Match: *`` to create, ``If-Match: <ETag>`` to replace or delete
only the version one has read), which S3, MinIO and most compatible stores honour:

- :func:`lease`: whoever creates ``.locks/<name>.json`` holds it, renews it (replacing its own
  version) every third of its term, and deletes it when done. A lease whose object has not
  changed for a whole term, as timed by the waiting run's own clock (no clocks are compared
  between machines), belongs to a run that is gone, and is taken over by replacing exactly that
  version: of two waiters, one wins.
- :meth:`ObjectStore.write` with ``match``: a file is replaced only if it is still the version
  read before, so an editor's newer file is never overwritten (:mod:`videokit.staging`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import VideokitError

SCHEME = "s3://"
LOCKS = ".locks"
LEASE_S = 60.0  # a dead run's lease is taken over after this long without a renewal
POLL_S = 1.0
READ_TRIES = 5
# ``match`` for a write that may only create: the file must not exist yet.
ABSENT = "absent"


class StoreConflict(VideokitError):
    """The object is not the version a conditional write or delete expected."""


def is_store(location: str | os.PathLike[str] | None) -> bool:
    return isinstance(location, str) and location.startswith(SCHEME)


def _precondition_failed(err: BaseException) -> bool:
    """s3fs turns HTTP 412 into ``FileExistsError`` (If-None-Match) or a plain ``OSError``."""
    if isinstance(err, FileExistsError):
        return True
    cause = err.__cause__
    response = getattr(cause, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    return status in (409, 412) or code in ("PreconditionFailed", "ConditionalRequestConflict")


class ObjectStore:
    """The objects under one ``s3://bucket/prefix``, by path relative to it (``review/x.srt``)."""

    def __init__(self, url: str, fs: Any = None) -> None:
        if not is_store(url):
            raise VideokitError(
                f"not an object store address: {url!r}",
                stage="store",
                hint="give it as s3://BUCKET/PREFIX",
            )
        self.url = url.rstrip("/")
        self.root = self.url.removeprefix(SCHEME)
        if fs is None:
            import s3fs  # only the store needs it; a shared-folder team never imports it

            # No listing cache: other machines write here, and a stale listing hides their files.
            fs = s3fs.S3FileSystem(use_listings_cache=False, skip_instance_cache=True)
        self.fs = fs

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"

    def _key(self, rel: str) -> str:
        rel = rel.strip("/")
        if not rel or any(part in ("", ".", "..") for part in rel.split("/")):
            raise ValueError(f"not a path in the store: {rel!r}")
        return f"{self.root}/{rel}"

    def _bucket_key(self, rel: str) -> tuple[str, str]:
        bucket, _, key = self._key(rel).partition("/")
        return bucket, key

    def _fail(self, err: OSError, rel: str, doing: str) -> VideokitError:
        return VideokitError(
            f"the object store refused to {doing} {rel}: {err}",
            path=Path(rel),
            stage="store",
            hint="check the store address, AWS_ENDPOINT_URL_S3 and the credentials",
        )

    def listing(self, prefix: str = "") -> dict[str, str]:
        """Every object under ``prefix`` (recursively): relative path → ETag."""
        base = self._key(prefix) if prefix.strip("/") else self.root
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise self._fail(err, prefix or "/", "list") from err
        return {
            name.removeprefix(self.root + "/"): str(info.get("ETag", ""))
            for name, info in found.items()
            if info.get("type") == "file"
        }

    def read(self, rel: str) -> tuple[bytes, str] | None:
        """The object's bytes and the ETag of exactly those bytes; ``None`` if there is none."""
        from s3fs.utils import FileExpired

        for attempt in range(READ_TRIES):
            try:
                with self.fs.open(self._key(rel), "rb") as f:
                    return f.read(), str(f.details.get("ETag", ""))
            except FileNotFoundError:
                return None
            except FileExpired as err:  # replaced between asking its ETag and reading it
                if attempt + 1 == READ_TRIES:
                    raise self._fail(err, rel, "read") from err
            except OSError as err:
                raise self._fail(err, rel, "read") from err
        return None

    def download(self, rel: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.fs.get_file(self._key(rel), str(target))
        except OSError as err:
            raise self._fail(err, rel, "read") from err

    def write(self, rel: str, data: bytes, match: str | None = None) -> str:
        """Store ``data`` at ``rel``; returns the new ETag.

        ``match``: ``None`` writes whatever is there; :data:`ABSENT` only creates; an ETag only
        replaces that version. A write whose condition fails raises :class:`StoreConflict`.
        """
        conditions: dict[str, Any] = {}
        if match == ABSENT:
            conditions["mode"] = "create"
        elif match:
            conditions["IfMatch"] = match
        try:
            out = self.fs.pipe_file(self._key(rel), data, **conditions)
        except OSError as err:
            if conditions and _precondition_failed(err):
                raise StoreConflict(
                    "changed in the store meanwhile", path=Path(rel), stage="store"
                ) from err
            raise self._fail(err, rel, "write") from err
        return str((out or {}).get("ETag", ""))

    def upload(self, source: Path, rel: str) -> None:
        """A local file to ``rel``, unconditionally (large files go up in parts)."""
        try:
            self.fs.put_file(str(source), self._key(rel))
        except OSError as err:
            raise self._fail(err, rel, "write") from err

    def delete(self, rel: str, match: str | None = None) -> None:
        bucket, key = self._bucket_key(rel)
        extra = {"IfMatch": match} if match else {}
        try:
            self.fs.call_s3("delete_object", Bucket=bucket, Key=key, **extra)
        except FileNotFoundError:
            return
        except OSError as err:
            if extra and _precondition_failed(err):
                raise StoreConflict(
                    "changed in the store meanwhile", path=Path(rel), stage="store"
                ) from err
            raise self._fail(err, rel, "delete") from err


def check_conditions(store: ObjectStore) -> None:
    """Refuse a store that ignores conditional writes: its leases would not exclude anyone and an
    editor's file could be overwritten. (Amazon S3 has honoured them since 2024, MinIO and Ceph
    longer.)"""
    probe = f"{LOCKS}/conditions-probe-{os.getpid()}-{socket.gethostname()}"
    first = store.write(probe, b"1")
    try:
        store.write(probe, b"2", match=ABSENT)
        store.write(probe, b"3", match=first + "-not-this")
    except StoreConflict:
        return
    finally:
        with contextlib.suppress(VideokitError):
            store.delete(probe)
    raise VideokitError(
        f"the object store at {store.url} ignores conditional writes (If-None-Match, If-Match)",
        stage="store",
        hint="use a store that honours them (Amazon S3, MinIO, Ceph RGW), or a shared folder",
    )


def _holder() -> str:
    now = dt.datetime.now().isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()}, since {now}"


class Lease:
    """A held lease: renewed in the background; ``lost`` once another run has taken it."""

    def __init__(self, store: ObjectStore, rel: str, etag: str, term_s: float) -> None:
        self.store, self.rel, self.etag, self.term_s = store, rel, etag, term_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease {rel}", daemon=True)
        self._thread.start()

    def _body(self) -> bytes:
        return json.dumps({"holder": _holder(), "renewed": time.time()}).encode()

    def _renew(self) -> None:
        while not self._stop.wait(self.term_s / 3):
            try:
                self.etag = self.store.write(self.rel, self._body(), match=self.etag)
            except StoreConflict:
                self.lost = True  # taken over: this run stalled for a whole term
                return
            except VideokitError:
                continue  # the store did not answer this time; the next renewal may get through

    def release(self) -> None:
        self._stop.set()
        self._thread.join()
        if not self.lost:
            with contextlib.suppress(VideokitError):
                self.store.delete(self.rel, match=self.etag)


def _who(data: bytes) -> str:
    try:
        return str(json.loads(data)["holder"])
    except (ValueError, KeyError, TypeError):
        return "another run"


@contextlib.contextmanager
def lease(
    store: ObjectStore,
    name: str,
    *,
    wait_s: float,
    on_wait: Callable[[str], None] | None = None,
    term_s: float = LEASE_S,
) -> Iterator[Lease]:
    """Hold the lease ``name`` while the body runs (see the module's description).

    Waits up to ``wait_s`` for another holder, saying once through ``on_wait`` who it is; then
    gives up with a :class:`VideokitError` (stage ``lock``).
    """
    rel = f"{LOCKS}/{name}.json"
    deadline = time.monotonic() + wait_s
    seen: tuple[str, float] | None = None  # the holder's version, and since when it is unchanged
    told = False
    while True:
        body = json.dumps({"holder": _holder(), "renewed": time.time()}).encode()
        try:
            etag = store.write(rel, body, match=ABSENT)
            break
        except StoreConflict:
            pass
        current = store.read(rel)
        if current is None:
            continue  # released between the two calls
        data, their = current
        now = time.monotonic()
        if seen is None or seen[0] != their:
            seen = (their, now)
        elif now - seen[1] >= term_s:
            with contextlib.suppress(StoreConflict):  # another waiter took it first
                etag = store.write(rel, body, match=their)
                break
        if not told and on_wait is not None:
            on_wait(_who(data))
            told = True
        if now >= deadline:
            raise VideokitError(
                f"another run holds '{name}' ({_who(data)}); waited {wait_s:.0f} s",
                path=Path(rel),
                stage="lock",
                hint="try again when that run has finished",
            )
        time.sleep(POLL_S)
    held = Lease(store, rel, etag, term_s)
    try:
        yield held
    finally:
        held.release()
