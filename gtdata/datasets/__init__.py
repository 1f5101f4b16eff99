"""The benchmark sets of the reference study: manifests, verified downloads, streaming preparation into the
prepared store, and one GroundTruthData class per set."""

from gtdata.datasets.cars3d import Cars3D
from gtdata.datasets.dsprites import ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites
from gtdata.datasets.manifest import Manifest, ManifestError, UnknownDatasetError, load_manifest
from gtdata.datasets.mpi3d import MPI3D
from gtdata.datasets.shapes3d import Shapes3D
from gtdata.datasets.smallnorb import SmallNORB

__all__ = [
    "MPI3D",
    "Cars3D",
    "ColorDSprites",
    "DSprites",
    "Manifest",
    "ManifestError",
    "NoisyDSprites",
    "ScreamDSprites",
    "Shapes3D",
    "SmallNORB",
    "UnknownDatasetError",
    "load_manifest",
]
