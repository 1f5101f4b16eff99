"""The README's test command works on a fresh clone by itself: it installs what the tests need, then runs
them, and CI runs exactly that command after installing the CPU torch and the ray extra."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_command() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running the tests") :]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip()


def _commands(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_readme_test_command_installs_the_test_extra_before_running_pytest():
    command = _readme_command()
    assert command == "scripts/test.sh"
    script = ROOT / command
    assert script.stat().st_mode & 0o111, "the script must be executable"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    lines = _commands(script)
    install = next(i for i, line in enumerate(lines) if line.startswith("python -m pip install"))
    run = next(i for i, line in enumerate(lines) if line.startswith("python -m pytest"))
    assert install < run and '-e ".[test]"' in lines[install]
    assert any(line.startswith("cd ") for line in lines[:install])  # works from any working directory
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^test = \[.*"pytest>=.*"pytest-timeout', pyproject, re.M)  # what [tool.pytest] needs


def test_ci_installs_cpu_torch_then_ray_then_runs_the_readme_command():
    lines = _commands(ROOT / ".ci" / "run")
    torch = lines.index("python -m pip install --quiet torch==2.13.0")
    package = next(i for i, line in enumerate(lines) if line.startswith("python -m pip install") and "-e " in line)
    assert torch < package and "ray" in lines[package]
    # the README's test command runs after every install; only the documentation build may follow it
    run = lines.index(_readme_command())
    assert run > package and all(not line.startswith("python -m pip") for line in lines[run + 1 :])
    assert 'export CI="${CI:-true}"' in " ".join(lines)
