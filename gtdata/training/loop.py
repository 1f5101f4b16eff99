"""The step loop of training, written once: a single run (:class:`~gtdata.training.trainer.Trainer`) is a pack
of one member (:class:`~gtdata.training.pack.PackTrainer` trains K).

:func:`run_steps` owns everything between "the models are built and restored" and "the last step is done": the
progress bar, the per-step non-finite check of the optimised losses (accumulated on the device, read only at a
log or checkpoint step, so no step waits for the device), the log cadence (``log_every`` and the last step),
the checkpoint cadence (``checkpoint_every``, the last step and ``stop``), each member's ``log.jsonl`` (lines
past the restored checkpoint dropped first, then one line per log step: ``step``, the loss terms in the step
function's order, ``images_per_s`` over the steps since the previous log line), and divergence. What differs
between a run and a pack comes in as arguments: the step function (loss terms of every member, each a scalar
or a (K,) tensor), how the members' checkpoints are written (one file, or K files on the pack's workers), and
what a member's divergence does (a run raises :class:`~gtdata.training.trainer.TrainingDiverged` at once; a
pack records it, stops logging and checkpointing that member and trains the others on).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from gtdata.core.progress import progress_bar
from gtdata.training import rundir

__all__ = ["run_steps"]


def run_steps(
    step: Callable[[int], dict[str, torch.Tensor]],
    *,
    start: int,
    stop: int,
    steps: int,
    log_every: int,
    checkpoint_every: int,
    checked: Sequence[str],
    log_paths: Sequence[Path],
    images_per_step: int,
    save: Callable[[list[int], int], None],
    diverged: Callable[[int, int, int, dict[str, float]], None],
    desc: str,
    progress: bool | None,
    device: torch.device,
) -> None:
    """Run the training steps ``start`` .. ``stop - 1`` (0-based) of the K members whose logs are ``log_paths``.

    Parameters
    ----------
    step : callable
        ``step(i)`` trains every member one step (index ``i``) and returns its loss terms, name → a 0-d tensor
        (one member) or a (K,) tensor, detached; the log lines keep the order of its keys.
    start : int
        The step the members' checkpoints hold (0 for a new run); log lines past it are dropped.
    stop : int
        The step to stop after (a checkpoint is written there); ``steps`` for a whole run.
    steps : int
        The run's total number of steps (the last one is always logged and checkpointed; the bar's total).
    log_every, checkpoint_every : int
        The log and checkpoint cadences, in steps.
    checked : sequence of str
        The loss terms the optimisers minimise; a NaN or infinity in any of them stops the member.
    log_paths : sequence of pathlib.Path
        Each member's ``log.jsonl`` (K paths), appended to.
    images_per_step : int
        Images one member sees per step (for ``images_per_s``).
    save : callable
        ``save(members, step)`` writes the checkpoints of ``members`` (indices) at ``step``.
    diverged : callable
        ``diverged(member, good_step, step, values)``, called once when a member's checked loss became NaN or
        infinite between ``good_step`` (its last log line) and ``step``, with its loss terms at ``step``. It may
        raise (a single run); if it returns, that member is neither logged nor checkpointed again.
    desc : str
        The progress bar's label.
    progress : bool or None
        Show the progress bar; None shows it only when stderr is a terminal.
    device : torch.device
        Where the loss terms are (the non-finite flags stay there between log steps).

    Raises
    ------
    Exception
        Whatever ``step``, ``save`` or ``diverged`` raise; the bar and the logs are closed first.
    """
    k = len(log_paths)
    for path in log_paths:
        _truncate_log(path, start)
    nonfinite = torch.zeros(k, dtype=torch.bool, device=device)
    stopped = [False] * k
    last_logged = [start] * k
    bar = progress_bar(total=steps, initial=start, desc=desc, unit="step", progress=progress, dynamic_ncols=True)
    window_start, window_steps = time.perf_counter(), 0
    with contextlib.ExitStack() as stack:
        stack.callback(bar.close)
        logs = [stack.enter_context(open(path, "a")) for path in log_paths]
        for index in range(start, stop):
            terms = step(index)
            for key in checked:
                nonfinite |= ~torch.isfinite(terms[key])
            window_steps += 1
            done = index + 1
            is_last = done == steps
            log_now = done % log_every == 0 or is_last
            checkpoint_now = done % checkpoint_every == 0 or is_last or done == stop
            if not (log_now or checkpoint_now):
                continue
            values = {key: v.reshape(-1).tolist() for key, v in terms.items()}
            bad = nonfinite.tolist()
            elapsed = time.perf_counter() - window_start
            saves = []
            for i in range(k):
                if stopped[i]:
                    continue
                mine = {key: float(v[i]) for key, v in values.items()}
                if bad[i]:
                    stopped[i] = True
                    diverged(i, last_logged[i], done, mine)
                    continue
                if log_now:
                    entry = {"step": done, **mine, "images_per_s": window_steps * images_per_step / max(elapsed, 1e-9)}
                    logs[i].write(json.dumps(entry) + "\n")
                    logs[i].flush()
                    last_logged[i] = done
                if checkpoint_now:
                    saves.append(i)
            if log_now:
                bar.update(done - bar.n)
                loss = values["loss"]
                bar.set_postfix(loss=f"{loss[0] if k == 1 else sum(loss) / k:.4g}")  # a pack shows the mean
                window_start, window_steps = time.perf_counter(), 0
            if saves:
                save(saves, done)


def _truncate_log(path: Path, step: int) -> None:
    """Drop log lines past ``step`` (written after the checkpoint a resumed run restarts from)."""
    if not path.is_file():
        path.touch()
        return
    lines = path.read_text().splitlines()
    kept = [ln for ln in lines if ln.strip() and json.loads(ln)["step"] <= step]
    if len(kept) != len(lines):
        rundir.atomic_write_text(path, "".join(ln + "\n" for ln in kept))
