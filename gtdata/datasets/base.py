"""BenchmarkData: a benchmark set opened through its manifest (downloaded and prepared on first use) and
read from the memory-mapped prepared store."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gtdata.core.errors import InvalidValueError
from gtdata.datasets.manifest import Manifest, load_manifest
from gtdata.datasets.prepare import prepare
from gtdata.store.prepared import PreparedData


class BenchmarkData(PreparedData):
    """A benchmark set in the torchvision style.

    ``root``: cache directory (default ``$GTDATA_HOME`` or the platform cache); ``download``: fetch missing
    raw files (else a missing file is an error that says where to put it); ``transform``: applied to the
    image of ``data[i]``; ``edition``: another release in the manifest (e.g. MPI3D ``"2019"``);
    ``manifest``: a manifest path or directory to use instead of the built-in one (e.g. a local copy with
    extra mirrors); ``progress``: show download and preparation progress.
    """

    #: Name of the manifest this class reads (set by each subclass).
    manifest_name: str = ""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        *,
        edition: str | None = None,
        manifest: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
    ) -> None:
        self._init_args = {
            "root": root,
            "download": False,
            "transform": transform,
            "edition": edition,
            "manifest": manifest,
            "progress": progress,
        }
        self.manifest: Manifest = load_manifest(manifest if manifest is not None else self.manifest_name, edition)
        if manifest is None and self.manifest.name != self.manifest_name:
            raise InvalidValueError(
                f"{type(self).__name__} reads manifest {self.manifest_name!r}, got {self.manifest.name!r}"
            )
        path = prepare(self.manifest, root=root, download=download, progress=progress)
        super().__init__(path, transform)

    @property
    def prepared_path(self) -> Path:
        return self.path

    def __copy__(self) -> BenchmarkData:
        # Views (splits) share the memory map; only pickling goes through the constructor.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __reduce__(self):
        # Pickle as constructor arguments (the prepared set exists by then), never as pixels.
        return (_rebuild, (type(self), self._init_args, self._extra_state()))

    def _extra_state(self) -> dict[str, Any]:
        """Per-instance settings a subclass needs to restore after unpickling (splits, switches)."""
        return {"_splits": self._splits}


def _rebuild(cls: type, kwargs: dict[str, Any], extra: dict[str, Any]) -> BenchmarkData:
    obj = cls(**kwargs)
    obj.__dict__.update(extra)
    return obj
