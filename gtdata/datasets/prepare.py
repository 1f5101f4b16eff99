"""From manifest to prepared set: fetch the raw files (or find them in the cache), verify them, and run the
set's streaming preparer into the core's PreparedWriter once, under a lock so that concurrent loaders wait
for one preparation instead of racing."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

from gtdata.core.errors import InvalidValueError, MissingFileError, NoAccessError
from gtdata.core.factors import Factor, FactorSpace
from gtdata.core.persist import InsufficientSpaceError
from gtdata.core.progress import progress_bar
from gtdata.datasets.archive import extraction_dir
from gtdata.datasets.checksums import ChecksumError, Digests, check_file
from gtdata.datasets.fetch import NO_SPACE, download_file, ensure_writable_dir
from gtdata.datasets.manifest import Manifest
from gtdata.store import cache
from gtdata.store.prepared import META, PreparedWriter

#: Images per chunk written by the preparers (64x64x3 uint8: 4096 images = 48 MiB).
CHUNK_IMAGES = 4096

#: The preparer of each manifest ``format``: ``module:function``.
PREPARERS = {
    "dsprites": "gtdata.datasets.dsprites:prepare_dsprites",
    "smallnorb": "gtdata.datasets.smallnorb:prepare_smallnorb",
    "cars3d": "gtdata.datasets.cars3d:prepare_cars3d",
    "shapes3d": "gtdata.datasets.shapes3d:prepare_shapes3d",
    "mpi3d": "gtdata.datasets.mpi3d:prepare_mpi3d",
}

Progress = Callable[[int, int], None]


logger = logging.getLogger(__name__)


def raw_dir(manifest: Manifest, root: str | os.PathLike[str] | None = None) -> Path:
    """Where the raw files of ``manifest`` live: ``<root>/raw/<name>`` (root: the gtdata cache by default)."""
    return cache.raw_dir(manifest.name) if root is None else Path(root).expanduser() / "raw" / manifest.name


def prepared_path(manifest: Manifest, root: str | os.PathLike[str] | None = None) -> Path:
    """Where the prepared set of ``manifest`` (edition included) lives."""
    return cache.prepared_dir(manifest.key) if root is None else Path(root).expanduser() / "prepared" / manifest.key


def is_prepared(manifest: Manifest, root: str | os.PathLike[str] | None = None) -> bool:
    return (prepared_path(manifest, root) / META).exists()


def file_states(manifest: Manifest, root: str | os.PathLike[str] | None = None) -> list[tuple[str, str, int]]:
    """(file name, "present" | "partial" | "missing", bytes on disk) for each raw file of ``manifest``."""
    rd = raw_dir(manifest, root)
    out = []
    for entry in manifest.files:
        path, part = rd / entry.name, rd / f"{entry.name}.part"
        if path.exists():
            out.append((entry.name, "present", path.stat().st_size))
        elif part.exists():
            out.append((entry.name, "partial", part.stat().st_size))
        else:
            out.append((entry.name, "missing", 0))
    return out


def stored_factor_space(manifest: Manifest) -> FactorSpace:
    """Every stored factor (latent and nuisance) of ``manifest`` in storage order."""
    return FactorSpace(Factor(f.name, list(f.values), f.unit) for f in manifest.factors)


def fetch_all(
    manifest: Manifest, root: str | os.PathLike[str] | None = None, download: bool = True, progress: bool | None = None
) -> dict[str, Path]:
    """The raw files of ``manifest`` by name, downloading the missing ones when ``download`` is true."""
    rd = raw_dir(manifest, root)
    paths = {}
    for entry in manifest.files:
        path = rd / entry.name
        if not path.exists():
            if not download:
                where = entry.manual or entry.sources[0].url
                raise MissingFileError(
                    f"{manifest.key}: raw file {path} is missing; pass download=True (or run `gtdata download "
                    f"{manifest.name}`), or fetch it from {where} and save it there"
                )
            download_file(entry, rd, manifest.name, progress=progress)
        paths[entry.name] = path
    return paths


def verify_all(
    manifest: Manifest, root: str | os.PathLike[str] | None = None, report: Callable[[str], None] = logger.info
) -> dict[str, tuple[Path, Digests]]:
    """Check every raw file of ``manifest`` in the cache: path and digests by file name.

    Raises FileNotFoundError for a missing file and ChecksumError for a mismatch.
    """
    rd = raw_dir(manifest, root)
    paths = {}
    for entry in manifest.files:
        path = rd / entry.name
        if not path.exists():
            raise MissingFileError(
                f"{manifest.key}: raw file {path} is missing; run `gtdata download "
                f"{manifest.name}` or place the file there"
            )
        if not os.access(path, os.R_OK):
            raise NoAccessError(f"{manifest.key}: raw file {path} is not readable; fix its permissions")
        verdict = check_file(entry, path, rd)
        report(verdict.describe(entry.name))
        if not verdict.ok:
            raise ChecksumError(
                f"{path}: "
                + "; ".join(verdict.problems)
                + f". Delete it and run `gtdata download {manifest.name}` again."
            )
        paths[entry.name] = (path, verdict.digests)
    return paths


def _preparer(fmt: str) -> Callable[..., None]:
    if fmt not in PREPARERS:
        raise InvalidValueError(
            f"format {fmt!r} has no preparer (it is not a data set by itself); "
            f"formats with a preparer: {', '.join(PREPARERS)}"
        )
    module, func = PREPARERS[fmt].split(":")
    return getattr(importlib.import_module(module), func)


def prepare(
    manifest: Manifest,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    progress: bool | None = None,
    chunk_images: int = CHUNK_IMAGES,
    on_chunk: Progress | None = None,
    keep_extracted: bool = False,
) -> Path:
    """Prepare ``manifest`` into the store once and return the prepared directory.

    Streams: memory stays near one chunk of ``chunk_images`` images (SmallNORB and Cars3D, whose raw rows
    are not in factor order, hold their 64x64 result: 199 MB and 216 MB). ``on_chunk(done, total)`` is
    called after each written chunk, once that chunk is on disk and recorded. An interrupted (or killed)
    preparation leaves only ``<dir>.partial``, resumed by the next call after its last written chunk.
    An archive among the raw files is extracted beside it under its checksum (see
    :func:`~gtdata.datasets.archive.extraction_dir`); the extraction is removed once the set is prepared
    unless ``keep_extracted`` is true (the archive itself always stays).
    """
    target = prepared_path(manifest, root)
    if (target / META).exists():
        return target
    preparer = _preparer(manifest.format)
    ensure_writable_dir(target.parent, "prepared data")
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if (target / META).exists():
            return target
        fetch_all(manifest, root, download, progress)
        checked = verify_all(manifest, root, report=logger.info)
        paths = {name: path for name, (path, _d) in checked.items()}
        sources = [
            {"file": name, "bytes": d.size, **d.hexdigests, "urls": [s.url for s in manifest.file(name).sources]}
            for name, (_p, d) in checked.items()
        ]
        metadata = {
            "name": manifest.key,
            "title": manifest.title,
            "edition": manifest.edition,
            "license": manifest.license,
            "citation": manifest.citation,
            "homepage": manifest.homepage,
            "sources": sources,
        }
        nuisance = [f.name for f in manifest.factors if f.nuisance]
        bar = progress_bar(
            total=manifest.num_images,
            unit="img",
            unit_scale=True,
            desc=f"preparing {manifest.key}",
            progress=progress,
            leave=False,
        )

        def report(done: int, total: int) -> None:
            bar.update(done - bar.n)
            if on_chunk is not None:
                on_chunk(done, total)

        try:
            with PreparedWriter(
                target,
                stored_factor_space(manifest),
                manifest.observation_shape,
                metadata=metadata,
                nuisance=nuisance,
                name=manifest.key,
            ) as writer:
                bar.update(writer.position)
                preparer(manifest, paths, writer, chunk_images, report)
                writer.commit()
            if not keep_extracted:
                for path, digests in checked.values():
                    # Only the directory extract_tar made for this very archive: gtdata's name, gtdata's files.
                    shutil.rmtree(extraction_dir(path, digests.sha256), ignore_errors=True)
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                raise
            raise InsufficientSpaceError(
                exc.errno,
                f"no space left while preparing {manifest.key} in {target.parent} "
                f"({exc.strerror}); free space there or set $GTDATA_HOME to a larger disk, "
                "then run it again (it resumes)",
            ) from None
        finally:
            bar.close()
    if progress:
        logger.info(f"{manifest.key}: prepared at {target}")
    return target


def verified_sha256(writer: PreparedWriter, name: str) -> str:
    """The sha256 (hex) of raw file ``name`` as verified for this preparation (recorded in the metadata)."""
    for source in writer.metadata.get("sources", []):
        if source.get("file") == name and "sha256" in source:
            return source["sha256"]
    raise InvalidValueError(f"{writer.name}: raw file {name!r} was not verified for this preparation")


def write_chunks(writer: PreparedWriter, chunks, total: int, on_chunk: Progress | None) -> None:
    """Write an iterator of uint8 chunks, reporting progress after each."""
    for chunk in chunks:
        writer.write(chunk)
        if on_chunk is not None:
            on_chunk(writer.position, total)
