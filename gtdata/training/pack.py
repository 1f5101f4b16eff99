"""Pack training: K models of one method trained in one process as one batched computation.

Each member of a pack has its own seed, hyper-parameters, Adam state, torch random stream and counter-based
data stream, and writes an ordinary run directory (config, provenance, checkpoints, log, model, figures), so a
packed run cannot be told from a single one. The members' parameters are stacked along a leading axis of
length K; one call of torch's (fused) functional Adam per optimiser group updates every member's slice (see
:class:`_PackAdam`). Encoders, decoders and FactorVAE's discriminators run on the stacks:

* dense layers as one batched matrix product (``baddbmm``) over the K members (``"grouped"``);
* convolutions either as one grouped convolution over the K members (``conv_mode="grouped"``, channels of
  member k in group k) or member by member (``"loop"``, which also runs the dense layers member by member).
  Measured on this project's CPU machine (torch 2.13, oneDNN, 1 thread, K = 8, batch 64, a 32-channel 4x4
  stride-2 layer of the study's VAE on 32x32 maps, CPU time of the forward pass): 8 separate channels-last
  convolutions 53 ms, one grouped channels-last convolution 84-92 ms, ``torch.func.stack_module_state`` +
  ``vmap`` (which lowers to grouped NCHW convolutions with layout copies) 164 ms; for the transposed
  convolution 387, 384-392 and 1017 ms. So ``"auto"`` loops on the CPU. On CUDA, where one small VAE at
  batch 64 leaves the device mostly idle, ``"auto"`` groups (rates in ``scripts/bench_pack_gpu.py``; not
  measured when this was written: no GPU).

Where the CPU time goes (profile of one single-run step, 1 thread, batch 64): the convolutions and their
backward passes take ~85 %, ReLU ~7 %, the dense layers ~3 %, Adam, the loss and the batch the rest -- so a
pack cannot save arithmetic on the CPU, and any other kernel (grouped, vmap, im2col) changes the float
rounding, which Adam amplifies past the 1e-4 bound of the equivalence tests within 50 steps (two single runs
that differ only in their thread count already differ by ~1e-2 on some bias tensors after 50 steps). What
does not scale is intra-op parallelism: a batch-64 step splits into many short parallel regions whose
barriers stall whenever another process holds a core. So ``"loop"`` steps member by member -- each member's
forward, backward and Adam update is a single run's graph on its own parameter leaves (views of the
stacks) -- and on the CPU runs the members of a step on ``min(threads, K)`` worker threads with
``threads // workers`` intra-op threads each. A member is then bit for bit a single run with that many
threads (``threads=1`` for K >= threads): same kernels, same graph, same Adam arithmetic. The members'
checkpoints are written on the same workers.

The loss of each member is the method's own terms (:mod:`gtdata.models.losses`) on that member's slice,
computed as :class:`gtdata.models.methods.Method` computes them, with the random draws (the
reparameterisation noise, FactorVAE's permutations) taken from the member's own generator in the order a
single run draws them from torch's global one. Hence after N steps a member's parameters and logged losses
equal a separate run's: exactly with ``"loop"``, up to float rounding with ``"grouped"`` (which Adam amplifies
on near-zero gradients: ~1e-5 of the parameters' norm after 10 steps, 1e-2 on single bias tensors after 50).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gtdata.core.allocator import tune_allocator
from gtdata.core.data import GroundTruthData
from gtdata.core.errors import GtdataError, InvalidValueError
from gtdata.models import losses
from gtdata.models.architectures import ConvEncoder, DeconvDecoder, FcDecoder, FcDiscriminator, FcEncoder
from gtdata.models.methods import VAE, FactorVAE
from gtdata.models.weak import adaptive_keep_mask, aggregate, label_keep_mask, pair_divergence
from gtdata.training import rundir
from gtdata.training.config import TrainConfig
from gtdata.training.loop import run_steps
from gtdata.training.trainer import (
    CHECKPOINT_FORMAT,
    TrainingDiverged,
    build_model,
    claim_run,
    diverged_error,
    finish_run,
    make_adam,
    resolve_device,
    run_batch_source,
    write_provenance,
)

__all__ = [
    "CONV_MODES",
    "PACK_SHARED_FIELDS",
    "PackError",
    "PackTrainer",
    "auto_pack_size",
    "check_pack",
    "train_configs_packed",
]

PACK_SHARED_FIELDS = (
    "data",
    "method",
    "steps",
    "batch_size",
    "lr",
    "num_latent",
    "architecture",
    "device",
    "threads",
    "log_every",
    "checkpoint_every",
    "channels_last",
    "precision",
)
"""Config fields every member of a pack shares (one batched loop); seeds, hyper-parameters, reconstruction,
pair and label modes and samplers may differ from member to member."""
CONV_MODES = ("auto", "grouped", "loop")


class PackError(GtdataError, ValueError):
    """Runs that cannot be trained as one pack (different data, method, steps...) or a bad pack option."""


def check_pack(configs: Sequence[TrainConfig]) -> None:
    """Raise :class:`PackError` unless ``configs`` can train as one pack (see :data:`PACK_SHARED_FIELDS`).

    Parameters
    ----------
    configs : sequence of TrainConfig
        The members, at least one.

    Raises
    ------
    PackError
        Naming the first member and field that differ from member 0, with both values.

    Examples
    --------
    >>> a = TrainConfig(data="toy", method="beta_vae", seed=0)
    >>> check_pack([a, TrainConfig(data="toy", method="beta_vae", seed=1, hparams={"beta": 4})])
    >>> check_pack([a, TrainConfig(data="toy", method="factor_vae")])
    Traceback (most recent call last):
    ...
    gtdata.training.pack.PackError: pack member 1 differs from member 0 in method ('factor_vae' vs 'beta_vae'); ...
    """
    if len(configs) == 0:
        raise PackError("a pack needs at least one run, got none")
    first = configs[0]
    for i, config in enumerate(configs[1:], start=1):
        for name in PACK_SHARED_FIELDS:
            mine, theirs = getattr(config, name), getattr(first, name)
            if mine != theirs:
                raise PackError(
                    f"pack member {i} differs from member 0 in {name} ({mine!r} vs {theirs!r}); a pack trains "
                    f"one data set, method, step count and training protocol -- split these runs into "
                    f"separate packs"
                )
    if first.compile:
        raise PackError(
            "compile=True is not supported in packs (the batched networks are not nn.Modules); train with compile=False"
        )


def auto_pack_size(device: str | torch.device = "auto", architecture: str = "conv", batch_size: int = 64) -> int:
    """The pack size ``"auto"`` picks for ``device``: 1 on the CPU, where the study's executors already run
    one single-threaded run per core (a pack's gain on the CPU is member-level instead of intra-op threading,
    which they have as well; see ``scripts/bench_train.py``), and on a CUDA device as many conv VAEs as fit in
    a quarter of its memory at about 60 MB per batch-64 model (parameters, Adam state, activations), capped
    at 32.

    Examples
    --------
    >>> auto_pack_size("cpu")
    1
    """
    device = resolve_device(device) if isinstance(device, str) else device
    if device.type != "cuda":
        return 1
    total = torch.cuda.get_device_properties(device).total_memory
    per_model = 60e6 * max(batch_size, 1) / 64 * (1 if architecture == "conv" else 2)
    return int(max(1, min(32, total // 4 // per_model)))


# -- batched networks ---------------------------------------------------------------------------------------
class _Net:
    """The forward pass of K stacked copies of one network.

    ``"loop"``: parameters ``p`` map a name to a tuple of K member tensors (one ``unbind`` of the stack per
    step, so the backward pass gathers each stack's gradient once) and every activation is a list of K member
    tensors, so each layer runs the single run's kernel on the single run's shapes. ``"grouped"``: ``p`` maps
    a name to the (K, *shape) stack; convolution activations are one (N, K·C, H, W) tensor whose channel
    group k is member k's, dense activations (K, N, F).
    """

    def __init__(
        self, k: int, mode: str, memory_format: torch.memory_format, autocast: torch.device | None = None
    ) -> None:
        self.k, self.mode, self.memory_format = k, mode, memory_format
        # bf16: each network's pass under autocast, its outputs float32 (as trainer.autocast_forward does)
        self.autocast = autocast

    def _autocast(self) -> Any:
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(self.autocast.type, dtype=torch.bfloat16)

    def _float(self, h: Any) -> Any:
        if self.autocast is None:
            return h
        return [x.float() for x in h] if isinstance(h, list) else h.float()

    def params(self, stacked: dict[str, torch.Tensor]) -> dict[str, Any]:
        """The parameters in this layout (call once per step: the unbind is part of the step's graph)."""
        if self.mode == "loop":
            return {name: tensor.unbind(0) for name, tensor in stacked.items()}
        return stacked

    # layouts
    def images(self, xs: list[torch.Tensor]) -> Any:
        """Per-member (N, C, H, W) images → conv layout."""
        if self.mode == "loop":
            return [x.contiguous(memory_format=self.memory_format) for x in xs]
        return torch.cat(xs, dim=1).contiguous(memory_format=self.memory_format)

    def flatten(self, h: Any) -> Any:
        if isinstance(h, list):
            return [x.flatten(1) for x in h]
        if h.dim() == 3:
            return h
        n = h.shape[0]
        return h.reshape(n, self.k, -1).transpose(0, 1)

    def unflatten(self, h: Any, chw: tuple[int, int, int]) -> Any:
        if isinstance(h, list):
            return [x.reshape(x.shape[0], *chw).contiguous(memory_format=self.memory_format) for x in h]
        k, n = h.shape[:2]
        grouped = h.reshape(k, n, *chw).transpose(0, 1).reshape(n, k * chw[0], chw[1], chw[2])
        return grouped.contiguous(memory_format=self.memory_format)

    def members(self, h: Any, chw: tuple[int, int, int]) -> list[torch.Tensor]:
        """Output → per-member (N, C, H, W) tensors."""
        if isinstance(h, list):
            return [x.reshape(x.shape[0], *chw) for x in h]
        if h.dim() == 3:  # dense (K, N, C·H·W)
            return [x.reshape(x.shape[0], *chw) for x in h.unbind(0)]
        return list(h.reshape(h.shape[0], self.k, *chw).unbind(1))

    def split(self, z: torch.Tensor) -> Any:
        """A (K, N, F) input → this layout's dense activation."""
        return list(z.unbind(0)) if self.mode == "loop" else z

    @staticmethod
    def stack(h: Any) -> torch.Tensor:
        return torch.stack(h) if isinstance(h, list) else h

    # layers
    def sequential(self, p: dict[str, Any], prefix: str, seq: nn.Sequential, h: Any) -> Any:
        for index, layer in enumerate(seq):
            name = f"{prefix}.{index}"
            if isinstance(layer, nn.Linear):
                h = self.dense(p, name, self.flatten(h))
            elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                h = self.conv(p, name, layer, h)
            elif isinstance(layer, nn.Flatten):
                h = self.flatten(h)
            elif isinstance(layer, (nn.ReLU, nn.Tanh, nn.LeakyReLU)):
                h = [layer(x) for x in h] if isinstance(h, list) else layer(h)
            else:
                raise PackError(f"cannot pack layer {prefix}.{index} ({type(layer).__name__})")
        return h

    def dense(self, p: dict[str, Any], name: str, h: Any) -> Any:
        """Member k's x @ W_kᵀ + b_k: nn.Linear's own kernel per member (loop), or one baddbmm (grouped)."""
        weight, bias = p[name + ".weight"], p[name + ".bias"]
        if isinstance(h, list):
            return [F.linear(x, weight[i], bias[i]) for i, x in enumerate(h)]
        return torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))

    def conv(self, p: dict[str, Any], name: str, layer: nn.Module, h: Any) -> Any:
        weight, bias = p[name + ".weight"], p[name + ".bias"]
        options: dict[str, Any] = {"stride": layer.stride, "padding": layer.padding}
        if isinstance(layer, nn.ConvTranspose2d):
            fn = F.conv_transpose2d
            options["output_padding"] = layer.output_padding
        else:
            fn = F.conv2d
        if layer.groups != 1 or layer.dilation != (1, 1):
            raise PackError(f"cannot pack layer {name}: grouped or dilated convolutions are not supported")
        if isinstance(h, list):
            return [fn(x, weight[i], bias[i], **options) for i, x in enumerate(h)]
        # groups=K: output channels k·O..(k+1)·O see only input channels k·C..(k+1)·C, i.e. member k's.
        return fn(h, weight.flatten(0, 1), bias.flatten(), groups=self.k, **options)

    # networks
    def encode(self, p: dict[str, Any], encoder: nn.Module, xs: list[torch.Tensor]):
        """Per-member images → (mean, logvar), each (K, N, L)."""
        if not isinstance(encoder, (ConvEncoder, FcEncoder)):
            raise PackError(f"cannot pack encoder {type(encoder).__name__}")
        with self._autocast():
            h = self.flatten(self.sequential(p, "encoder.features", encoder.features, self.images(xs)))
            mean, logvar = self.dense(p, "encoder.mean", h), self.dense(p, "encoder.logvar", h)
        return self.stack(self._float(mean)), self.stack(self._float(logvar))

    def decode(
        self, p: dict[str, Any], decoder: nn.Module, z: torch.Tensor, chw: tuple[int, int, int]
    ) -> list[torch.Tensor]:
        """(K, N, L) codes → per-member logits (N, C, H, W)."""
        if isinstance(decoder, DeconvDecoder):
            with self._autocast():
                h = self.sequential(p, "decoder.dense", decoder.dense, self.split(z))
                first = decoder.deconv[0]
                width = (h[0] if isinstance(h, list) else h).shape[-1]
                side = int(round((width // first.in_channels) ** 0.5))
                h = self.unflatten(h, (first.in_channels, side, side))  # DeconvDecoder.forward's view(-1, 64, 4, 4)
                h = self.sequential(p, "decoder.deconv", decoder.deconv, h)
            return self.members(self._float(h), chw)
        if isinstance(decoder, FcDecoder):
            with self._autocast():
                h = self.sequential(p, "decoder.net", decoder.net, self.split(z))
            return self.members(self._float(h), chw)
        raise PackError(f"cannot pack decoder {type(decoder).__name__}")

    def discriminate(self, p: dict[str, Any], discriminator: FcDiscriminator, z: torch.Tensor) -> torch.Tensor:
        """(K, N, L) codes → (K, N, 2) logits."""
        with self._autocast():
            h = self.sequential(p, "discriminator.net", discriminator.net, self.split(z))
        return self.stack(self._float(h))


class _Member:
    """One run of a pack: its config, run directory, shadow modules, data stream and random generator."""

    def __init__(self, config: TrainConfig, run_dir: Path, data: GroundTruthData, device: torch.device) -> None:
        self.config, self.run_dir, self.device = config, run_dir, device
        # Exactly a single run's initialisation: torch's global seed, then the modules in the same order.
        torch.manual_seed(config.seed)
        self.vae, self.method = build_model(config, data.observation_shape)
        # What torch's global CPU generator holds after that, and the generator the noise comes from.
        self.cpu_state = torch.get_rng_state()
        self.generator = torch.Generator(device=device)
        if device.type == "cuda":
            self.generator.manual_seed(config.seed)  # torch.manual_seed seeds every CUDA device the same way
        else:
            self.generator.set_state(self.cpu_state)
        self.source = run_batch_source(config, data, device)
        self.diverged: TrainingDiverged | None = None

    def rng_states(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(torch_rng, cuda_rng) as a single run's checkpoint stores them."""
        if self.device.type == "cuda":
            return self.cpu_state, self.generator.get_state()
        return self.generator.get_state(), torch.empty(0, dtype=torch.uint8)


class _PackAdam:
    """One optimiser group of every member: Adam on the members' slices of the stacked parameters.

    torch's functional Adam (``torch.optim.adam.adam``, fused where the single run's is) runs on per-member
    views, so each member's update is computed on tensors of its own shapes -- bit for bit a single run's
    (a fused kernel over the stacked tensors would round some elements differently: its vectorised part and
    scalar tail fall elsewhere).
    """

    def __init__(self, params: list[torch.Tensor], k: int, template: torch.optim.Adam) -> None:
        self.params, self.k = params, k
        group = template.param_groups[0]
        self.options = {key: group[key] for key in ("lr", "eps", "weight_decay", "amsgrad", "maximize")}
        self.betas = group["betas"]
        self.fused = bool(group.get("fused"))
        self.param_groups = template.state_dict()["param_groups"]  # a single run's layout, for checkpoints
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in params]
        self.steps = [
            [torch.zeros((), dtype=torch.float32, device=p.device if self.fused else "cpu") for p in params]
            for _ in range(k)
        ]
        self.started = False
        # Member-wise steps (see PackTrainer): member i's parameter j is the leaf leaves[i][j], a view of
        # params[j][i] that holds its own gradient; None where the gradient is the stack's.
        self.leaves: list[list[torch.Tensor]] | None = None

    def grad(self, i: int, j: int) -> torch.Tensor | None:
        """Member i's gradient of parameter j (None when it has none this step)."""
        if self.leaves is not None:
            return self.leaves[i][j].grad
        stack = self.params[j].grad
        return None if stack is None else stack[i]

    def zero_grad(self, members: Sequence[int] | None = None) -> None:
        if self.leaves is None:
            for p in self.params:
                p.grad = None
            return
        for i in range(self.k) if members is None else members:
            for leaf in self.leaves[i]:
                leaf.grad = None

    @torch.no_grad()
    def step(self, members: Sequence[int] | None = None) -> None:
        """Update ``members`` (default: all); member-wise steps may update disjoint members concurrently."""
        from torch.optim.adam import adam

        lists: dict[str, list[torch.Tensor]] = {"p": [], "g": [], "m": [], "v": [], "s": []}
        for i in range(self.k) if members is None else members:
            for j, p in enumerate(self.params):
                grad = self.grad(i, j)
                if grad is None:
                    continue
                lists["p"].append(p[i])
                lists["g"].append(grad)
                lists["m"].append(self.exp_avg[j][i])
                lists["v"].append(self.exp_avg_sq[j][i])
                lists["s"].append(self.steps[i][j])
        adam(
            lists["p"],
            lists["g"],
            lists["m"],
            lists["v"],
            [],
            lists["s"],
            fused=self.fused,
            foreach=False if not self.fused else None,
            beta1=self.betas[0],
            beta2=self.betas[1],
            **self.options,
        )
        self.started = True

    def member_state(self, i: int) -> dict[str, Any]:
        """Member i's optimiser state_dict, as a single run's ``torch.optim.Adam`` returns it."""
        state = (
            {}
            if not self.started
            else {
                j: {
                    "step": self.steps[i][j].clone(),
                    "exp_avg": self.exp_avg[j][i].clone(),
                    "exp_avg_sq": self.exp_avg_sq[j][i].clone(),
                }
                for j in range(len(self.params))
            }
        )
        return {"state": state, "param_groups": [dict(g) for g in self.param_groups]}

    @torch.no_grad()
    def load_member_state(self, i: int, saved: dict[str, Any]) -> None:
        state = saved["state"]
        if not state:
            return
        if set(state) != set(range(len(self.params))):
            raise KeyError(f"optimiser state for {len(state)} parameters, expected {len(self.params)}")
        for j in range(len(self.params)):
            self.exp_avg[j][i].copy_(state[j]["exp_avg"])
            self.exp_avg_sq[j][i].copy_(state[j]["exp_avg_sq"])
            self.steps[i][j].copy_(state[j]["step"])
        self.started = True


class PackTrainer:
    """Trains the members of one pack from a common step to ``stop`` (default: their ``steps``).

    ``configs`` must pass :func:`check_pack`; ``run_dirs`` are claimed run directories (see
    :func:`gtdata.training.trainer.claim_run`) whose checkpoints, if any, are all at the same step.
    """

    def __init__(
        self,
        configs: Sequence[TrainConfig],
        run_dirs: Sequence[Path],
        data: GroundTruthData,
        progress: bool | None = None,
        figures: bool = True,
        conv_mode: str = "auto",
    ) -> None:
        check_pack(configs)
        if conv_mode not in CONV_MODES:
            raise PackError(f"conv_mode must be one of {', '.join(CONV_MODES)}, got {conv_mode!r}")
        first = configs[0]
        self.data, self.progress, self.figures = data, progress, figures
        if first.threads is not None:
            torch.set_num_threads(first.threads)
        self.device = resolve_device(first.device)
        tune_allocator()  # a step frees and re-allocates the same buffers: keep them mapped
        self.config = first
        self.members = [_Member(c, Path(d), data, self.device) for c, d in zip(configs, run_dirs, strict=True)]
        self.k = len(self.members)
        self.weak = first.weak
        self.chw = (int(data.observation_shape[2]), int(data.observation_shape[0]), int(data.observation_shape[1]))
        if conv_mode == "auto":
            conv_mode = "grouped" if self.device.type == "cuda" else "loop"
        memory_format = torch.channels_last if first.channels_last else torch.contiguous_format
        self.net = _Net(self.k, conv_mode, memory_format, self.device if first.precision == "bf16" else None)
        # "loop" steps member by member (a single run's graph each); on the CPU the members of a step run on
        # min(threads, K) worker threads of threads // workers intra-op threads each (see the module docstring).
        self.memberwise = conv_mode == "loop"
        threads = torch.get_num_threads()
        self.workers = min(threads, self.k) if self.memberwise and self.device.type == "cpu" else 1
        self.worker_threads = max(1, threads // self.workers)
        self._pool: ThreadPoolExecutor | None = None
        shadow_vae, shadow_method = self.members[0].vae, self.members[0].method
        if any(True for _ in shadow_vae.buffers()) or any(True for _ in shadow_method.buffers()):
            raise PackError("cannot pack models with buffers (batch norm statistics)")
        # Stacked parameters, named as in the modules' state_dicts ("encoder...", "discriminator...").
        self.vae_names = [name for name, _ in shadow_vae.named_parameters()]
        self.method_names = [name for name, _ in shadow_method.named_parameters()]
        self.params: dict[str, torch.Tensor] = {}
        for name in self.vae_names:
            self.params[name] = self._stack([dict(m.vae.named_parameters())[name] for m in self.members])
        for name in self.method_names:
            self.params[name] = self._stack([dict(m.method.named_parameters())[name] for m in self.members])
        # Optimiser groups of the shadow member, translated to stacked tensors by parameter identity.
        names_by_id = {id(p): n for n, p in shadow_vae.named_parameters()}
        names_by_id.update({id(p): n for n, p in shadow_method.named_parameters()})
        self.groups = shadow_method.optim_groups(shadow_vae)
        self.group_names = [[names_by_id[id(p)] for p in g.params] for g in self.groups]
        self.optimizers = [
            _PackAdam([self.params[n] for n in names], self.k, make_adam(g.params, first.lr, g.betas))
            for g, names in zip(self.groups, self.group_names)
        ]
        if self.memberwise:
            # Member i's parameters: leaves that are views of the stacks (Adam and checkpoints use the stacks)
            # and hold member i's own gradient, so members step independently, on any thread.
            self.leaves = [
                {name: stack[i].requires_grad_(True) for name, stack in self.params.items()} for i in range(self.k)
            ]
            for opt, names in zip(self.optimizers, self.group_names):
                opt.leaves = [[self.leaves[i][n] for n in names] for i in range(self.k)]
        self.images_per_step = first.batch_size * (2 if self.weak else 1)

    def _stack(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack([t.detach() for t in tensors]).to(self.device).requires_grad_(not self.memberwise)

    def close(self) -> None:
        """Stop the worker threads (started on the first step; ``run`` closes them when it ends)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _map(self, fn, items: Sequence[int]) -> list[Any]:
        """``[fn(i) for i in items]``, on the worker threads when there are several."""
        if self.workers == 1:
            return [fn(i) for i in items]
        if self._pool is None:
            threads = self.worker_threads
            self._pool = ThreadPoolExecutor(
                self.workers, thread_name_prefix="gtdata-pack", initializer=torch.set_num_threads, initargs=(threads,)
            )
            # An abandoned trainer (no run, no close) does not keep its threads.
            weakref.finalize(self, self._pool.shutdown, wait=False)
        return list(self._pool.map(fn, items))

    # -- checkpoints ---------------------------------------------------------------------------------------
    def member_state(self, i: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Member i's (model, method) state_dicts, as a single run's modules would return them."""
        model = {n: self.params[n][i].detach().clone() for n in self.vae_names}
        method = {n: self.params[n][i].detach().clone() for n in self.method_names}
        return model, method

    def save_checkpoint(self, i: int, step: int) -> None:
        member = self.members[i]
        model, method = self.member_state(i)
        optimizers = [opt.member_state(i) for opt in self.optimizers]
        torch_rng, cuda_rng = member.rng_states()
        state = {
            "format": CHECKPOINT_FORMAT,
            "step": step,
            "model": model,
            "method": method,
            "optimizers": optimizers,
            "torch_rng": torch_rng,
            "cuda_rng": cuda_rng,
        }
        rundir.atomic_torch_save(state, member.run_dir / rundir.CHECKPOINT)

    def load_checkpoints(self) -> int:
        """Restore every member's last checkpoint; returns their common step (0 when none has one)."""
        paths = [m.run_dir / rundir.CHECKPOINT for m in self.members]
        present = [p.exists() for p in paths]
        if not any(present):
            return 0
        if not all(present):
            raise PackError(
                "some members of this pack have a checkpoint and others not; resume them with "
                "train_configs_packed, which brings them to a common step first"
            )
        states = []
        for path in paths:
            state = rundir.load_torch(path, "checkpoint", self.device)
            if state["format"] != CHECKPOINT_FORMAT:
                raise InvalidValueError(
                    f"checkpoint {path} has format {state['format']!r}, expected {CHECKPOINT_FORMAT!r}"
                )
            states.append(state)
        steps = {int(s["step"]) for s in states}
        if len(steps) != 1:
            raise PackError(
                f"the members' checkpoints are at different steps {sorted(steps)}; resume them with "
                f"train_configs_packed"
            )
        with torch.no_grad():
            for i, (path, state) in enumerate(zip(paths, states)):
                try:
                    sources = {**state["model"], **state["method"]}
                    if set(sources) != set(self.vae_names) | set(self.method_names):
                        raise KeyError(f"parameters {sorted(set(sources) ^ set(self.params))}")
                    for name in self.params:
                        self.params[name][i].copy_(sources[name])
                except (RuntimeError, KeyError) as exc:
                    raise InvalidValueError(
                        f"checkpoint {path} does not fit this run's model ({exc}); delete it to start over"
                    ) from None
        for path, state in zip(paths, states):
            try:
                for i_opt, opt in enumerate(self.optimizers):
                    opt.load_member_state(paths.index(path), state["optimizers"][i_opt])
            except (RuntimeError, KeyError, IndexError) as exc:
                raise InvalidValueError(
                    f"checkpoint {path} does not fit this run's optimisers ({exc}); delete it to start over"
                ) from None
        for member, state in zip(self.members, states):
            member.cpu_state = state["torch_rng"].cpu()
            if self.device.type == "cuda":
                if state["cuda_rng"].numel():
                    member.generator.set_state(state["cuda_rng"].cpu())
            else:
                member.generator.set_state(member.cpu_state)
        return steps.pop()

    # -- one step ------------------------------------------------------------------------------------------
    def loss_terms(
        self, step: int, members: Sequence[int] | None = None, batches: Sequence[dict[str, torch.Tensor]] | None = None
    ) -> dict[str, torch.Tensor]:
        """The loss terms of ``members`` (default: all) at training step ``step`` (0-based): name → (len,)
        tensor. ``batches`` are those members' batches of the step (default: drawn here)."""
        members = list(range(self.k)) if members is None else list(members)
        if batches is None:
            batches = [self.members[i].source.batch(step) for i in members]
        if self.memberwise:
            p = {name: tuple(self.leaves[i][name] for i in members) for name in self.params}
        else:
            p = self.net.params(self.params)
        shadow = self.members[0]
        if self.weak:
            return self._weak_terms(p, members, shadow.vae, batches)
        return self._unsupervised_terms(p, members, shadow, batches, step)

    def _noise(self, i: int, shape: tuple[int, ...], like: torch.Tensor, kind: str = "randn") -> torch.Tensor:
        """Member i's next draw, as a single run draws it from torch's global generator."""
        draw = torch.randn if kind == "randn" else torch.rand
        return draw(shape, generator=self.members[i].generator, device=self.device, dtype=like.dtype)

    # The two methods below are Method.loss with the networks batched over the members. Each member's terms
    # are built from its own slices (unbind) in the order Method.loss builds them, so the autograd graph of
    # a member, and with it the order in which gradients are summed, is the single run's.
    def _unsupervised_terms(
        self, p, members: list[int], shadow: _Member, batches, step: int
    ) -> dict[str, torch.Tensor]:
        xs = [b["x"] for b in batches]
        mean, logvar = self.net.encode(p, shadow.vae.encoder, xs)
        means, logvars = mean.unbind(0), logvar.unbind(0)
        # losses.reparameterize, with the member's own noise
        zs = [m + torch.exp(0.5 * lv) * self._noise(i, tuple(m.shape), m) for i, m, lv in zip(members, means, logvars)]
        z = torch.stack(zs)
        logits = self.net.decode(p, shadow.vae.decoder, z, self.chw)
        if isinstance(shadow.method, FactorVAE):
            # losses.shuffle_codes from each member's generator, after its reparameterisation noise.
            shuffled = []
            for i, zi in zip(members, zs):
                n, num_latent = zi.shape
                perms = torch.argsort(self._noise(i, (num_latent, n), zi, kind="rand"), dim=1).T
                shuffled.append(torch.gather(zi.detach(), 0, perms))
            d_real = self.net.discriminate(p, shadow.method.discriminator, z).unbind(0)
            d_shuffled = self.net.discriminate(p, shadow.method.discriminator, torch.stack(shuffled)).unbind(0)
        rows = []
        for i, member in enumerate(self.members[m] for m in members):
            method = member.method
            recon = losses.reconstruction_loss(method.reconstruction, logits[i], xs[i])
            kl = losses.gaussian_kl(means[i], logvars[i]).mean()
            if isinstance(method, FactorVAE):  # FactorVAE.regularizer on the batched discriminator's logits
                tc, d_loss = losses.discriminator_terms(d_real[i], d_shuffled[i])
                terms = {
                    "regularizer": kl + method.hparams["gamma"] * tc,
                    "tc": tc.detach(),
                    "discriminator_loss": d_loss,
                }
            else:
                terms = method.regularizer(means[i], logvars[i], zs[i], kl, step)
            terms["loss"] = recon + terms["regularizer"]
            terms["reconstruction"] = recon
            terms["kl"] = kl
            terms["elbo"] = -(recon + kl).detach()
            rows.append(terms)
        return {key: torch.stack([r[key] for r in rows]) for key in rows[0]}

    def _weak_terms(self, p, members: list[int], vae: VAE, batches) -> dict[str, torch.Tensor]:
        n = batches[0]["x1"].shape[0]
        xs = [torch.cat([b["x1"], b["x2"]]) for b in batches]
        mean, logvar = self.net.encode(p, vae.encoder, xs)
        agg_means, agg_logvars, keeps, zs = [], [], [], []
        for i, batch, m, lv in zip(members, batches, mean.unbind(0), logvar.unbind(0)):
            method = self.members[i].method
            mean1, mean2, logvar1, logvar2 = m[:n], m[n:], lv[:n], lv[n:]
            if method.adaptive:
                identical = (batch["x1"] == batch["x2"]).flatten(1).all(dim=1)
                keep = adaptive_keep_mask(pair_divergence(mean1, logvar1, mean2, logvar2), identical)
            else:
                keep = label_keep_mask(batch["changed"], vae.num_latent)
            mean1, logvar1, mean2, logvar2 = aggregate(method.average, keep, mean1, logvar1, mean2, logvar2)
            agg_mean, agg_logvar = torch.cat([mean1, mean2]), torch.cat([logvar1, logvar2])
            zs.append(agg_mean + torch.exp(0.5 * agg_logvar) * self._noise(i, tuple(agg_mean.shape), agg_mean))
            agg_means.append(agg_mean)
            agg_logvars.append(agg_logvar)
            keeps.append(keep)
        logits = self.net.decode(p, vae.decoder, torch.stack(zs), self.chw)
        rows = []
        for i, member in enumerate(self.members[m] for m in members):
            method = member.method
            recon = losses.reconstruction_loss(method.reconstruction, logits[i], xs[i])
            kl = losses.gaussian_kl(agg_means[i], agg_logvars[i]).mean()
            regularizer = method.hparams["beta"] * kl
            rows.append(
                {
                    "loss": recon + regularizer,
                    "reconstruction": recon,
                    "kl": kl,
                    "regularizer": regularizer,
                    "elbo": -(recon + kl).detach(),
                    "shared_dims": (~keeps[i]).sum(dim=1).float().mean(),
                }
            )
        return {key: torch.stack([r[key] for r in rows]) for key in rows[0]}

    def step(self, step: int) -> dict[str, torch.Tensor]:
        """One training step of every member; returns the loss terms, name → (K,) (detached)."""
        # The batches are drawn here, on the calling thread (the data sets are not promised to be thread-safe).
        batches = [m.source.batch(step) for m in self.members]
        if not self.memberwise:
            return self._step_members(list(range(self.k)), batches, step)
        rows = self._map(lambda i: self._step_members([i], batches[i : i + 1], step), range(self.k))
        return {key: torch.cat([r[key] for r in rows]) for key in rows[0]}

    def _step_members(self, members: list[int], batches, step: int) -> dict[str, torch.Tensor]:
        """Loss, gradients and Adam update of ``members`` (all of them, or one in member-wise steps)."""
        terms = self.loss_terms(step, members, batches)
        for opt in self.optimizers:
            opt.zero_grad(members)
        # Members are independent: d(sum of losses)/d(member i's parameters) is member i's own gradient.
        if len(self.groups) == 1:
            terms["loss"].sum().backward()
        else:
            for g, (group, names) in enumerate(zip(self.groups, self.group_names)):
                if self.memberwise:
                    inputs = [self.leaves[i][n] for i in members for n in names]
                else:
                    inputs = [self.params[n] for n in names]
                terms[group.loss_key].sum().backward(inputs=inputs, retain_graph=g < len(self.groups) - 1)
        for opt in self.optimizers:
            opt.step(members)
        return {k: v.detach() for k, v in terms.items()}

    # -- the loop ------------------------------------------------------------------------------------------
    def run(self, stop: int | None = None) -> list[TrainingDiverged | None]:
        """Train to ``stop`` (default ``steps``; the run is finished there). Returns, per member, None or the
        :class:`TrainingDiverged` that stopped it (its directory keeps its last good checkpoint)."""
        config = self.config
        stop = config.steps if stop is None else stop
        start = self.load_checkpoint_step()
        for member in self.members:
            write_provenance(member.run_dir, member.config, self.data, self.device, start, pack=self.k)
        if start == 0:
            self._map(lambda i: self.save_checkpoint(i, 0), range(self.k))

        def save(members: list[int], step: int) -> None:
            # Each member's file on its own: the serialisation and fsync of K checkpoints overlap.
            self._map(lambda i: self.save_checkpoint(i, step), members)

        def diverged(i: int, good_step: int, step: int, values: dict[str, float]) -> None:
            member = self.members[i]
            member.diverged = diverged_error(member.config, member.run_dir, good_step, step, values)

        try:
            run_steps(
                self.step,
                start=start,
                stop=stop,
                steps=config.steps,
                log_every=config.log_every,
                checkpoint_every=config.checkpoint_every,
                checked=[g.loss_key for g in self.groups],
                log_paths=[m.run_dir / rundir.LOG for m in self.members],
                images_per_step=self.images_per_step,
                save=save,
                diverged=diverged,
                desc=f"{config.method} x{self.k}",
                progress=self.progress,
                device=self.device,
            )
        finally:
            self.close()
        if stop == config.steps:
            for i, member in enumerate(self.members):
                if member.diverged is None:
                    model, _ = self.member_state(i)
                    member.vae.load_state_dict(model)
                    finish_run(member.run_dir, member.config, member.vae, self.data, figures=self.figures)
        return [m.diverged for m in self.members]

    def load_checkpoint_step(self) -> int:
        return self.load_checkpoints()


def _checkpoint_step(run_dir: Path) -> int:
    path = run_dir / rundir.CHECKPOINT
    if not path.exists():
        return 0
    return int(rundir.load_torch(path, "checkpoint")["step"])


def train_configs_packed(
    configs: Sequence[TrainConfig],
    outs: Sequence[str | Path],
    data: GroundTruthData | None = None,
    resume: bool = True,
    progress: bool | None = None,
    figures: bool = True,
    conv_mode: str = "auto",
) -> list[Path | TrainingDiverged]:
    """Train ``configs`` as one pack into the run directories ``outs`` (see :func:`gtdata.train_pack`).

    Every directory is claimed (checked, never overwritten by another config) before any training; finished
    members are skipped. Members whose checkpoints lag (a pack killed while writing its checkpoints) are first
    trained alone to the others' step, so the pack continues from one common step.

    Returns
    -------
    list
        Per member, its run directory, or the :class:`TrainingDiverged` error of a member whose loss became
        NaN or infinite (the other members train on).
    """
    configs = list(configs)
    outs = list(outs)
    if len(outs) != len(configs):
        raise PackError(f"a pack needs one out directory per run: got {len(configs)} runs and {len(outs)} outs")
    check_pack(configs)
    if conv_mode not in CONV_MODES:
        raise PackError(f"conv_mode must be one of {', '.join(CONV_MODES)}, got {conv_mode!r}")
    if len({str(Path(o).expanduser().resolve()) for o in outs}) != len(outs):
        raise PackError("two members of the pack have the same out directory; give each run its own")
    claimed = [claim_run(c, o, data, resume) for c, o in zip(configs, outs)]
    data = claimed[0][1] if data is None else data
    shapes = {tuple(int(s) for s in d.observation_shape) for _, d, _ in claimed}
    if len(shapes) != 1:
        raise PackError(
            f"the members' data sets have different observation shapes {sorted(shapes)}; a pack trains on one data set"
        )
    results: list[Path | TrainingDiverged] = [run_dir for run_dir, _, _ in claimed]
    todo = [i for i, (_, _, state) in enumerate(claimed) if state != "finished"]
    threads = torch.get_num_threads()
    try:
        while todo:
            steps = {i: _checkpoint_step(claimed[i][0]) for i in todo}
            lag = min(steps.values())
            ahead = sorted({s for s in steps.values() if s > lag})
            group = [i for i in todo if steps[i] == lag]
            stop = ahead[0] if ahead else None
            trainer = PackTrainer(
                [configs[i] for i in group],
                [claimed[i][0] for i in group],
                data,
                progress=progress,
                figures=figures,
                conv_mode=conv_mode,
            )
            outcome = trainer.run(stop=stop)
            for i, error in zip(group, outcome):
                if error is not None:
                    results[i] = error
            failed = {i for i, error in zip(group, outcome) if error is not None}
            todo = [i for i in todo if i not in failed and (stop is not None or i not in group)]
    finally:
        # config.threads applies to this pack only, not to the caller's process afterwards.
        torch.set_num_threads(threads)
    return results
