"""Pages of the gtdata site that are generated from the package itself, so the site never disagrees with it.

At extension set-up (before Sphinx reads any source) this writes, under ``docs/generated/``:

- ``datasets/<name>.md``: one page per registered data set. Benchmark sets come from their manifest (factors
  with values and units, files, sizes and checksums, sources, editions, preparation notes, citation, licence)
  and from the matching section of ``docs/differences.md``; rendered and other built-in sets from their
  factor space and, where there is one, their spec file.
- ``cli.rst``: every ``gtdata`` subcommand from the argparse parsers of :func:`gtdata.cli.main.build_parser`.
- ``api/<package>.rst``: one page per public package (each top-level ``gtdata.X`` with an ``__all__``), an
  autosummary over exactly the names of its ``__all__``, so a new public package or name appears by itself.
- ``methods_table.md`` / ``metrics_table.md``: the training methods with their default hyper-parameters and
  the metric suite with its defaults, read from :data:`gtdata.models.METHODS` and the metric registry.

Files are rewritten only when their text changes, so incremental builds stay incremental.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
OUT = DOCS / "generated"

# Registered data sets that are not data of their own (none today) would be listed here.
_DIFFERENCES = DOCS / "differences.md"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _values_text(values: tuple | list, limit: int = 12) -> str:
    vals = [_fmt_value(v) for v in values]
    if len(vals) <= limit:
        return ", ".join(vals)
    return ", ".join(vals[:5]) + ", …, " + ", ".join(vals[-3:])


def _size_text(n: int | None) -> str:
    if n is None:
        return "not published"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n:,} bytes ({n / scale:.1f} {unit})"
    return f"{n:,} bytes"


# --------------------------------------------------------------------------------------------- gallery

EXAMPLE_ORDER = (
    "plot_rendered_sets.py",
    "plot_benchmark_sets.py",
    "plot_pairs.py",
    "plot_held_out_split.py",
    "plot_causal.py",
    "plot_render_shapes.py",
    "plot_custom_spec.py",
    "plot_train_and_traverse.py",
    "plot_metrics.py",
    "plot_study.py",
)


class ExampleOrder:
    """sphinx-gallery sort key: the examples in reading order (``EXAMPLE_ORDER``), any others after, by name."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        return (EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER), name)


# ----------------------------------------------------------------------------------------------- data sets


def _difference_sections() -> list[tuple[str, str]]:
    """``(heading, body)`` of every ``## `` section of differences.md (the file is edited by hand)."""
    if not _DIFFERENCES.exists():
        return []
    text = _DIFFERENCES.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def _differences_for(names: list[str]) -> list[tuple[str, str]]:
    found = []
    for heading, body in _difference_sections():
        ticked = set(re.findall(r"`([^`]+)`", heading))
        words = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", heading)}
        hit = any(n in ticked for n in names)
        # "Color-, Noisy-, Scream-dSprites" names the variants in prose, not as `name`s.
        hit = hit or any(n.endswith("_dsprites") and n.split("_")[0] in words for n in names)
        if hit:
            found.append((heading, body))
    return found


def _prep_notes(fmt: str) -> str:
    try:
        module = importlib.import_module(f"gtdata.datasets.{fmt}")
    except ImportError:
        return ""
    doc = inspect.getdoc(module) or ""
    # Drop pointers into the project's private research notes; they are not part of the site.
    doc = re.sub(r"\s*\((?:see )?datasets\.md[^)]*\)", "", doc)
    return doc


def _factor_rows(factors) -> list[list[Any]]:
    rows = []
    for i, f in enumerate(factors):
        unit = f.unit or "—"
        role = "nuisance (drawn at random, not a factor)" if getattr(f, "nuisance", False) else "factor"
        rows.append([i, f"`{f.name}`", len(f.values), _values_text(f.values), unit, role])
    return rows


def _file_section(files) -> list[str]:
    lines = []
    for entry in files:
        lines += [f"### `{entry.name}`", ""]
        lines.append(f"- size: {_size_text(entry.size)}")
        if entry.checksums:
            for algo, digest in entry.checksums.items():
                lines.append(f"- {algo}: `{digest}`")
        elif not entry.published:
            lines.append(
                "- checksum: none published; the first verified download records its sha256 and size "
                "in the cache, and later uses are checked against that record"
            )
        if entry.manual:
            lines.append(f"- manual download: {entry.manual}")
        lines.append("- sources, tried in this order:")
        for src in entry.sources:
            extra = f" — {src.note}" if src.note else ""
            sums = "".join(f"; {a} for this URL only: `{d}`" for a, d in src.checksums.items())
            lines.append(f"  1. <{src.url}>{extra}{sums}")
        lines.append("")
    return lines


