"""``gtdata train [CONFIG.yaml] [--data D --method M --beta 4 --steps N --out RUN_DIR ...]``: train a study VAE."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gtdata.core.errors import InvalidValueError

# Hyper-parameter flags (reference names; dashes or underscores) and how their values are read.
_HPARAMS: dict[str, Any] = {
    "beta": float,
    "c_max": float,
    "gamma": float,
    "iteration_threshold": int,
    "lambda_od": float,
    "lambda_d_factor": float,
    "k": "k",
}
# Config fields settable by flag, with their types.
_FIELDS: dict[str, Any] = {
    "data": str,
    "method": str,
    "steps": int,
    "seed": int,
    "batch_size": int,
    "lr": float,
    "num_latent": int,
    "architecture": str,
    "reconstruction": str,
    "pair_mode": str,
    "label_mode": str,
    "device": str,
    "threads": int,
    "log_every": int,
    "checkpoint_every": int,
}


def _parse_k(text: str) -> Any:
    if text == "random":
        return text
    try:
        if "," in text:
            lo, hi = (int(v) for v in text.split(","))
            return [lo, hi]
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"k must be an integer, 'random', -1 or LO,HI; got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a reference VAE (the study's six methods and the weakly supervised ones)",
        description="Train a VAE of the disentanglement_lib study on a gtdata set into a run directory "
        "(config, checkpoints, JSONL log, final model, figures). Flags override the CONFIG file. "
        "An interrupted run resumes from its last checkpoint when started again with the same config.",
    )
    p.add_argument("config", nargs="?", help="a YAML config (keys as gtdata.training.TrainConfig, plus 'out')")
    p.add_argument("--out", help="run directory")
    p.add_argument("--data", help="data set name, path, or render spec file (e.g. dsprites_like)")
    p.add_argument(
        "--method",
        help="beta_vae, factor_vae, dip_vae_i, dip_vae_ii, beta_tc_vae, annealed_vae, "
        "ada_gvae, ada_ml_vae, group_vae, ml_vae",
    )
    p.add_argument("--steps", type=int, help="training steps (default 300000)")
    p.add_argument("--seed", type=int, help="seed (default 0)")
    p.add_argument("--batch-size", type=int, help="batch size (default 64)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default 1e-4)")
    p.add_argument("--num-latent", type=int, help="latent dimensions (default 10)")
    p.add_argument("--architecture", help="conv (default) or fc")
    p.add_argument("--reconstruction", help="bernoulli (default) or l2")
    p.add_argument("--pair-mode", help="pairs for weak methods: exact (default) or reference")
    p.add_argument("--label-mode", help="labels for group_vae / ml_vae: all changed factors (default) or last")
    p.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--log-every", type=int, help="log every N steps (default 100)")
    p.add_argument("--checkpoint-every", type=int, help="checkpoint every N steps (default 1000)")
    p.add_argument("--no-channels-last", action="store_true", help="keep NCHW convolutions (default: channels-last)")
    p.add_argument("--compile", action="store_true", help="torch.compile the encoder and decoder")
    hp = p.add_argument_group("hyper-parameters (reference names)")
    for name, kind in _HPARAMS.items():
        flags = [f"--{name.replace('_', '-')}"] + ([f"--{name}"] if "_" in name else [])
        hp.add_argument(*flags, dest=f"hp_{name}", type=_parse_k if kind == "k" else kind, metavar=name.upper())
    p.add_argument("--no-resume", action="store_true", help="refuse to continue an existing run in --out")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gtdata.training import TrainConfig, TrainingDiverged, load_run, train_config
    from gtdata.training.config import read_yaml_mapping

    values: dict[str, Any] = read_yaml_mapping(args.config) if args.config else {}
    out = args.out or values.pop("out", None)
    values.pop("out", None)
    if out is None:
        raise InvalidValueError("no run directory: pass --out RUN_DIR or put 'out' in the config file")
    for name in _FIELDS:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.no_channels_last:
        values["channels_last"] = False
    if args.compile:
        values["compile"] = True
    hparams = dict(values.get("hparams") or {})
    hparams.update({n: getattr(args, f"hp_{n}") for n in _HPARAMS if getattr(args, f"hp_{n}") is not None})
    values["hparams"] = hparams
    if "data" not in values:
        raise InvalidValueError("no data set: pass --data NAME (e.g. dsprites_like) or put 'data' in the config file")
    config = TrainConfig.from_dict(values)
    try:
        run_dir = train_config(
            config, out, resume=not args.no_resume, progress=not args.quiet, figures=not args.no_figures
        )
    except TrainingDiverged as exc:
        print(f"gtdata train: {exc}", file=sys.stderr)
        return 1
    log = load_run(run_dir, device="cpu").log()
    final = f"; final loss {log[-1]['loss']:.4g}" if log else ""
    print(
        f"trained {config.method} on {values['data'] if isinstance(values['data'], str) else 'the given data'} "
        f"for {config.steps} steps into {run_dir}{final}"
    )
    if not args.no_figures:
        print(f"figures: {run_dir / 'figures'}")
    return 0
