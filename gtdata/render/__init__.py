"""Procedural renderer: factorized 2-D scenes from a declarative spec, rendered on demand or exported.

``RenderSpec`` parses and validates a spec (YAML or dict), ``RenderedData`` renders it as GroundTruthData,
``export_rendered`` writes its grid (or a split) to the prepared store or to HDF5.
"""

from gtdata.render.data import RenderedData
from gtdata.render.export import export_rendered
from gtdata.render.spec import RenderSpec, SpecError

__all__ = ["RenderSpec", "RenderedData", "SpecError", "export_rendered"]
