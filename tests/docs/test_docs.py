"""The documentation: docstrings of every public name, the built site's links and API coverage, the examples.

- Every public name (each ``__all__`` of ``gtdata`` and of its public packages) has a docstring that numpydoc
  parses, and the docstring of a public function or class names each of its parameters. The names whose
  parameters were undocumented when this test was written are listed in ``known_undocumented.json``; the list
  may only shrink (the test fails when an entry is fixed, so the list is kept exact).
- The site builds with warnings as errors (without running the gallery), every internal link and anchor of the
  built HTML resolves, every page is reachable from the landing page, and every public name has an entry in
  the API reference.
- Every example script of the gallery runs to completion (slow: it trains two small models).

The Sphinx parts need the ``docs`` extra; without it they skip, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from optional_deps import import_optional

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
KNOWN = Path(__file__).with_name("known_undocumented.json")

sys.path.insert(0, str(DOCS / "_ext"))
import gtdata_docs  # noqa: E402  (the site's own generator: the same list of public packages and names)
from docstring_rules import docstring, parameters  # noqa: E402  (one reading of signatures and docstrings)


def _public_objects():
    for package in gtdata_docs.public_packages():
        module = importlib.import_module(package)
        for name in gtdata_docs.public_names(package):
            yield f"{package}.{name}", getattr(module, name)


def undocumented_parameters() -> dict[str, list[str]]:
    """Public callables whose docstring does not name every parameter: full name -> missing parameters."""
    missing = {}
    for full, obj in _public_objects():
        if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
            continue
        doc = docstring(obj)
        absent = [p for p in parameters(obj) if not re.search(rf"\b{re.escape(p)}\b", doc)]
        if absent:
            missing[full] = absent
    return missing


def test_every_public_name_has_a_docstring_numpydoc_reads():
    numpydoc = import_optional("numpydoc.docscrape", "docs")
    problems = []
    for full, obj in _public_objects():
        if not (inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj)):
            continue  # constants are documented where their package's docstring or the guide describes them
        doc = inspect.getdoc(obj) or ""
        if not doc.strip() or not doc.strip().splitlines()[0].strip():
            problems.append(f"{full}: no docstring summary line")
            continue
        if inspect.ismodule(obj):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                (numpydoc.ClassDoc if inspect.isclass(obj) else numpydoc.FunctionDoc)(obj)
            except Exception as exc:  # numpydoc raises ValueError on a malformed section
                problems.append(f"{full}: numpydoc cannot parse the docstring ({exc})")
        problems += [f"{full}: {w.message}" for w in caught if "numpydoc" in str(w.filename)]
    assert not problems, "\n".join(problems)


def test_docstrings_name_every_parameter():
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    missing = undocumented_parameters()
    new = {name: params for name, params in missing.items() if name not in known or set(params) - set(known[name])}
    assert not new, (
        "public names whose docstring does not name these parameters (add a Parameters section): "
        + json.dumps(new, indent=1)
    )
    fixed = {name: sorted(set(params) - set(missing.get(name, []))) for name, params in known.items()}
    fixed = {name: params for name, params in fixed.items() if params}
    assert not fixed, (
        "these parameters are documented now; remove them from tests/docs/known_undocumented.json: "
        + json.dumps(fixed, indent=1)
    )


# ------------------------------------------------------------------------------------------- built site


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag in ("a", "link") and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built into a temporary directory with warnings as errors, without running the gallery."""
    import_optional("sphinx", "docs")
    for module in ("pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "myst_parser"):
        import_optional(module, "docs")
    out = tmp_path_factory.mktemp("site")
    # A copy of the sources: the gallery and the generated pages are written next to them, and a build that
    # does not run the examples must not leave its example pages where the real build would reuse them.
    shutil.copytree(
        DOCS,
        out / "docs",
        ignore=shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__"),
    )
    shutil.copytree(EXAMPLES, out / "examples")
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "-q",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        "-D",
        "sphinx_gallery_conf.plot_gallery=0",
        str(out / "docs"),
        str(out / "html"),
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, cwd=out, timeout=900, env={**os.environ, "MPLBACKEND": "Agg"}
    )
    assert done.returncode == 0, f"sphinx failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    return out / "html"


def _parse_pages(html: Path) -> dict[Path, _Links]:
    pages = {}
    for page in html.rglob("*.html"):
        if "_static" in page.relative_to(html).parts:
            continue  # the theme's template fragments, not pages
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    return pages