def _write_samples(data, path: Path, n: int = 16, cols: int = 8, zoom: int = 2) -> None:
    """A PNG grid of ``n`` random samples (seed 0), each tile ``zoom`` times its size; rewritten only on change."""
    import io

    import numpy as np
    from PIL import Image

    _, images = data.sample(n, 0, dtype=np.uint8)
    n, h, w, c = images.shape
    rows, gap = -(-n // cols), 4
    grid = np.full((rows * (h * zoom + gap) + gap, cols * (w * zoom + gap) + gap, c), 255, dtype=np.uint8)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        y, x = gap + r * (h * zoom + gap), gap + q * (w * zoom + gap)
        grid[y : y + h * zoom, x : x + w * zoom] = image.repeat(zoom, axis=0).repeat(zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(grid[..., 0] if c == 1 else grid).save(buffer, format="PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())


def _benchmark_pictures(name: str, key: str) -> list[str]:
    """Samples when the set is prepared in this machine's cache; otherwise a plain "download first" note."""
    import gtdata
    from gtdata.store.cache import prepared_dir

    if (prepared_dir(key) / "images.npy").exists():
        try:
            data = gtdata.load(name, download=False)
        except (FileNotFoundError, OSError):
            data = None
        if data is not None:
            _write_samples(data, OUT / "datasets" / "_images" / f"{name}.png")
            return [
                f"![16 random samples of {name}](_images/{name}.png)",
                "",
                "*16 random samples (seed 0) from the copy in the cache of the machine that built this site.*",
                "",
            ]
    return [
        ":::{note}",
        f"`{name}` was not in the cache of the machine that built this site, so there are no "
        f"pictures here. Download it first — `gtdata download {name}` — and `gtdata preview {name}` draws "
        "samples and one traversal per factor into a PNG.",
        ":::",
        "",
    ]


def _benchmark_page(info, manifest, variant_of: str | None = None, extra_manifest=None) -> str:
    from gtdata.datasets.manifest import Manifest  # noqa: F401  (documents the type used below)

    name = info.name
    edition = None
    for ed, spec in manifest.editions.items():
        if name in (spec.get("aliases") or []):
            edition = ed
    m = manifest.with_edition(edition) if edition else manifest
    lines = [f"({name})=", f"# {name}", ""]
    summary = (
        info.description
        if info.description.startswith(m.title.split(" (")[0]) or variant_of
        else f"{m.title}: {info.description}"
    )
    lines += [f"**{summary}.**", ""]
    if variant_of is None:
        lines += [m.description.strip(), ""]
    else:
        lines += [
            f"A per-draw transform of [`{variant_of}`]({variant_of}.md): the same prepared images and "
            "factors, with the variant's randomness drawn from the caller's `rng` on every call (no "
            "stored copy).",
            "",
        ]
    aliases = info.aliases
    lines += [
        "```python",
        "import gtdata",
        "",
        f'data = gtdata.load("{name}")   # downloads, verifies and prepares on first use',
        "```",
        "",
        "```bash",
        f"gtdata download {name} && gtdata prepare {name}",
        f"gtdata info {name}",
        "```",
        "",
    ]
    shape = tuple(m.observation_shape)
    if variant_of is not None:
        shape = (*shape[:2], 3)  # the variants colour the sprite or the background: RGB
    facts = [
        ["images (grid points)", f"{m.num_images:,}"],
        ["observation", "×".join(map(str, shape)) + " (H×W×C), float32 in [0, 1]"],
        ["preparation format", f"`{m.format}`"],
        ["licence", m.license],
    ]
    if aliases:
        facts.insert(0, ["aliases", ", ".join(f"`{a}`" for a in aliases)])
    if m.homepage:
        facts.append(["homepage", f"<{m.homepage}>"])
    facts.append(["manifest", f"`gtdata/manifests/{m.path.name}`" + (f", edition `{edition}`" if edition else "")])
    lines += [_table(["fact", "value"], facts), ""]
    lines += [
        "## Factors",
        "",
        _table(["#", "name", "values", "value list", "unit", "role"], _factor_rows(m.factors)),
        "",
    ]
    lines += [
        "Codes are positions on these grids; the flat index runs in mixed radix with the last factor "
        "fastest (see [sampling](../../user_guide/sampling.md)).",
        "",
    ]
    extra_files = list(extra_manifest.files) if extra_manifest is not None else []
    lines += ["## Files", ""] + _file_section(list(m.files) + extra_files)
    other = {ed: spec for ed, spec in manifest.editions.items() if ed != edition}
    if other or edition:
        lines += ["## Editions", ""]
        if edition:
            lines += [
                f"This page is edition `{edition}` of `{manifest.name}`; the default edition has its own "
                f"page: [`{manifest.name}`]({manifest.name}.md).",
                "",
            ]
        for ed, spec in other.items():
            ed_aliases = ", ".join(f"`{a}`" for a in spec.get("aliases") or [])
            desc = " ".join(str(spec.get("description", "")).split())
            target = (spec.get("aliases") or [None])[0]
            link = f" — page: [`{target}`]({target}.md)" if target else f' — `edition="{ed}"`'
            lines += [f"- **{ed}** ({ed_aliases or 'no alias'}){link}: {desc}"]
        lines.append("")
    lines += ["## How it is prepared", ""]
    if m.notes:
        lines += [" ".join(m.notes.split()), ""]
    notes = _prep_notes(m.format)
    if notes:
        lines += [notes, ""]
    lines += [
        "Preparation streams the raw files once into the memory-mapped store "
        "(`$GTDATA_HOME/prepared/...`, see [cache](../../user_guide/cache.md)); a crash never leaves a "
        "half-prepared set that looks complete.",
        "",
    ]
    diffs = _differences_for([name, *aliases, manifest.name] if variant_of is None else [name])
    lines += ["## Differences from the reference implementations", ""]
    if diffs:
        for heading, body in diffs:
            # Relative links of differences.md (in docs/) point two folders up from here.
            body = re.sub(r"\]\((?![a-z]+:|#|/)([^)]+)\)", r"](../../\1)", body)
            lines += [f"From [differences](../../differences.md), *{heading}*:", "", body, ""]
    else:
        lines += ["None beyond those common to all sets, listed in [differences](../../differences.md).", ""]
    lines += [
        "## Citation and licence",
        "",
        f"Licence: {m.license}.",
        "",
        "```bibtex" if "@" in m.citation else "```text",
        m.citation.strip(),
        "```",
        "",
    ]
    if extra_manifest is not None:
        lines += [
            f"{extra_manifest.title}: licence {extra_manifest.license}; {' '.join(extra_manifest.citation.split())}",
            "",
        ]
    lines += ["## Pictures", ""] + _benchmark_pictures(info.name, m.key if variant_of is None else "dsprites")
    return "\n".join(lines)


def _rendered_page(info, out_dir: Path) -> str:
    import gtdata

    data = gtdata.load(info.name)
    space = data.factor_space
    lines = [f"({info.name})=", f"# {info.name}", "", f"**{info.description}.**", ""]
    lines += [
        f"![16 random samples of {info.name}](_images/{info.name}.png)",
        "",
        "*16 random samples (seed 0), drawn when this site was built.*",
        "",
    ]
    _write_samples(data, out_dir / "_images" / f"{info.name}.png")
    lines += ["```python", "import gtdata", "", f'data = gtdata.load("{info.name}")   # no download', "```", ""]
    lines += [
        _table(
            ["fact", "value"],
            [
                ["kind", info.kind],
                ["grid points", f"{len(space):,}"],
                ["observation", "×".join(map(str, data.observation_shape)) + " (H×W×C), float32 in [0, 1]"],
            ],
        ),
        "",
    ]
    rows = []
    for i, f in enumerate(space.factors):
        kind = "continuous (grid for codes)" if getattr(f, "continuous", False) else "discrete"
        rows.append([i, f"`{f.name}`", f.size, _values_text(f.values), f.unit or "—", kind])
    lines += ["## Factors", "", _table(["#", "name", "values", "value list", "unit", "kind"], rows), ""]
    spec_path = None
    if info.kind == "rendered":
        try:
            from gtdata.render.builtin import builtin_spec_path

            spec_path = builtin_spec_path(info.name)
        except (ImportError, ValueError):
            spec_path = None
    if spec_path is not None and spec_path.exists():
        lines += [
            "## Spec",
            "",
            "The built-in spec file (format: [rendering](../../user_guide/rendering.md)):",
            "",
            "```yaml",
            spec_path.read_text(encoding="utf-8").rstrip(),
            "```",
            "",
        ]
    doc = inspect.getdoc(type(data)) or ""
    if doc and info.kind != "rendered":
        lines += ["## Class", "", doc, ""]
    lines += [
        "## Traversals",
        "",
        "The [rendered sets gallery example](../../auto_examples/plot_rendered_sets.rst) shows one traversal "
        "per factor of every built-in rendered set.",
        "",
    ]
    return "\n".join(lines)


def write_dataset_pages(out: Path) -> list[str]:
    import gtdata
    from gtdata.datasets.manifest import all_manifests, resolve_name

    manifests = all_manifests()
    names = []
    for info in gtdata.list_datasets():
        if info.kind == "benchmark":
            variant_of = None
            extra = None
            try:
                manifest, _ = resolve_name(info.name)
            except Exception:
                manifest = None
            if manifest is None and info.name.endswith("_dsprites"):
                manifest, variant_of = manifests["dsprites"], "dsprites"
                if info.name == "scream_dsprites" and "scream" in manifests:
                    extra = manifests["scream"]
            if manifest is None:
                continue
            text = _benchmark_page(info, manifest, variant_of, extra)
        else:
            text = _rendered_page(info, out)
        _write(out / f"{info.name}.md", text)
        names.append(info.name)
    kinds: dict[str, list] = {}
    for info in gtdata.list_datasets():
        if info.name in names:
            kinds.setdefault(info.kind, []).append(info)
    titles = {
        "benchmark": "Benchmark sets (downloaded)",
        "rendered": "Rendered sets (no download)",
        "toy": "Toy sets (tests and examples)",
    }
    index = [
        "# Data sets",
        "",
        "One page per registered data set, generated from its manifest or spec when the site is built "
        "(`gtdata list` prints the same registry).",
        "",
    ]
    for kind, infos in kinds.items():
        index += [
            f"## {titles.get(kind, kind.capitalize() + ' sets')}",
            "",
            _table(["name", "description"], [[f"[`{i.name}`]({i.name}.md)", i.description] for i in infos]),
            "",
        ]
    index += ["```{toctree}", ":hidden:", "", *names, "```", ""]
    _write(out / "index.md", "\n".join(index))
    return names


# ---------------------------------------------------------------------------------------------------- CLI


def _rst_escape(text: str) -> str:
    """Help text as reST: markup characters escaped, `command` quotes of the help turned into literals."""
    text = text.replace("\\", "\\\\").replace("*", "\\*").replace("|", "\\|")
    text = re.sub(r"`([^`]+)`", r"``\1``", text)
    return text.replace("`", "\\`") if text.count("`") % 2 else text


def _action_row(action: argparse.Action) -> tuple[str, str] | None:
    if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
        return None
    if action.option_strings:
        metavar = ""
        if action.nargs != 0:
            metavar = action.metavar or action.dest.upper()
            if isinstance(metavar, tuple):
                metavar = " ".join(metavar)
            if action.nargs in ("*", "+"):
                metavar = f"{metavar} [...]"
        names = ", ".join(f"{o} {metavar}".strip() for o in action.option_strings)
    else:
        names = action.metavar or action.dest
        if action.nargs == "?":
            names = f"[{names}]"
        elif action.nargs in ("*", "+"):
            names = f"{names} ..."
    help_text = action.help or ""
    if help_text == argparse.SUPPRESS:
        return None
    help_text = help_text % {"default": action.default, "prog": "gtdata"} if "%(" in help_text else help_text
    if help_text and not help_text.rstrip().endswith((".", ")", ":")):
        help_text = help_text.rstrip() + "."
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        help_text += f" Choices: {', '.join(map(str, action.choices))}."
    if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings and "default" not in help_text:
        help_text += f" Default: ``{action.default}``."
    return names, help_text


def _parser_rst(parser: argparse.ArgumentParser, command: str, level: int) -> list[str]:
    marks = "=-~^"
    title = command
    lines = [f".. _cli-{command.replace(' ', '-')}:", "", title, marks[level] * len(title), ""]
    if parser.description:
        lines += [_rst_escape(" ".join(parser.description.split())), ""]
    usage = parser.format_usage().strip()
    usage = re.sub(r"^usage:\s*", "", usage)
    lines += [".. code-block:: text", "", textwrap.indent(usage, "   "), ""]
    groups = [(g.title, g._group_actions) for g in parser._action_groups]
    for group_title, actions in groups:
        rows = [r for r in (_action_row(a) for a in actions) if r]
        if not rows:
            continue
        heading = {"positional arguments": "Arguments", "options": "Options", "optional arguments": "Options"}.get(
            group_title, group_title[:1].upper() + group_title[1:]
        )
        lines += [f"**{_rst_escape(heading)}**", "", ".. list-table::", "   :widths: 35 65", ""]
        for names, help_text in rows:
            lines += [f"   * - ``{names}``", f"     - {_rst_escape(help_text) if help_text else ''}"]
        lines.append("")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += _parser_rst(sub, f"{command} {name}", level + 1)
    return lines


def write_cli_page(out: Path) -> None:
    from gtdata.cli.main import build_parser

    parser = build_parser()
    lines = [
        ".. This page is generated from the argparse parsers by docs/_ext/gtdata_docs.py; do not edit.",
        "",
        ".. _cli:",
        "",
        "CLI reference",
        "=============",
        "",
        "Every ``gtdata`` subcommand with its arguments, generated from the command's own parsers when the "
        "site is built (``gtdata COMMAND --help`` prints the same). Errors print one line and exit with "
        "status 2; Ctrl-C exits with 130.",
        "",
    ]
    top = [r for r in (_action_row(a) for a in parser._actions) if r]
    lines += [
        ".. code-block:: text",
        "",
        textwrap.indent(re.sub(r"^usage:\s*", "", parser.format_usage().strip()), "   "),
        "",
    ]
    if top:
        lines += [".. list-table::", "   :widths: 35 65", ""]
        for names, help_text in top:
            lines += [f"   * - ``{names}``", f"     - {_rst_escape(help_text)}"]
        lines.append("")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in sorted(action.choices.items()):
                lines += _parser_rst(sub, f"gtdata {name}", 0)
    _write(out / "cli.rst", "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------- API


def public_packages() -> list[str]:
    """``gtdata`` and each top-level ``gtdata.X`` (package or module) that declares ``__all__``."""
    import gtdata

    found = ["gtdata"]
    for mod in sorted(pkgutil.iter_modules(gtdata.__path__), key=lambda m: m.name):
        if mod.name.startswith("_") or mod.name in ("cli",):
            continue
        module = importlib.import_module(f"gtdata.{mod.name}")
        if getattr(module, "__all__", None) is not None:
            found.append(f"gtdata.{mod.name}")
    return found


def public_names(package: str) -> list[str]:
    module = importlib.import_module(package)
    return [n for n in module.__all__ if n != "__version__"]


def _kind(obj: Any) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def write_api_pages(out: Path) -> list[str]:
    packages = public_packages()
    top = importlib.import_module("gtdata")
    top_objects = {id(getattr(top, n)): n for n in public_names("gtdata") if _kind(getattr(top, n)) != "data"}
    for package in packages:
        module = importlib.import_module(package)
        names = public_names(package)
        here, elsewhere, submodules = [], [], []
        for n in names:
            obj = getattr(module, n)
            if inspect.ismodule(obj) and obj.__name__ in packages:
                elsewhere.append((n, None))
            elif inspect.ismodule(obj):
                submodules.append(n)
            elif package != "gtdata" and id(obj) in top_objects:
                elsewhere.append((n, top_objects[id(obj)]))
            else:
                here.append(n)
        title = f"``{package}``"
        lines = [
            f".. _api-{package}:",
            "",
            title,
            "=" * len(title),
            "",
            f".. automodule:: {package}",
            "   :no-members:",
            "",
        ]
        if here:
            lines += [
                ".. currentmodule:: " + package,
                "",
                ".. autosummary::",
                "   :toctree: generated",
                "   :template: gtdata_object.rst",
                "",
                *[f"   {n}" for n in here],
                "",
            ]
        if submodules:
            lines += [
                "Modules",
                "-------",
                "",
                ".. currentmodule:: " + package,
                "",
                ".. autosummary::",
                "   :toctree: generated",
                "   :template: gtdata_module.rst",
                "",
                *[f"   {m}" for m in submodules],
                "",
            ]
        if elsewhere:
            lines += [
                "Also exported here",
                "------------------",
                "",
                f"These names of ``{package}.__all__`` are documented on their own page:",
                "",
            ]
            lines += [
                f"- ``{package}.{n}``: :obj:`gtdata.{t}`"
                if t
                else f"- ``{package}.{n}``: the package :ref:`api-{package}.{n}`"
                for n, t in elsewhere
            ] + [""]
        _write(out / f"{package}.rst", "\n".join(lines))
    index = [
        ".. This page is generated by docs/_ext/gtdata_docs.py from the packages' __all__; do not edit.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every name in the ``__all__`` of ``gtdata`` and of its public packages, with its docstring. "
        "Names re-exported at the top level are documented once, as ``gtdata.NAME``.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *[f"   {p}" for p in packages],
        "",
    ]
    _write(out / "index.rst", "\n".join(index))
    return packages


# ------------------------------------------------------------------------------------------ small tables


def write_tables(out: Path) -> None:
    from gtdata.models import METHODS

    rows = []
    for name, cls in METHODS.items():
        hp = ", ".join(f"`{k}` = {v}" for k, v in cls.defaults.items()) or "—"
        weak = "pairs" if "k" in cls.defaults else "single images"
        rows.append([f"`{name}`", f"`{cls.__name__}`", weak, hp])
    _write(
        out / "methods_table.md", _table(["method", "class", "trains on", "hyper-parameters (defaults)"], rows) + "\n"
    )
    from gtdata.metrics.evaluate import METRICS, STUDY_METRICS

    rows = []
    for name, spec in METRICS.items():
        defaults = ", ".join(f"`{k}` = {v}" for k, v in spec.defaults.items()) or "—"
        rows.append([f"`{name}`", "yes" if name in STUDY_METRICS else "", defaults])
    _write(out / "metrics_table.md", _table(["metric", "study suite", "defaults"], rows) + "\n")


def write_preset_table(out: Path) -> None:
    from gtdata.study import PRESETS, expand, preset

    rows = []
    for name, raw in PRESETS.items():
        spec = preset(name)
        runs = f"{len(expand(spec)):,}"
        methods = ", ".join(dict.fromkeys(m["method"] if isinstance(m, dict) else str(m) for m in raw["methods"]))
        seeds = raw["seeds"] if isinstance(raw["seeds"], int) else len(raw["seeds"])
        rows.append(
            [
                f"`{name}`",
                raw.get("description", ""),
                ", ".join(f"`{d}`" for d in raw["datasets"]),
                methods,
                seeds,
                f"{raw['steps']:,}",
                runs,
            ]
        )
    _write(
        out / "presets_table.md",
        _table(["preset", "what", "data sets", "methods", "seeds", "steps", "runs"], rows) + "\n",
    )


def write_render_tables(out: Path) -> None:
    from gtdata.render.shapes import BUILTIN_SHAPES
    from gtdata.render.spec import OBJECT_PROPERTIES, TEXTURES

    kinds = {
        "shape": "a shape name",
        "number": "a number",
        "color": "a colour: grey level or [r, g, b] in [0, 1]",
        "texture": f"one of {', '.join(TEXTURES)}",
    }
    rows = []
    for name, (kind, default) in OBJECT_PROPERTIES.items():
        if default is None:
            shown = "required" if name == "shape" else "absent"
        else:
            shown = f"`{default}`"
        rows.append([f"`{name}`", kinds.get(kind, kind), shown])
    text = _table(["property", "takes", "default"], rows) + "\n\n"
    text += "Built-in shapes: " + ", ".join(f"`{s}`" for s in BUILTIN_SHAPES) + ".\n"
    _write(out / "render_properties_table.md", text)


def generate(docs_dir: Path = DOCS) -> None:
    out = docs_dir / "generated"
    # autosummary never deletes a stub; start from none so a removed public name leaves no stale page behind.
    shutil.rmtree(out / "api" / "generated", ignore_errors=True)
    write_dataset_pages(out / "datasets")
    write_cli_page(out)
    write_api_pages(out / "api")
    write_tables(out)
    write_render_tables(out)
    write_preset_table(out)


def setup(app):
    generate()
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
