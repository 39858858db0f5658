"""Installed as a user installs it: the wheel built from this checkout, in a clean virtual environment (its
dependencies borrowed from this one's site-packages, as an index would provide them), used from a directory that
holds nothing of the checkout but a user's metric and the user's own module named ``reference``."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("install")


ROOT = Path(__file__).resolve().parents[1]

METRIC = '''
import torch
from torchmetrics import Metric

import reference  # the user's own module: the harness must not shadow it


class MyMSE(Metric):
    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds, target):
        errors = (preds.reshape(-1).double() - target.reshape(-1).double()) ** 2
        self.total += errors.sum()
        self.count += errors.numel()

    def compute(self):
        return self.total / self.count if self.count else torch.tensor(reference.EMPTY, dtype=torch.float64)
'''

USER_TEST = '''
from conformance.testing import assert_conforms

import reference
from my_metric import MyMSE


def test_my_mse_conforms():
    assert reference.EMPTY == 0.0
    assert_conforms(MyMSE, reference="mean_squared_error", properties=["agreement", "batch_accumulation"])
'''


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """A clean venv with the built wheel installed (no dependencies from an index: this machine has none)."""
    work = tmp_path_factory.mktemp("install")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", ROOT,
        cwd=work)
    wheel = next((work / "dist").glob("metric_conformance-*.whl"))
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=work)
    # The dependencies from this environment's site-packages (a plain path entry: its .pth files, among them this
    # checkout's editable install, are not processed).
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return wheel, venv


def test_the_wheel_holds_the_packages_under_conformance_only(installed) -> None:
    wheel, _ = installed
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "reference" not in tops and "conformance" in tops, sorted(tops)
    assert "conformance/reference/regression.py" in zipfile.ZipFile(wheel).namelist()


def test_conformance_check_and_the_pytest_helper_work_beside_a_users_reference_module(installed,
                                                                                      tmp_path: Path) -> None:
    _, venv = installed
    (tmp_path / "reference.py").write_text("EMPTY = 0.0\n")
    (tmp_path / "my_metric.py").write_text(METRIC)
    (tmp_path / "test_my_metric.py").write_text(USER_TEST)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = run(venv / "bin" / "python", "-c", "import conformance, reference; print(conformance.__file__, "
                "reference.__file__)", cwd=tmp_path, env=env).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] == str(tmp_path / "reference.py"), where
    checked = run(venv / "bin" / "conformance", "check", "my_metric.py:MyMSE", "--reference", "mean_squared_error",
                  "--properties", "agreement,reset", cwd=tmp_path, env=env)
    assert "PASS agreement" in checked.stdout and "PASS reset" in checked.stdout, checked.stdout
    tested = run(venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_metric.py",
                 cwd=tmp_path, env=env)
    assert "1 passed" in tested.stdout, tested.stdout
