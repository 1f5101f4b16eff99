"""``gtdata preview NAME``: a PNG grid of random samples and one traversal per factor."""

from __future__ import annotations

import argparse

from gtdata.core.errors import InvalidValueError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "preview",
        help="save a PNG of samples and factor traversals",
        description="Draw random samples (first row) and, for each factor, one traversal "
        "through its values with the other factors fixed; NAME may be any "
        "name or path gtdata.load accepts (benchmark set, render spec, "
        "prepared directory, HDF5 file).",
    )
    p.add_argument("name", help="data set name, alias or path")
    p.add_argument("--out", default=None, help="PNG file (default: NAME_preview.png)")
    p.add_argument("--samples", type=int, default=10, help="random samples in the first row (default 10)")
    p.add_argument(
        "--max-values",
        type=int,
        default=10,
        help="columns per traversal; larger factors are shown at evenly spaced values (default 10)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of samples and nuisance (default 0)")
    p.set_defaults(func=run)


def preview_image(data, samples: int, max_values: int, seed: int):
    """A PIL image: one row of ``samples`` random draws, then one traversal row per factor, labelled."""
    import numpy as np
    from PIL import Image, ImageDraw

    if samples < 1 or max_values < 2:
        raise InvalidValueError(f"--samples must be >= 1 and --max-values >= 2, got {samples} and {max_values}")
    rng = np.random.default_rng(seed)
    rows = [("samples", data.sample(samples, rng, dtype=np.uint8)[1])]
    anchor = data.sample_codes(1, rng)[0]
    for f in data.factor_space:
        _codes, obs = data.traverse(anchor, f.name, rng=rng, dtype=np.uint8)
        if len(obs) > max_values:
            obs = obs[np.linspace(0, len(obs) - 1, max_values).round().astype(int)]
        rows.append((f"{f.name} ({f.size})", obs))
    h, w, c = data.observation_shape
    label_w, pad = 150, 2
    cols = max(len(obs) for _l, obs in rows)
    canvas = Image.new("RGB", (label_w + cols * (w + pad), len(rows) * (h + pad)), "white")
    draw = ImageDraw.Draw(canvas)
    for r, (label, obs) in enumerate(rows):
        y = r * (h + pad)
        draw.text((4, y + h // 2 - 6), label[:24], fill="black")
        for k, img in enumerate(obs):
            img = np.repeat(img, 3, axis=2) if c == 1 else img[..., :3]
            canvas.paste(Image.fromarray(np.ascontiguousarray(img)), (label_w + k * (w + pad), y))
    return canvas


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from PIL.PngImagePlugin import PngInfo

    import gtdata.registry as registry
    from gtdata.core.persist import atomic_path, check_output

    if args.samples < 1 or args.max_values < 2:
        raise InvalidValueError(
            f"--samples must be >= 1 and --max-values >= 2, got {args.samples} and {args.max_values}"
        )
    out = Path(args.out) if args.out else Path(f"{Path(str(args.name)).stem}_preview.png")
    # Only an earlier preview (a PNG marked as gtdata's) is replaced; any other file is left alone.
    check_output(out, directory=False, is_gtdata=_is_preview, overwrite=True, what="a gtdata preview image")
    data = registry.load(args.name)
    image = preview_image(data, args.samples, args.max_values, args.seed)
    mark = PngInfo()
    mark.add_text("Software", "gtdata preview")
    with atomic_path(out) as tmp:
        image.save(tmp, format="PNG", pnginfo=mark)
    print(f"wrote {out} ({image.width}x{image.height}: {args.samples} samples, {data.num_factors} traversals)")
    return 0


def _is_preview(path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.format == "PNG" and img.text.get("Software", "").startswith("gtdata")
    except OSError:
        return False
