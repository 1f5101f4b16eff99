import subprocess
import sys

import gtdata
from gtdata.cli.main import main


def test_version_and_help(capsys):
    out = subprocess.run([sys.executable, "-m", "gtdata", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"gtdata {gtdata.__version__}"
    assert main([]) == 0
    assert "usage: gtdata" in capsys.readouterr().out
