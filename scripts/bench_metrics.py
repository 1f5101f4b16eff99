"""Benchmark of the metric suite at the study's defaults on a dSprites-like set (factor sizes 3, 6, 40, 32, 32).

Two settings, as in issue 6:
  cheap  observations carry the factor codes; the representation is a fixed linear map of the codes to 10
         dimensions (the setting of the reference timings quoted in the issue).
  conv   the rendered `dsprites_like` set (64x64) encoded by the study's conv encoder (randomly initialised;
         `gtdata.models` architecture); the images/s of encoding are reported.
For DCI the reference definition (one GradientBoostingClassifier per factor, sequentially) is timed on the same
inputs as the default (same fits, balanced over the cores) and `dci_fast`; their Spearman rank agreement is
measured over a set of representations. Prints markdown tables. Timings on a shared machine are noisy.

    python scripts/bench_metrics.py               # everything at study sizes (long: tens of minutes)
    python scripts/bench_metrics.py --conv-fraction 0.05 --agreement-size 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.stats

import gtdata
from gtdata.core.data import GroundTruthData
from gtdata.core.factors import Factor, FactorSpace
from gtdata.metrics import STUDY_METRICS, arrays, compute_irs, run_suite
from gtdata.metrics.sampling import sample_train_test

SIZES = (3, 6, 40, 32, 32)
REFERENCE_S = {"dci": "160-260", "beta_vae": "1.3", "factor_vae": "0.75", "modularity_explicitness": "2.7"}


class CodesData(GroundTruthData):
    """dSprites' factor grid whose 'image' (1, 1, 5) holds the normalised codes: rendering costs nothing."""

    name = "dsprites_codes"

    def __init__(self, sizes=SIZES):
        self.factor_space = FactorSpace(Factor(f"f{i}", list(range(s))) for i, s in enumerate(sizes))
        self.observation_shape = (1, 1, len(sizes))
        self._sizes = np.asarray(sizes, dtype=np.float32)

    def _render(self, codes, nuisance):
        return ((codes + 0.5) / self._sizes).astype(np.float32).reshape(len(codes), 1, 1, -1)


class LinearMap:
    """Codes -> codes @ W (+ optional Gaussian noise of a fixed seed per call order): a cheap representation."""

    def __init__(self, weights: np.ndarray, noise: float = 0.0, seed: int = 0):
        self.weights = weights
        self.noise = noise
        self.rng = np.random.default_rng(seed)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        codes = x.reshape(len(x), -1) * np.asarray(SIZES, dtype=np.float32) - 0.5
        out = codes @ self.weights
        if self.noise:
            out = out + self.rng.normal(scale=self.noise, size=out.shape)
        return out


def scaled_options(fraction: float) -> dict[str, dict]:
    """Study defaults of the suite with every sample size multiplied by `fraction` (1.0: the study's sizes)."""
    from gtdata.metrics.evaluate import METRICS

    if fraction >= 1.0:
        return {}
    out = {}
    for name in STUDY_METRICS:
        opts = {}
        for key, value in METRICS[name].defaults.items():
            if key.startswith("num_") and key != "num_bins":
                scale = lambda v: max(20, int(v * fraction))  # noqa: E731
                opts[key] = [scale(v) for v in value] if isinstance(value, (list, tuple)) else scale(value)
        out[name] = opts
    return out


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def suite_rows(result, label: str, ref: bool) -> list[str]:
    rows = []
    for name, secs in result.provenance["elapsed_s"].items():
        rows.append(f"| {label} | {name} | {secs:.2f} | {REFERENCE_S.get(name, '') if ref else ''} |")
    total = sum(result.provenance["elapsed_s"].values())
    rows.append(f"| {label} | **whole study suite** | **{total:.1f}** | |")
    return rows