def test_every_internal_link_and_anchor_resolves(site):
    pages = _parse_pages(site)
    broken = []
    for page, links in pages.items():
        for href in links.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)}: {href} (no anchor {parts.fragment!r})")
    assert not broken, "\n".join(sorted(set(broken)))


def test_every_page_is_reachable_from_the_landing_page(site):
    pages = _parse_pages(site)
    seen, todo = set(), [(site / "index.html").resolve()]
    while todo:
        page = todo.pop()
        if page in seen or page not in pages:
            continue
        seen.add(page)
        for href in pages[page].hrefs:
            parts = urlsplit(href)
            if not parts.scheme and parts.path.endswith(".html"):
                todo.append((page.parent / unquote(parts.path)).resolve())
    # Sphinx's own utility pages are reached from the theme's search box, not from links.
    # sg_execution_times.html is sphinx-gallery's timing table, linked from nowhere by design.
    utility = {"search.html", "genindex.html", "py-modindex.html", "sg_execution_times.html"}
    orphans = [
        str(p.relative_to(site))
        for p in pages
        if p not in seen and p.name not in utility and "_modules" not in p.parts and "_sources" not in p.parts
    ]
    assert not orphans, f"pages no link leads to: {sorted(orphans)}"


def test_every_public_name_is_in_the_api_reference(site):
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as fh:
        inventory = InventoryFile.load(fh, "", lambda base, uri: uri)
    documented = (
        {name for entries in inventory.data.values() for name in entries}
        if hasattr(inventory, "data")
        else {name for entries in inventory.values() for name in entries}
    )
    top = importlib.import_module("gtdata")
    missing = []
    for full, obj in _public_objects():
        package, name = full.rsplit(".", 1)
        if not (inspect.ismodule(obj) or inspect.isclass(obj) or callable(obj)):
            continue  # data: listed on its package's page, not an inventory object of its own
        if full in documented:
            continue
        # A subpackage's re-export of a top-level name is documented once, as gtdata.NAME.
        aliases = [f"gtdata.{n}" for n in gtdata_docs.public_names("gtdata") if getattr(top, n) is obj]
        if inspect.ismodule(obj) and obj.__name__ in documented:
            continue
        if not any(a in documented for a in aliases):
            missing.append(full)
    assert not missing, f"public names without an API reference entry: {missing}"


# ---------------------------------------------------------------------------------------------- examples


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", gtdata_docs.EXAMPLE_ORDER)
def test_example_runs(script, tmp_path):
    assert (EXAMPLES / script).is_file()
    if os.environ.get("GTDATA_CI_BUILDS_GALLERY") == "1":
        # .ci/run builds the site with -W right after the tests, which runs every example with sphinx-gallery
        # and fails on any that raises: running them here too would only double CI's longest step
        pytest.skip("the examples run in CI's site build (.ci/run), which fails if one raises")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=890,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, f"{script} raised:\n{done.stderr[-6000:]}"


def test_every_example_is_in_the_reading_order():
    scripts = sorted(p.name for p in EXAMPLES.glob("plot_*.py"))
    assert sorted(gtdata_docs.EXAMPLE_ORDER) == scripts


def test_ci_builds_the_site_with_the_readme_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Documentation") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip()
    build = block.split("&&")[-1].strip()
    assert build == "python -m sphinx -W -b html docs docs/_build/html"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert build in ci_lines and 'python -m pip install --quiet -e ".[docs]"' in " ".join(ci_lines)


def test_the_readme_entry_points_are_pages_of_the_site(site):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Documentation") : readme.index("## Running the tests")]
    targets = re.findall(r"\]\(docs/_build/html/([^)]+)\)", section)
    assert len(targets) >= 6
    assert [t for t in targets if not (site / t).is_file()] == []


# Guide pages whose Python blocks run as written, in order, in one namespace (others refer to files of the
# reader's own: a scene.yaml, a run directory); value: indices of blocks that need such files.
RUNNABLE_PAGES = {"sampling.md": {2}, "splits.md": set(), "pairs.md": set(), "causal.md": set()}


@pytest.mark.parametrize("page", sorted(RUNNABLE_PAGES))
def test_guide_code_runs(page, tmp_path, monkeypatch):
    text = (DOCS / "user_guide" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, page
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(blocks):
        if i not in RUNNABLE_PAGES[page]:
            exec(compile(block, f"{page}[block {i}]", "exec"), namespace)
