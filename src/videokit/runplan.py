"""How every video of a run is made: the project's folders and the run's choices.

A :class:`Plan` is plain strings, so that it travels as a deployment run's parameters to any
worker; each run reads the project's settings from it once (:meth:`Plan.settings`) and hands them
down with the model's fingerprint as :class:`~videokit.freshness.RunInputs`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cache import TranscriptCache, open_cache
from .config import Settings, load_settings
from .draft import ModelHandle
from .freshness import RunInputs
from .modelpool import model_handle
from .workspace import Layout


@dataclass(frozen=True)
class Plan:
    """How every video of a run is made: the project's folders and the run's choices."""

    project_dir: str
    media_dir: str
    out_dir: str
    review_dir: str
    config_file: str
    model: str | None = None
    language: str = "da"
    base_url: str | None = None
    asr_limit: str | None = None
    asr_deployment: str | None = None
    store: str | None = None  # s3://…: the folders above are paths in that store (flows/stored.py)
    cache_dir: str | None = None  # the draft cache where VIDEOKIT_CACHE_DIR names none

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.out_dir), Path(self.review_dir))

    def settings(self) -> Settings:
        """The project's settings, read now: once per run, then handed down."""
        return load_settings(Path(self.config_file))  # defaults when the project has no file

    def cache(self) -> TranscriptCache:
        """The draft cache: ``VIDEOKIT_CACHE_DIR``, else the plan's (a project in a store's)."""
        return open_cache(default=self.cache_dir)

    def model_handle(self, settings: Settings, log: Callable[[str], None]) -> ModelHandle:
        """This process's handle on the run's model (provisioned and loaded at first need)."""
        return model_handle(settings.model_ref(self.model), settings, log)

    def inputs(self, settings: Settings, log: Callable[[str], None]) -> RunInputs:
        """The run's inputs for the freshness check; provisions the model (not loads it), so
        that a model that cannot be had fails the run once, in seconds."""
        spec = self.model_handle(settings, log).spec
        return RunInputs(spec.sha256, self.language, settings, self.base_url)
