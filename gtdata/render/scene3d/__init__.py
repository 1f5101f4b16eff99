"""3-D procedural scenes (``kind: scene3d``): camera, primitives, shading, tracing and the renderer.

Rays meet the scene exactly (analytic intersections; the torus by sphere tracing), shading is Lambert +
Blinn-Phong with hard shadows in linear light, edges are anti-aliased by adaptive supersampling and the
result is gamma-encoded explicitly (sRGB by default). One module per idea: :mod:`.spec` (the spec),
:mod:`.camera`, :mod:`.transform`, :mod:`.primitives`, :mod:`.shading`, :mod:`.trace` (the geometry pass),
:mod:`.backends` (numpy / torch) and :mod:`.renderer` (caching and compositing).
"""

from gtdata.render.scene3d.primitives import PRIMITIVES
from gtdata.render.scene3d.renderer import Scene3DRenderer
from gtdata.render.scene3d.spec import Scene3DSpec

__all__ = ["PRIMITIVES", "Scene3DRenderer", "Scene3DSpec"]
