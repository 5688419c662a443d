"""Saves leave no stale temporary files; the CLI refuses an unusable output path up front."""

from __future__ import annotations

import os

import numpy as np
import pytest
from typer.testing import CliRunner

import ridgeline as rl
from ridgeline.cli import app
from ridgeline.io import atomic_write, save_estimator


def _stale(directory, name):
    """What a save of ``name`` killed mid-write leaves: ``.<name>.<8 chars>.tmp``."""
    path = directory / f".{name}.abcd1234.tmp"
    path.write_bytes(b"\0" * 1000)
    return path


def test_next_save_removes_temps_of_killed_saves(tmp_path):
    X = np.random.default_rng(0).standard_normal((30, 3))
    est = rl.Ridge(alpha=1.0).fit(X, X @ [1.0, 2.0, 3.0])
    target = tmp_path / "m.ridgeline"
    save_estimator(est, target)
    before = target.read_bytes()
    stale = _stale(tmp_path, target.name)
    other = tmp_path / ".m.ridgeline.notours.tmp"  # not the writer's pattern: kept
    other.write_bytes(b"x")
    unrelated = _stale(tmp_path, "other.ridgeline")  # another file's temp: kept
    save_estimator(est, target)
    assert not stale.exists()
    assert other.exists() and unrelated.exists()
    assert target.read_bytes()[:2] == before[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == sorted(
        [other.name, unrelated.name])


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "data.bin"
    atomic_write(target, lambda fh: fh.write(b"old"))

    def boom(fh):
        fh.write(b"half")
        raise KeyboardInterrupt  # a save interrupted mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, boom)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


@pytest.mark.parametrize("command", ["fit", "report"])
def test_cli_refuses_an_unusable_output_before_fitting(tmp_path, command):
    runner = CliRunner()
    missing = tmp_path / "no" / "such" / "dir" / "out.file"
    res = runner.invoke(app, [command, "--dataset", "diabetes", "-o", str(missing)])
    assert res.exit_code == 2
    assert "does not exist" in res.output and str(missing.parent) in res.output
    res = runner.invoke(app, [command, "--dataset", "diabetes", "-o", str(tmp_path)])
    assert res.exit_code == 2 and "is a directory" in res.output
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        res = runner.invoke(app, [command, "--dataset", "diabetes", "-o", str(locked / "x")])
        assert res.exit_code == 2 and "not writable" in res.output


@pytest.mark.parametrize("groups", [[0, 0, np.nan, 1], [0, 0, None, 1], ["a", "a", None, "b"],
                                    [0.0, 0.0, np.inf, 1.0]])
def test_group_labels_missing_are_refused(groups):
    X = np.random.default_rng(1).standard_normal((20, 4))
    for est in (rl.GroupLasso(groups=groups, alpha=0.01), rl.GroupLassoCV(groups=groups, cv=3)):
        with pytest.raises(ValueError, match=r"no label for feature\(s\) \[2\]"):
            est.fit(X, X[:, 0])
