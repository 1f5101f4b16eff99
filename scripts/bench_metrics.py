"""Benchmark of the metric suite at the study's defaults on a dSprites-like set (factor sizes 3, 6, 40, 32, 32).

Two settings, as in issue 6:
  cheap  observations carry the factor codes; the representation is a fixed linear map of the codes to 10
         dimensions (the setting of the reference timings quoted in the issue).
  conv   the rendered `dsprites_like` set (64x64) encoded by the study's conv encoder (randomly initialised;
         `gtdata.models` architecture); the images/s of encoding are reported.
For DCI the reference definition (one GradientBoostingClassifier per factor, sequentially) is timed on the same
inputs as the default (same fits, balanced over the cores) and `dci_fast`; their Spearman rank agreement is
measured over a set of representations. Prints markdown table rows as they are measured. Timings on a shared
machine are noisy.

    python scripts/bench_metrics.py --conv-all --agreement-size 10000    # everything at the study's sizes (hours)
    python scripts/bench_metrics.py --conv-fraction 0.02 --agreement-size 1000 --agreement-reps 3
    python scripts/bench_metrics.py --scale 0.01 --conv-fraction 0.005 --agreement-size 200   # smoke run
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.stats

import gtdata
from gtdata.core.data import GroundTruthData
from gtdata.core.factors import Factor, FactorSpace
from gtdata.metrics import STUDY_METRICS, arrays, compute_dci, compute_irs
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


def row(setting: str, metric: str, seconds: float, note: str = "") -> None:
    print(f"| {setting} | {metric} | {seconds:.2f} | {note} |", flush=True)


# the study suite's metrics but DCI, cheapest first; each timed alone through its sampling-level function
QUICK = ("beta_vae", "factor_vae", "mig", "unsupervised", "modularity_explicitness", "sap")
DOWNSTREAM = ("downstream_logistic_regression", "downstream_boosted_trees")


def time_metrics(setting: str, data, rep, names, options: dict[str, dict], notes: dict[str, str]) -> float:
    """Time each named metric at the given options; returns the summed seconds."""
    from gtdata.metrics.evaluate import METRICS

    total = 0.0
    for name in names:
        spec = METRICS[name]
        kwargs = {**spec.defaults, **options.get(name, {})}
        _, secs = timed(spec.compute, data, rep, np.random.RandomState(0), **kwargs)
        total += secs
        row(setting, name, secs, notes.get(name, ""))
    return total


def cheap_setting(args) -> None:
    data = CodesData()
    rep = LinearMap(np.random.default_rng(0).normal(size=(5, 10)))
    total = time_metrics("cheap", data, rep, QUICK, scaled_options(args.scale), REFERENCE_S)
    n = max(100, int(10000 * args.scale))
    ctr, ftr, cte, fte = sample_train_test(data, rep, np.random.RandomState(1), n, n // 2, 512)
    fast, t_fast = timed(arrays.dci_fast, ctr, ftr, cte, fte, random_state=np.random.RandomState(2))
    row("cheap", "dci_fast (opt-in)", t_fast)
    par, t_par = timed(arrays.dci, ctr, ftr, cte, fte, random_state=np.random.RandomState(2))
    row("cheap", "dci (default: per-factor fits balanced over the cores)", t_par, "160-260")
    total += t_par
    ref, t_ref = timed(arrays.dci, ctr, ftr, cte, fte, random_state=np.random.RandomState(2), n_jobs=1)
    assert ref == par, "parallel DCI must reproduce the sequential reference exactly"
    row("cheap", "dci, reference definition (the same fits one after another, same inputs)", t_ref, "160-260")
    print(f"| cheap | **dci default / reference** | {t_par / t_ref:.2f} | target <= 0.6 |")
    print(f"| cheap | **dci_fast / reference** | 1/{t_ref / t_fast:.0f} | target <= 1/20 |", flush=True)
    total += time_metrics("cheap", data, rep, DOWNSTREAM, scaled_options(args.scale), {})
    print(f"| cheap | **study suite (sum of the rows above, default dci)** | {total:.1f} | |", flush=True)
    _, t_irs = timed(compute_irs, data, rep, 0, num_train=n)
    row("cheap", "irs (not in the study suite)", t_irs)
    print(
        "\nDCI on the same inputs: "
        + ", ".join(f"default {k} {v:.3f}" for k, v in par.items())
        + "; "
        + ", ".join(f"fast {k} {v:.3f}" for k, v in fast.items()),
        flush=True,
    )


def lpt_makespan(costs: list[float], workers: int) -> float:
    """Finish time of longest-first scheduling of `costs` on `workers` (what fit_per_factor's dispatch does)."""
    loads = [0.0] * workers
    for c in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += c
    return max(loads)


def dci_cpu(args) -> None:
    """Load-independent view of the DCI targets: CPU seconds of every per-factor fit (measured inside the worker
    processes), the sequential reference's total, and the two-core schedule's critical path."""
    from gtdata.metrics._fitting import fit_per_factor

    data = CodesData()
    rep = LinearMap(np.random.default_rng(0).normal(size=(5, 10)))
    n = max(100, int(10000 * args.scale))
    ctr, ftr, cte, fte = sample_train_test(data, rep, np.random.RandomState(1), n, n // 2, 512)
    gbt = fit_per_factor("gbt", ctr, ftr, cte, fte, [0] * 5, want_importances=True, n_jobs=2)
    hist = fit_per_factor("hist_gbt", ctr, ftr, cte, fte, [0] * 5, want_importances=True, n_jobs=2)
    ref = sum(r.cpu_seconds for r in gbt)
    par = lpt_makespan([r.cpu_seconds for r in gbt], 2)
    fast = lpt_makespan([r.cpu_seconds for r in hist], 2)
    print("| factor (classes) | GradientBoosting CPU s | histogram boosting CPU s |\n|---|---|---|")
    for j, (a, b) in enumerate(zip(gbt, hist)):
        print(f"| {j} ({SIZES[j]}) | {a.cpu_seconds:.1f} | {b.cpu_seconds:.2f} |")
    print(
        f"\nreference (sequential) {ref:.1f} CPU s; default on 2 cores: critical path {par:.1f} s = {par / ref:.2f} of the "
        f"reference (target <= 0.6); dci_fast on 2 cores: {fast:.2f} s = 1/{ref / fast:.0f} of the reference "
        "(target <= 1/20). Per-fit CPU time, measured in the worker processes, does not depend on the machine's load.",
        flush=True,
    )


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
            reps.append(
                (
                    f"alpha={alpha:.2f} noise={noise}",
                    LinearMap((1 - alpha) * eye * 10 + alpha * mix * 10, noise, seed=1),
                )
            )
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


def conv_setting(args) -> None:
    import torch

    from gtdata.metrics import as_representation
    from gtdata.models.architectures import ConvEncoder

    torch.manual_seed(0)
    data = gtdata.load("dsprites_like")
    rep = as_representation(ConvEncoder(1, 10).eval())
    x = data.sample_observations(512, 0)
    rep(x)  # warm-up
    _, t_enc = timed(lambda: [rep(x) for _ in range(4)])
    enc_rate = 4 * 512 / t_enc
    _, t_render = timed(data.sample_observations, 2048, 1)
    render_rate = 2048 / t_render
    print(
        f"conv encoder (study architecture, random init, torch {torch.__version__}, {torch.get_num_threads()} threads): "
        f"{enc_rate:,.0f} images/s of encoding in batches of 512; rendering dsprites_like: {render_rate:,.0f} images/s."
    )
    f = args.conv_fraction
    opts = scaled_options(args.scale)
    if f < 1.0:
        opts["beta_vae"] = {"num_train": max(10, int(10000 * f)), "num_eval": max(10, int(5000 * f))}
        opts["factor_vae"] = {"num_train": max(10, int(10000 * f)), "num_eval": max(10, int(5000 * f))}
        per_img = 1 / enc_rate + 1 / render_rate
        print(
            f"BetaVAE / FactorVAE run at {f:g} of the study's num_train/num_eval here; at the study's sizes they encode "
            f"1,920,000 / 970,000 images: about {1.92e6 * per_img:,.0f} s / {0.97e6 * per_img:,.0f} s at the rates above "
            "(estimate from the measured rates, not a measurement)."
        )
    # a randomly initialised encoder has tiny code variances; threshold 0 keeps FactorVAE's voting in the timing
    opts.setdefault("factor_vae", {})["threshold"] = 0.0
    print("\n| setting | metric | seconds | note |\n|---|---|---|---|", flush=True)
    notes = {n: f"at {f:g} of the study sizes" for n in ("beta_vae", "factor_vae")} if f < 1.0 else {}
    notes["factor_vae"] = notes.get("factor_vae", "") + " (threshold 0)"
    time_metrics("conv", data, rep, QUICK + (("downstream_logistic_regression",) if args.conv_all else ()), opts, notes)
    if args.conv_all:
        time_metrics("conv", data, rep, ("downstream_boosted_trees",), opts, {})
        n = max(100, int(10000 * args.scale))
        _, t_dci = timed(compute_dci, data, rep, 0, num_train=n, num_test=n // 2)
        row("conv", "dci (default)", t_dci)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--conv-fraction", type=float, default=1.0, help="fraction of BetaVAE/FactorVAE sizes for the conv setting"
    )
    parser.add_argument(
        "--agreement-size", type=int, default=10000, help="training points per representation for the agreement"
    )
    parser.add_argument("--agreement-reps", type=int, default=4, help="entanglement levels (x2 noise levels)")
    parser.add_argument(
        "--conv-all", action="store_true", help="conv setting: also the classifier-bound metrics (DCI, downstream)"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every sample size by this (smoke runs; 1.0 = study sizes)"
    )
    parts = ["quick", "dcicpu", "cheap", "agreement", "conv"]
    parser.add_argument("--skip", nargs="*", default=["quick"], choices=parts, help="parts to skip (default: quick)")
    # parts: quick (cheap setting without DCI / downstream), dcicpu (per-fit CPU seconds of both DCI variants),
    # cheap (every study metric, cheap representation), conv (conv encoder), agreement (dci_fast vs dci)
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=parts,
        help="run only these parts; 'quick' = the cheap setting without DCI and the downstream tasks",
    )
    args = parser.parse_args()
    if args.only is not None:
        args.skip = [p for p in parts if p not in args.only]
    print(f"gtdata {gtdata.__version__}; numpy {np.__version__}; scikit-learn {__import__('sklearn').__version__}")
    if "quick" not in args.skip:
        print("\n| setting | metric | seconds | reference (issue) |\n|---|---|---|---|", flush=True)
        data = CodesData()
        time_metrics(
            "cheap",
            data,
            LinearMap(np.random.default_rng(0).normal(size=(5, 10))),
            QUICK,
            scaled_options(args.scale),
            REFERENCE_S,
        )
    if "dcicpu" not in args.skip:
        print()
        dci_cpu(args)
    if "cheap" not in args.skip:
        print("\n| setting | metric | seconds | reference (issue) |\n|---|---|---|---|", flush=True)
        cheap_setting(args)
    if "conv" not in args.skip:
        print()
        conv_setting(args)
    if "agreement" not in args.skip:
        print()
        print("\n".join(agreement(args)), flush=True)


if __name__ == "__main__":
    main()
