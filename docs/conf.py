"""Sphinx configuration of the gtdata site.

Build (warnings are errors): ``python -m sphinx -W -b html docs docs/_build/html``.
Pages under ``generated/`` (data sets, CLI, API, tables) are written by ``_ext/gtdata_docs.py`` from the
package itself at the start of every build; the gallery under ``auto_examples/`` is run from ``examples/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import gtdata  # noqa: E402

project = "gtdata"
author = "gtdata contributors"
copyright = "gtdata contributors"
release = gtdata.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    # MathJax shipped with the site (no CDN), so the formulas render offline, e.g. on a cluster.
    "sphinx-mathjax-offline",
    "gtdata_docs",
]

# Quotes and ellipses only: "--flag" must stay two hyphens, not become an en dash.
smartquotes_action = "qe"

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "generated/*_table.md",
    "generated/api/generated/*.md",
    "**/README.md",
    "sg_execution_times.rst",
]
templates_path = ["_templates"]
html_static_path = ["_static"]

# MyST: $…$ and $$…$$ maths, definition lists, heading anchors for [text](page.md#anchor) links.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: autosummary writes one page per public name; numpydoc renders the docstrings.
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

intersphinx_mapping: dict = {}

# The example gallery is executed at every build, on CPU, with a fixed torch thread count.
os.environ.setdefault("GTDATA_DOCS_BUILD", "1")
sphinx_gallery_conf = {
    "examples_dirs": [str(DOCS.parent / "examples")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    # Reading order (docs/_ext/gtdata_docs.py); the metrics example reuses the run the training example trained.
    "within_subsection_order": "gtdata_docs.ExampleOrder",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"gtdata {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    # Show download URLs in full (a pinned commit in a GitHub URL matters to the reader).
    "shorten_urls": False,
}
html_sidebars = {"index": []}
html_css_files = ["gtdata.css"]
html_show_sourcelink = False

nitpicky = False
suppress_warnings: list[str] = []
