"""``hf:`` models through the real huggingface_hub client, against a stand-in hub on 127.0.0.1.

The stand-in answers the three kinds of request the client makes (repository info, the recursive
file listing with sizes, git blob ids and LFS SHA-256s, and the ``resolve`` downloads with the
``X-Repo-Commit``/``ETag``/``X-Linked-*`` headers and byte ranges), so the download, the resume and
the verification run as they would against the real hub. ``HF_ENDPOINT`` points the client at it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tinywhisper import make_hf_whisper
from videokit import cli, models
from videokit.asr import DecodeOptions
from videokit.draft import draft_key
from videokit.errors import ModelError
from videokit.modelcache import list_cached

pytestmark = pytest.mark.slow  # builds models with transformers and converts them with torch

REPO = "danish-org/tiny-whisper"
CARD = "---\nlanguage:\n- da\nlicense: mit\n---\n# A tiny Danish Whisper\n"
LFS = (".safetensors", ".bin")


@dataclass
class StandInHub:
    files: dict[str, bytes] = field(default_factory=dict)
    commit: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    tampered: set[str] = field(default_factory=set)  # served with one byte changed
    truncated: set[str] = field(default_factory=set)  # served 100 bytes short
    dropped: set[str] = field(default_factory=set)  # connection lost half-way, once
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range

    def publish(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.commit = hashlib.sha1(b"".join(sorted(files.values()))).hexdigest()

    def tree(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for path, data in sorted(self.files.items()):
            entry: dict[str, object] = {
                "type": "file",
                "path": path,
                "size": len(data),
                "oid": _git_blob_id(data),
            }
            if path.endswith(LFS):
                entry["lfs"] = {
                    "oid": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "pointerSize": 134,
                }
            out.append(entry)
        return out

    def downloads(self, name: str) -> list[str]:
        """The Range header (or '') of each GET of file ``name``."""
        return [r for m, p, r in self.requests if m == "GET" and p.endswith("/" + name)]


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


def _handler(hub: StandInHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            hub.requests.append((self.command, path, self.headers.get("Range", "")))
            prefix = f"/api/models/{REPO}/"
            if path == prefix.rstrip("/") or path.startswith(prefix + "revision/"):
                rev = path.removeprefix(prefix + "revision/") if "/revision/" in path else "main"
                if hub.tags.get(rev, rev) not in ("main", hub.commit):
                    return self._error(404, "RevisionNotFound")
                info = {"id": REPO, "sha": hub.commit, "siblings": []}
                return self._json(info, body)
            if path.startswith(prefix + "tree/"):
                return self._json(hub.tree(), body)
            resolve = f"/{REPO}/resolve/{hub.commit}/"
            if path.startswith(resolve) and path.removeprefix(resolve) in hub.files:
                return self._file(path.removeprefix(resolve), body)
            self._error(404, "RepoNotFound" if REPO not in path else "EntryNotFound")

        def _json(self, data: object, body: bool) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if body:
                self.wfile.write(raw)

        def _file(self, name: str, body: bool) -> None:
            data = hub.files[name]
            etag = hashlib.sha256(data).hexdigest() if name.endswith(LFS) else _git_blob_id(data)
            if body and name in hub.tampered:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            start = 0
            ranged = self.headers.get("Range", "")
            if body and ranged.startswith("bytes="):
                start = int(ranged.removeprefix("bytes=").split("-")[0])
            sent = data[start:]
            if body and name in hub.truncated:
                sent = sent[:-100]
            if body and name in hub.dropped:
                hub.dropped.discard(name)
                self.send_response(200)
                self.send_header("X-Repo-Commit", hub.commit)
                self.send_header("ETag", f'"{etag}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
                return
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", hub.commit)
            self.send_header("ETag", f'"{etag}"')
            if name.endswith(LFS):
                self.send_header("X-Linked-Etag", f'"{etag}"')
                self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(sent) if body else len(data)))
            self.end_headers()
            if body:
                self.wfile.write(sent)

        def _error(self, code: int, kind: str) -> None:
            self.send_response(code)
            self.send_header("X-Error-Code", kind)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def _model_files(folder: Path, seed: int) -> dict[str, bytes]:
    make_hf_whisper(folder, d_model=16, layers=1, seed=seed, heads=[[1, 1]])
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    files["README.md"] = CARD.encode()
    files["pytorch_model.bin"] = b"the same weights again, which videokit must not fetch"
    return files


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Iterator[StandInHub]:
    state = StandInHub()
    state.publish(_model_files(tmp_path / "v1", seed=1))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("VIDEOKIT_MODEL_DIR", str(tmp_path / "models"))
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_pull_downloads_converts_and_records_the_commit(hub, capsys):
    assert cli.main(["models", "pull", f"hf:{REPO}"]) == 0
    assert "use it with --model hf:danish-org/tiny-whisper" in capsys.readouterr().out
    spec = models.resolve(f"hf:{REPO}", fetch=False)  # from the cache, no network needed
    manifest = json.loads(spec.path.with_suffix(".json").read_text())
    assert (manifest["source"], manifest["origin"], manifest["revision"]) == (
        "hf",
        REPO,
        hub.commit,
    )
    assert manifest["alignment_heads"] is not None
    (listed,) = list_cached()
    assert listed.source.startswith(f"hf:{REPO} (commit {hub.commit[:12]}")
    assert listed.languages.startswith("da (model card)")
    assert hub.downloads("pytorch_model.bin") == []  # only what a Whisper checkpoint needs


def test_pulling_again_finds_it_up_to_date(hub):
    said: list[str] = []
    first = models.pull(f"hf:{REPO}")
    again = models.pull(f"hf:{REPO}", log=said.append)
    assert again == first and any("up to date" in line for line in said)
    assert len(hub.downloads("model.safetensors")) == 1


def test_offline_a_pull_keeps_the_copy_it_has(hub, monkeypatch):
    first = models.pull(f"hf:{REPO}")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    said: list[str] = []
    assert models.pull(f"hf:{REPO}", log=said.append) == first
    assert any("keeping the copy pulled earlier" in line for line in said)
    with pytest.raises(ModelError, match="cannot reach"):
        models.pull(f"hf:{REPO}@v2")  # nothing to fall back on


def test_a_new_revision_is_a_new_checkpoint_and_a_new_draft(hub, tmp_path):
    first = models.pull(f"hf:{REPO}")
    old_commit = hub.commit
    hub.publish(_model_files(tmp_path / "v2", seed=2))
    second = models.pull(f"hf:{REPO}")
    assert hub.commit != old_commit and second.sha256 != first.sha256
    options = DecodeOptions()
    assert draft_key("video", first, options) != draft_key("video", second, options)


def test_a_pinned_revision_is_kept_apart(hub):
    hub.tags["v1"] = hub.commit
    pinned = models.pull(f"hf:{REPO}@v1")
    assert pinned.name == f"hf:{REPO}@v1"
    with pytest.raises(ModelError, match="not pulled yet"):
        models.resolve(f"hf:{REPO}", fetch=False)  # the unpinned reference is another model


def test_a_tampered_download_is_refused_naming_the_file(hub):
    hub.tampered.add("model.safetensors")
    with pytest.raises(ModelError, match=r"model\.safetensors .* does not match the checksum"):
        models.pull(f"hf:{REPO}")
    assert list_cached() == []
    hub.tampered.clear()  # the damaged copy was deleted: the next pull fetches it afresh
    assert models.pull(f"hf:{REPO}").source == "hf"
    assert len(hub.downloads("model.safetensors")) == 2


def test_a_truncated_download_is_refused_naming_the_file(hub):
    hub.truncated.add("model.safetensors")
    with pytest.raises(ModelError, match=r"download of model\.safetensors .* failed") as err:
        models.pull(f"hf:{REPO}")
    assert "again" in err.value.hint
    assert list_cached() == []


def test_a_dropped_connection_resumes_where_it_stopped(hub, monkeypatch):
    from huggingface_hub import constants

    # The client writes in 10 MB chunks; a real checkpoint is hundreds of them, this one less than
    # one, so smaller chunks stand in for a download that had got somewhere.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1 << 16)
    hub.dropped.add("model.safetensors")
    models.pull(f"hf:{REPO}")
    first, resumed = hub.downloads("model.safetensors")
    assert first == "" and resumed.startswith("bytes=")
    offset = int(resumed.removeprefix("bytes=").rstrip("-"))
    assert 0 < offset <= len(hub.files["model.safetensors"]) // 2


def test_an_unknown_repository_says_what_to_check(hub):
    with pytest.raises(ModelError, match="cannot reach danish-org/nothing") as err:
        models.pull("hf:danish-org/nothing")
    assert "HF_TOKEN" in err.value.hint


def test_a_malformed_reference_shows_the_form(hub):
    with pytest.raises(ModelError, match="not a Hugging Face model reference") as err:
        models.resolve("hf:no-organisation")
    assert "hf:<org>/<name>" in err.value.hint


# ---------------------------------------------------------------------------------------------------
# The faster-whisper engine on pulled models


def _engine_model_files(folder: Path, tokenizer: Path, seed: int = 3) -> dict[str, bytes]:
    """A tiny Whisper with real context sizes (30-s windows) and a tokenizer, as hub repos carry."""
    make_hf_whisper(
        folder,
        d_model=32,
        layers=1,
        seed=seed,
        heads=[[1, 1]],
        audio_ctx=1500,
        text_ctx=448,
        tokenizer=tokenizer,
    )
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    files["README.md"] = CARD.encode()
    return files


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from clips import speech_wav
    from videokit import media

    return media.load_audio(speech_wav(tmp_path_factory.mktemp("hub-clip") / "c.wav"))


def _draft_with_faster_whisper(ref: str, clip) -> object:
    from videokit.draft import ModelHandle
    from videokit.engines import AsrSettings

    handle = ModelHandle(ref, settings=AsrSettings("faster-whisper", batched=False))
    engine = handle.engine
    assert type(engine).__name__ == "FasterWhisperASR"
    transcript = engine.transcribe(clip, DecodeOptions(temperature=(0.0,), beam_size=None))
    assert transcript.model == handle.spec.cache_id and transcript.duration_ms > 0
    return transcript


@pytest.mark.model
def test_a_pulled_transformers_checkpoint_runs_on_faster_whisper(
    hub, tmp_path, whisper_tokenizer, clip, capsys
):
    hub.publish(_engine_model_files(tmp_path / "fw", whisper_tokenizer))
    assert cli.main(["models", "pull", f"hf:{REPO}"]) == 0
    spec = models.resolve(f"hf:{REPO}", fetch=False)
    manifest = json.loads(spec.path.with_suffix(".json").read_text())
    twin = spec.path.with_name(spec.path.stem + "-ct2")
    # The same source and commit record, and every file of the twin checked by its SHA-256.
    assert manifest["revision"] == hub.commit and manifest["origin"] == REPO
    assert set(manifest["ct2"]) >= {"model.bin", "config.json", "tokenizer.json"}
    for name, digest in manifest["ct2"].items():
        assert hashlib.sha256((twin / name).read_bytes()).hexdigest() == digest
    config = json.loads((twin / "config.json").read_text())
    assert config["alignment_heads"] == [[1, 1]]  # the checkpoint's, not the converter's default
    assert "da" in {
        json.loads((twin / "vocabulary.json").read_text())[i][2:-2] for i in config["lang_ids"]
    }
    (listed,) = list_cached()
    assert listed.engines == ("openai-whisper", "faster-whisper")
    capsys.readouterr()
    cli.main(["models", "list"])
    assert "engines: openai-whisper, faster-whisper" in capsys.readouterr().out
    _draft_with_faster_whisper(f"hf:{REPO}", clip)
    # A damaged twin is refused, naming the file, rather than run.
    (twin / "model.bin").write_bytes(b"damaged")
    from videokit.engines import AsrSettings, load

    with pytest.raises(ModelError, match=r"model\.bin of the CTranslate2 weights"):
        load(spec, AsrSettings("faster-whisper"))


@pytest.mark.model
def test_a_ctranslate2_repository_is_used_as_it_is(hub, tmp_path, whisper_tokenizer, clip):
    from videokit import ct2build

    source = tmp_path / "src"
    _engine_model_files(source, whisper_tokenizer, seed=4)
    built = ct2build.build(
        source,
        tmp_path / "ct2-repo",
        layout="transformers",
        n_mels=80,
        alignment_heads=[[1, 1]],
        log=lambda _m: None,
    )
    assert "model.bin" in built
    hub.publish({p.name: p.read_bytes() for p in (tmp_path / "ct2-repo").iterdir()})
    said: list[str] = []
    spec = models.pull(f"hf:{REPO}", log=said.append)
    assert not any("converting to CTranslate2" in line for line in said)
    twin = spec.path.with_name(spec.path.stem + "-ct2")
    # The hub's bytes, not a reconversion of them.
    assert (twin / "model.bin").read_bytes() == hub.files["model.bin"]
    (listed,) = list_cached()
    assert listed.engines == ("openai-whisper", "faster-whisper")
    _draft_with_faster_whisper(f"hf:{REPO}", clip)


def test_a_repository_without_a_tokenizer_runs_on_openai_whisper_only(hub, capsys):
    said: list[str] = []
    spec = models.pull(f"hf:{REPO}", log=said.append)
    assert any("openai-whisper only" in line for line in said)
    (listed,) = list_cached()
    assert listed.engines == ("openai-whisper",)
    from videokit.engines import AsrSettings, load

    with pytest.raises(ModelError, match="no CTranslate2 weights") as err:
        load(spec, AsrSettings("faster-whisper"))
    assert "tokenizer.json" in err.value.message and "openai-whisper" in err.value.hint


@pytest.mark.model
def test_a_local_folder_runs_on_faster_whisper(tmp_path, monkeypatch, whisper_tokenizer, clip):
    monkeypatch.setenv("VIDEOKIT_MODEL_DIR", str(tmp_path / "models"))
    folder = tmp_path / "my-finetune"
    _engine_model_files(folder, whisper_tokenizer, seed=5)
    models.pull(str(folder))
    (listed,) = list_cached()
    assert listed.engines == ("openai-whisper", "faster-whisper")
    _draft_with_faster_whisper(str(folder), clip)
