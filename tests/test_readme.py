"""The README's commands and first example must stay true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _block_after(heading: str, lang: str) -> str:
    section = README[README.index(heading) :]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_ci_runs_exactly_the_readme_test_command():
    command = _block_after("## Running the tests", "bash").strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_quick_start_installs_the_cpu_torch_first_then_runs_quickstart():
    command = _block_after("## Quick start", "bash").strip()
    assert command.startswith("pip install torch==2.13.0") and "gtdata quickstart" in command


def test_using_the_data_example_runs():
    namespace: dict = {}
    exec(compile(_block_after("## Using the data", "python"), "README.md", "exec"), namespace)
    assert namespace["images"].shape == (64, 64, 64, 1)
    assert (namespace["pairs"].changed.sum(1) >= 1).all()
    assert len(namespace["held_out"]) + len(namespace["train_part"]) == len(namespace["data"])
    assert namespace["observations"].shape[0] == 10


def test_causal_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    code = _block_after("## Causal and correlated regimes", "python") + _block_after(
        "### Out-of-distribution splits", "python"
    )
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["images"].shape == (256, 64, 64, 1)
    assert namespace["pairs"].intervened[:, 1].all()
    assert sorted(set(namespace["envs"].env.tolist())) == [0, 1, 2]
    assert (tmp_path / "dsprites_extrapolation.npz").is_file() and len(namespace["sha"]) == 64
    assert len(namespace["train"]) + len(namespace["test"]) == len(namespace["data"])


def test_scene3d_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_block_after("### 3-D scenes (no Blender)", "python"), "README.md", "exec"), namespace)
    from PIL import Image

    assert Image.open(tmp_path / "shapes3d_like.png").size == (8 * 64, 64)
    assert namespace["images"].shape == (8, 64, 64, 3)
