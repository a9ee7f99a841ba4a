"""The `newtonlab` command: help, list, compare's entry (warmup: .ci/run and test_faults)."""
import subprocess
import sys

import pytest

import newtonlab as nl
from newtonlab import cli, problems


def test_help_and_usage_errors(capsys):
    assert cli.main(["--help"]) == 0
    assert "warmup" in capsys.readouterr().out
    assert cli.main([]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2


def test_list_methods_and_problems(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name, m in nl.METHODS.items():
        assert f"\n{name} " in "\n" + out, name
    assert "time_limit=None" in out and "m=10" in out       # every option, with its default
    assert cli.main(["list", "problems"]) == 0
    out = capsys.readouterr().out
    for name in problems.names():
        assert name in out
    assert "convex" in out


def test_compare_is_the_compare_job():
    r = subprocess.run([sys.executable, "-m", "newtonlab", "compare", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--problems" in r.stdout