def cheap_setting(args) -> tuple[list[str], dict[str, float]]:
    data = CodesData()
    rep = LinearMap(np.random.default_rng(0).normal(size=(5, 10)))
    result = run_suite(data, rep, STUDY_METRICS, seed=0, options=scaled_options(args.scale))
    rows = suite_rows(result, "cheap", True)
    extra = {}
    n = max(100, int(10000 * args.scale))
    ctr, ftr, cte, fte = sample_train_test(data, rep, np.random.RandomState(1), n, n // 2, 512)
    ref, t_ref = timed(arrays.dci, ctr, ftr, cte, fte, random_state=np.random.RandomState(2), n_jobs=1)
    par, t_par = timed(arrays.dci, ctr, ftr, cte, fte, random_state=np.random.RandomState(2))
    fast, t_fast = timed(arrays.dci_fast, ctr, ftr, cte, fte, random_state=np.random.RandomState(2))
    assert ref == par, "parallel DCI must reproduce the sequential reference exactly"
    rows.append(f"| cheap | dci, reference definition (sequential, same inputs) | {t_ref:.1f} | 160-260 |")
    rows.append(f"| cheap | dci default (balanced over cores, same inputs) | {t_par:.1f} | ratio {t_par / t_ref:.2f} (target <= 0.6) |")
    rows.append(f"| cheap | dci_fast (same inputs) | {t_fast:.1f} | ratio 1/{t_ref / t_fast:.0f} (target <= 1/20) |")
    _, t_irs = timed(compute_irs, data, rep, 0, num_train=n)
    rows.append(f"| cheap | irs (not in the study suite) | {t_irs:.2f} | |")
    extra.update({f"default {k}": v for k, v in par.items()})
    extra.update({f"fast {k}": v for k, v in fast.items()})
    return rows, extra


def agreement(args) -> list[str]:
    """Spearman rank agreement of dci_fast with dci over representations of increasing entanglement and noise."""
    data = CodesData()
    rng = np.random.default_rng(5)
    eye = np.zeros((5, 10))
    eye[np.arange(5), np.arange(5)] = 1.0
    mix = rng.normal(size=(5, 10))
    reps = []
    for alpha in np.linspace(0.0, 1.0, args.agreement_reps):
        for noise in (0.3, 3.0):
            reps.append((f"alpha={alpha:.2f} noise={noise}", LinearMap((1 - alpha) * eye * 10 + alpha * mix * 10, noise, seed=1)))
    n = args.agreement_size
    d_def, d_fast, c_def, c_fast, i_def, i_fast, per_rep = [], [], [], [], [], [], []
    t_def = t_fast = 0.0
    for _, rep in reps:
        ctr, ftr, cte, fte = sample_train_test(data, rep, np.random.RandomState(0), n, n // 2, 512)
        (r_def, _, te_def), t1 = timed(arrays.importance_matrix, ctr, ftr, cte, fte, random_state=0)
        (r_fast, _, te_fast), t2 = timed(arrays.importance_matrix, ctr, ftr, cte, fte, random_state=0, fast=True)
        t_def += t1
        t_fast += t2
        s_def, s_fast = arrays.dci_scores(r_def), arrays.dci_scores(r_fast)
        d_def.append(s_def["disentanglement"])
        d_fast.append(s_fast["disentanglement"])
        c_def.append(s_def["completeness"])
        c_fast.append(s_fast["completeness"])
        i_def.append(te_def.mean())
        i_fast.append(te_fast.mean())
        per_rep.append(scipy.stats.spearmanr(r_def.ravel(), r_fast.ravel())[0])
    rho = lambda a, b: scipy.stats.spearmanr(a, b)[0]  # noqa: E731
    return [
        f"Agreement of dci_fast with dci over {len(reps)} representations ({n} train / {n // 2} test points each; "
        f"linear maps from axis-aligned to fully mixed, two noise levels):",
        "",
        "| quantity | Spearman rho | max abs difference |",
        "|---|---|---|",
        f"| disentanglement across representations | {rho(d_def, d_fast):.3f} | {np.max(np.abs(np.subtract(d_def, d_fast))):.3f} |",
        f"| completeness across representations | {rho(c_def, c_fast):.3f} | {np.max(np.abs(np.subtract(c_def, c_fast))):.3f} |",
        f"| informativeness_test across representations | {rho(i_def, i_fast):.3f} | {np.max(np.abs(np.subtract(i_def, i_fast))):.3f} |",
        f"| importance-matrix entries within a representation (mean over representations) | {np.mean(per_rep):.3f} | |",
        "",
        f"(total fit time at this size: dci {t_def:.1f} s, dci_fast {t_fast:.1f} s)",
    ]


def conv_setting(args) -> list[str]:
    import torch

    from gtdata.metrics import as_representation
    from gtdata.models.architectures import ConvEncoder

    torch.manual_seed(0)
    data = gtdata.load("dsprites_like")
    encoder = ConvEncoder(1, 10).eval()
    x = data.sample_observations(512, 0)
    rep = as_representation(encoder)
    rep(x)  # warm-up
    _, t_enc = timed(lambda: [rep(x) for _ in range(4)])
    enc_rate = 4 * 512 / t_enc
    _, t_render = timed(data.sample_observations, 2048, 1)
    render_rate = 2048 / t_render
    f = args.conv_fraction
    opts = scaled_options(args.scale)
    if f < 1.0:
        opts["beta_vae"] = {"num_train": max(10, int(10000 * f)), "num_eval": max(10, int(5000 * f))}
        opts["factor_vae"] = {"num_train": max(10, int(10000 * f)), "num_eval": max(10, int(5000 * f)), "num_variance_estimate": 10000}
    result = run_suite(data, rep, STUDY_METRICS, seed=0, options=opts)
    rows = suite_rows(result, "conv", False)
    head = [
        f"conv encoder: {enc_rate:,.0f} images/s of encoding (batches of 512, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads); rendering dsprites_like: {render_rate:,.0f} images/s.",
    ]
    if f < 1.0:
        imgs_b = (10000 + 5000) * 64 * 2 * (1 - f)
        imgs_f = (10000 + 5000) * 64 * (1 - f)
        per_img = 1 / enc_rate + 1 / render_rate
        head.append(
            f"BetaVAE / FactorVAE ran at {f:g} of the study's num_train/num_eval; at the study's sizes they need "
            f"{imgs_b:,.0f} / {imgs_f:,.0f} more images, about {imgs_b * per_img:,.0f} s / {imgs_f * per_img:,.0f} s more "
            "at the rates above (estimate, not measured)."
        )
    return head + [""] + rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conv-fraction", type=float, default=1.0, help="fraction of BetaVAE/FactorVAE sizes for the conv setting")
    parser.add_argument("--agreement-size", type=int, default=10000, help="training points per representation for the agreement")
    parser.add_argument("--agreement-reps", type=int, default=4, help="entanglement levels (x2 noise levels)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every sample size by this (smoke runs; 1.0 = study sizes)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["cheap", "agreement", "conv"])
    args = parser.parse_args()
    print(f"gtdata {gtdata.__version__}; numpy {np.__version__}; scikit-learn {__import__('sklearn').__version__}")
    if "cheap" not in args.skip:
        rows, extra = cheap_setting(args)
        print("\n| setting | metric | seconds | reference (issue) |\n|---|---|---|---|")
        print("\n".join(rows), flush=True)
        print("\nDCI on the same inputs: " + ", ".join(f"{k} {v:.3f}" for k, v in extra.items()), flush=True)
    if "agreement" not in args.skip:
        print()
        print("\n".join(agreement(args)), flush=True)
    if "conv" not in args.skip:
        print()
        lines = conv_setting(args)
        idx = lines.index("")
        print("\n".join(lines[:idx]))
        print("\n| setting | metric | seconds | reference (issue) |\n|---|---|---|---|")
        print("\n".join(lines[idx + 1 :]), flush=True)


if __name__ == "__main__":
    main()
