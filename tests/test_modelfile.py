"""Tests for ridgeline.io.modelfile: safe, atomic, pickle-free model files."""

from __future__ import annotations

import json
import os
import pickle
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold

from ridgeline.io import modelfile
from ridgeline.io.modelfile import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MODEL_SUFFIX,
    load_estimator,
    load_model_file,
    save_estimator,
    save_model_file,
)


@dataclass
class _Report:
    score: float


class DummyRidge(BaseEstimator):
    """A tiny ridge-like estimator pretending to live in the ridgeline package."""

    __module__ = "ridgeline.tests_dummy"

    def __init__(
        self,
        alpha: float = 1.0,
        alphas: tuple[float, ...] = (0.1, 1.0),
        cv: Any = None,
        scoring: Any = "r2",
        fit_intercept: bool = True,
    ) -> None:
        self.alpha = alpha
        self.alphas = alphas
        self.cv = cv
        self.scoring = scoring
        self.fit_intercept = fit_intercept

    def fit(self, X: np.ndarray, y: np.ndarray) -> DummyRidge:
        p = X.shape[1]
        self.coef_ = np.linalg.solve(X.T @ X + self.alpha * np.eye(p), X.T @ y)
        self.intercept_ = 0.5
        self.alpha_ = np.float64(self.alpha)
        self.n_features_in_ = p
        self.feature_names_in_ = np.array([f"x{i}" for i in range(p)], dtype=object)
        self.best_score_ = float("nan")
        self.history_ = [1, 2.5, "done"]
        self._private_ = 3
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_ + self.intercept_


class DummyWithReport(DummyRidge):
    """DummyRidge that also keeps an object no model file can hold faithfully."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> DummyWithReport:
        super().fit(X, y)
        self.report_ = _Report(score=0.9)
        return self


REGISTRY = {"ridgeline.tests_dummy.DummyRidge": DummyRidge}


def _fitted_dummy(**params: Any) -> DummyRidge:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    return DummyRidge(**params).fit(X, X @ [1.0, -2.0, 0.5])


def _write_raw_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _header(**extra: Any) -> bytes:
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "arrays": [], **extra}
    return json.dumps(meta).encode()


# --------------------------------------------------------------------------- generic files


def test_round_trip_arrays_and_meta(tmp_path: Path) -> None:
    arrays = {
        "coef": np.arange(12.0).reshape(3, 4),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "ints": np.array([1, 2, 3], dtype=np.int32),
        "mask": np.array([True, False]),
        "names": np.array(["alpha", "β"]),
        "scalar": np.array(2.5),
        "empty": np.empty((0, 3)),
        "cube": np.ones((2, 2, 2), dtype=np.float32),
    }
    meta = {"n": np.int64(3), "alpha": np.float32(0.5), "shape": (2, 3), "note": "héllo"}
    path = save_model_file(tmp_path / "m.ridgeline", meta, arrays)
    assert path == tmp_path / "m.ridgeline"
    loaded_meta, loaded = load_model_file(path)
    assert loaded.keys() == arrays.keys()
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype
    assert loaded["fortran"].flags.f_contiguous
    assert loaded_meta["n"] == 3 and loaded_meta["alpha"] == 0.5
    assert loaded_meta["shape"] == [2, 3]
    assert loaded_meta["note"] == "héllo"
    assert loaded_meta["format"] == FORMAT_NAME
    assert loaded_meta["format_version"] == FORMAT_VERSION
    assert isinstance(loaded_meta["ridgeline_version"], str)
    assert datetime.fromisoformat(loaded_meta["created"]).tzinfo is not None


def test_file_layout(tmp_path: Path) -> None:
    path = save_model_file(tmp_path / "m.ridgeline", {"k": 1}, {"coef": np.zeros(2)})
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["coef.npy", "meta.json"]
        meta = json.loads(archive.read("meta.json").decode("utf-8"))
    assert meta["format"] == "ridgeline-model" and meta["k"] == 1


def test_default_suffix(tmp_path: Path) -> None:
    path = save_model_file(tmp_path / "model", {}, {"a": np.ones(1)})
    assert path.name == "model" + MODEL_SUFFIX and path.exists()
    _, arrays = load_model_file(tmp_path / "model")
    np.testing.assert_array_equal(arrays["a"], [1.0])


def test_custom_suffix_kept(tmp_path: Path) -> None:
    path = save_model_file(tmp_path / "model.zip", {}, {})
    assert path.name == "model.zip"
    assert load_model_file(path)[1] == {}


def test_overwrite_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "m.ridgeline"
    save_model_file(path, {"v": 1}, {})
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    save_model_file(path, {"v": 2}, {})
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_model_file(path)[0]["v"] == 2


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float64("-inf")])
def test_nan_in_meta_refused(tmp_path: Path, bad: float) -> None:
    with pytest.raises(ValueError, match=r"meta\.scores\[1\] is .*NaN and infinity"):
        save_model_file(tmp_path / "m.ridgeline", {"scores": [1.0, bad]}, {})
    assert not list(tmp_path.iterdir())


def test_non_json_meta_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"meta\.cv has type KFold.*JSON"):
        save_model_file(tmp_path / "m.ridgeline", {"cv": KFold(3)}, {})
    with pytest.raises(ValueError, match="non-string key"):
        save_model_file(tmp_path / "m.ridgeline", {"d": {1: 2}}, {})


def test_reserved_meta_key_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        save_model_file(tmp_path / "m.ridgeline", {"format_version": 99}, {})


def test_object_array_refused(tmp_path: Path) -> None:
    arrays = {"obj": np.array([{"a": 1}, None], dtype=object)}
    with pytest.raises(ValueError, match="object dtype, which would need pickle"):
        save_model_file(tmp_path / "m.ridgeline", {}, arrays)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "sp ace"])
def test_invalid_array_name_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid array name"):
        save_model_file(tmp_path / "m.ridgeline", {}, {name: np.zeros(1)})


# --------------------------------------------------------------------------- atomicity


def _existing_model(tmp_path: Path) -> Path:
    return save_model_file(tmp_path / "m.ridgeline", {"version": "old"}, {"a": np.zeros(3)})


def _assert_untouched(tmp_path: Path, path: Path) -> None:
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left
    assert load_model_file(path)[0]["version"] == "old"


def test_failure_midway_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = np.lib.format.write_array
    calls = []

    def failing_write_array(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        original(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write_array)
    path = tmp_path / "new.ridgeline"
    arrays = {"a": np.zeros(3), "b": np.ones(3), "c": np.ones(3)}
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_model_file(path, {}, arrays)
    assert not path.exists()
    assert not list(tmp_path.iterdir())


def test_failure_keeps_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _existing_model(tmp_path)

    def failing_fsync(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(modelfile.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        save_model_file(path, {"version": "new"}, {"a": np.ones(3)})
    monkeypatch.undo()
    _assert_untouched(tmp_path, path)


def test_failed_rename_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _existing_model(tmp_path)

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(modelfile.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        save_model_file(path, {"version": "new"}, {})
    monkeypatch.undo()
    _assert_untouched(tmp_path, path)


def test_interrupt_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _existing_model(tmp_path)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model_file(path, {"version": "new"}, {"a": np.ones(3)})
    monkeypatch.undo()
    _assert_untouched(tmp_path, path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        save_model_file(tmp_path / "no" / "such" / "m.ridgeline", {}, {})


# --------------------------------------------------------------------------- loading errors


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"model file not found: .*ghost\.ridgeline"):
        load_model_file(tmp_path / "ghost.ridgeline")


def test_load_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a regular file"):
        load_model_file(tmp_path)


def test_load_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "m.ridgeline"
    path.write_text("just text")
    with pytest.raises(ValueError, match=r"m\.ridgeline is not a ridgeline model file \(not a zip"):
        load_model_file(path)


def test_load_pickle_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.ridgeline"
    path.write_bytes(pickle.dumps({"coef": [1, 2]}))
    with pytest.raises(ValueError, match="not a zip archive"):
        load_model_file(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, -10])
def test_load_truncated_zip(tmp_path: Path, keep: float) -> None:
    path = save_model_file(tmp_path / "m.ridgeline", {"k": 1}, {"a": np.arange(1000.0)})
    data = path.read_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match=re.escape(str(path))):
        load_model_file(path)


def test_load_corrupted_array_bytes(tmp_path: Path) -> None:
    path = save_model_file(tmp_path / "m.ridgeline", {}, {"a": np.zeros(10_000)})
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is corrupted or truncated.*CRC"):
        load_model_file(path)


def test_load_missing_meta(tmp_path: Path) -> None:
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"coef.npy": b"x"})
    with pytest.raises(ValueError, match=r"m\.ridgeline is not a ridgeline model file: meta"):
        load_model_file(path)


def test_load_invalid_meta_json(tmp_path: Path) -> None:
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": b"{not json"})
    with pytest.raises(ValueError, match=r"m\.ridgeline has a corrupted meta\.json"):
        load_model_file(path)


def test_load_nan_in_meta_json(tmp_path: Path) -> None:
    raw = _header()[:-1] + b', "x": NaN}'
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": raw})
    with pytest.raises(ValueError, match=r"corrupted meta\.json.*NaN"):
        load_model_file(path)


def test_load_wrong_format(tmp_path: Path) -> None:
    meta = json.dumps({"format": "something-else", "format_version": 1}).encode()
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": meta})
    with pytest.raises(ValueError, match=r"not a ridgeline model file.*'something-else'"):
        load_model_file(path)


def test_load_newer_version(tmp_path: Path) -> None:
    raw = _header(format_version=FORMAT_VERSION + 1, ridgeline_version="9.0")
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": raw})
    with pytest.raises(ValueError, match=r"format version 2.*upgrade ridgeline"):
        load_model_file(path)


@pytest.mark.parametrize("version", [0, "1", None, True])
def test_load_invalid_version(tmp_path: Path, version: Any) -> None:
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": _header(format_version=version)})
    with pytest.raises(ValueError, match="invalid format_version"):
        load_model_file(path)


def test_load_missing_array_member(tmp_path: Path) -> None:
    path = _write_raw_zip(tmp_path / "m.ridgeline", {"meta.json": _header(arrays=["coef"])})
    with pytest.raises(ValueError, match="array 'coef' is missing"):
        load_model_file(path)


def test_load_never_unpickles_object_array(tmp_path: Path) -> None:
    path = tmp_path / "m.ridgeline"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", _header(arrays=["evil"]))
        with archive.open("evil.npy", "w") as member:
            payload = np.array([{"boom": 1}], dtype=object)
            np.lib.format.write_array(member, payload, allow_pickle=True)
    with pytest.raises(ValueError, match=r"array 'evil' in model file .* cannot be loaded.*pickle"):
        load_model_file(path)


def test_load_never_uses_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader parses .npy headers itself and fills checked arrays; pickle is unreachable."""
    arrays = {"a": np.ones(2), "b": np.zeros(1, np.int32), "s": np.array(["x", "yz"])}
    path = save_model_file(tmp_path / "m.ridgeline", {}, arrays)

    def no_pickle(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pickle must never be used")

    monkeypatch.setattr(np.lib.format, "read_array", no_pickle)
    monkeypatch.setattr(np, "load", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    loaded = load_model_file(path)[1]
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype


# --------------------------------------------------------------------------- estimators


def test_estimator_round_trip(tmp_path: Path) -> None:
    est = _fitted_dummy(alpha=0.3, alphas=(0.1, 1.0, 10.0), fit_intercept=False)
    path = save_estimator(est, tmp_path / "dummy.ridgeline")
    loaded = load_estimator(path, registry=REGISTRY)
    assert type(loaded) is DummyRidge
    assert loaded.get_params() == est.get_params()
    assert loaded.alphas == (0.1, 1.0, 10.0)
    np.testing.assert_array_equal(loaded.coef_, est.coef_)
    assert loaded.intercept_ == 0.5 and loaded.n_features_in_ == 3
    assert loaded.alpha_ == 0.3
    assert loaded.history_ == [1, 2.5, "done"]
    assert np.isnan(loaded.best_score_) and isinstance(loaded.best_score_, float)
    assert loaded.feature_names_in_.dtype == object
    assert list(loaded.feature_names_in_) == ["x0", "x1", "x2"]
    X = np.eye(3)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_estimator_meta_content(tmp_path: Path) -> None:
    path = save_estimator(_fitted_dummy(), tmp_path / "dummy.ridgeline")
    meta, arrays = load_model_file(path)
    assert meta["class"] == "DummyRidge" and meta["module"] == "ridgeline.tests_dummy"
    assert meta["params"]["alphas"] == [0.1, 1.0]
    assert meta["skipped_attributes"] == []
    assert meta["array_specs"] == {"best_score_": {"shape": [], "dtype": "<f8"},
                                   "coef_": {"shape": [3], "dtype": "<f8"},
                                   "feature_names_in_": {"shape": [3], "dtype": "<U2"}}
    assert "_private_" not in meta["fitted"] and "_private_" not in arrays
    assert arrays["feature_names_in_"].dtype.kind == "U"
    assert set(arrays) == {"coef_", "feature_names_in_", "best_score_"}


def test_unstorable_attribute_refused_and_old_file_kept(tmp_path: Path) -> None:
    path = save_estimator(_fitted_dummy(), tmp_path / "dummy.ridgeline")
    before = path.read_bytes()
    est = DummyWithReport().fit(np.eye(3), np.ones(3))
    with pytest.raises(modelfile.ModelFileError,
                       match=r"cannot save DummyWithReport: fitted attribute report_ is a "
                             r"_Report object, which a model file cannot store faithfully"):
        save_estimator(est, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["dummy.ridgeline"]


@pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")
def test_selection_report_skipped_not_restored(tmp_path: Path) -> None:
    import ridgeline as rl

    X = np.random.default_rng(0).normal(size=(30, 3))
    est = rl.RidgeCV().fit(X, X @ [1.0, 2.0, 3.0])
    path = save_estimator(est, tmp_path / "r.ridgeline")
    assert load_model_file(path)[0]["skipped_attributes"] == ["selection_"]
    loaded = load_estimator(path)
    assert not hasattr(loaded, "selection_")
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_unserializable_params_get_defaults(tmp_path: Path) -> None:
    est = _fitted_dummy(cv=KFold(4), scoring=len)
    path = save_estimator(est, tmp_path / "dummy.ridgeline")
    meta, _ = load_model_file(path)
    assert set(meta["unserializable_params"]) == {"cv", "scoring"}
    assert "KFold" in meta["unserializable_params"]["cv"]
    loaded = load_estimator(path, registry=REGISTRY)
    assert loaded.cv is None and loaded.scoring == "r2"


def test_unfitted_estimator(tmp_path: Path) -> None:
    path = save_estimator(DummyRidge(alpha=2.0), tmp_path / "u.ridgeline")
    loaded = load_estimator(path, registry=REGISTRY)
    assert loaded.alpha == 2.0 and not hasattr(loaded, "coef_")


def test_sklearn_estimator_refused_on_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 2))
    est = LinearRegression().fit(X, X.sum(axis=1))
    path = save_estimator(est, tmp_path / "lr.ridgeline")
    meta, _ = load_model_file(path)
    assert meta["module"].startswith("sklearn.")
    with pytest.raises(ValueError, match="only estimators from the ridgeline package"):
        load_estimator(path)
    with pytest.raises(ValueError, match="only estimators from the ridgeline package"):
        load_estimator(path, registry={"LinearRegression": LinearRegression})


def test_lookalike_module_refused(tmp_path: Path) -> None:
    meta = {"class": "X", "module": "ridgelinex.evil", "params": {}}
    path = save_model_file(tmp_path / "m.ridgeline", meta, {})
    with pytest.raises(ValueError, match="only estimators from the ridgeline package"):
        load_estimator(path)


def test_registry_class_must_match(tmp_path: Path) -> None:
    path = save_estimator(_fitted_dummy(), tmp_path / "dummy.ridgeline")
    with pytest.raises(ValueError, match="is not a ridgeline class"):
        load_estimator(path, registry={"DummyRidge": LinearRegression})


def test_unknown_ridgeline_module(tmp_path: Path) -> None:
    path = save_estimator(_fitted_dummy(), tmp_path / "dummy.ridgeline")
    with pytest.raises(ValueError, match=r"cannot find class ridgeline\.tests_dummy\.DummyRidge"):
        load_estimator(path)


def test_imported_class_that_cannot_be_built(tmp_path: Path) -> None:
    meta = {"class": "ArraySpec", "module": "ridgeline.io.model_schema", "params": {}}
    path = save_model_file(tmp_path / "m.ridgeline", meta, {})
    with pytest.raises(ValueError, match="could not rebuild ArraySpec"):
        load_estimator(path)


def test_not_an_estimator_file(tmp_path: Path) -> None:
    path = save_model_file(tmp_path / "m.ridgeline", {"k": 1}, {})
    with pytest.raises(ValueError, match="does not hold an estimator"):
        load_estimator(path)


@pytest.mark.parametrize("name", ["__class__", "_hidden_", "no_underscore", "a.b_"])
def test_tampered_attribute_names_refused(tmp_path: Path, name: str) -> None:
    meta = {"class": "DummyRidge", "module": "ridgeline.tests_dummy", "fitted": {name: 1}}
    path = save_model_file(tmp_path / "m.ridgeline", meta, {})
    with pytest.raises(ValueError, match="invalid fitted attribute name"):
        load_estimator(path, registry=REGISTRY)


def test_save_non_estimator(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="get_params"):
        save_estimator(object(), tmp_path / "x.ridgeline")


def test_no_pickle_module_used_for_estimators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pickle(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pickle must never be used")

    for name in ("dump", "dumps", "load", "loads"):
        monkeypatch.setattr(pickle, name, no_pickle)
    path = save_estimator(_fitted_dummy(), tmp_path / "d.ridgeline")
    assert load_estimator(path, registry=REGISTRY).n_features_in_ == 3
    assert os.path.getsize(path) > 0


# --------------------------------------------------------------------------- extra metadata


def test_extra_metadata_round_trip(tmp_path: Path) -> None:
    extra = {"model": "ridge", "targets": ["y"], "encoding": {"columns": ["a", "b"]}}
    path = save_estimator(_fitted_dummy(), tmp_path / "e", extra=extra)
    loaded = modelfile.load_model(path, registry=REGISTRY)
    assert isinstance(loaded, modelfile.LoadedModel)
    assert loaded.extra == extra
    assert loaded.meta["class"] == "DummyRidge" and loaded.meta["format_version"] == 1
    np.testing.assert_array_equal(loaded.estimator.coef_, _fitted_dummy().coef_)
    plain = save_estimator(_fitted_dummy(), tmp_path / "p")
    assert modelfile.load_model(plain, registry=REGISTRY).extra == {}
    with pytest.raises(ValueError, match=r"cannot store model metadata: meta\.extra\.bad has type"):
        save_estimator(_fitted_dummy(), tmp_path / "x", extra={"bad": object()})


def test_extra_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    path = save_estimator(_fitted_dummy(), tmp_path / "e.ridgeline", extra={"k": 1})
    with zipfile.ZipFile(path) as src:
        members = {n: src.read(n) for n in src.namelist()}
    meta = json.loads(members["meta.json"])
    meta["extra"] = ["not", "an", "object"]
    members["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    with pytest.raises(ValueError, match="invalid 'extra' entry"):
        modelfile.load_model(path, registry=REGISTRY)


def test_atomic_write_is_public_and_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    modelfile.atomic_write(target, lambda fh: fh.write(b"abc"))
    assert target.read_bytes() == b"abc"

    def half_then_fail(fh: Any) -> None:
        fh.write(b"partial")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        modelfile.atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"abc"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")
@pytest.mark.parametrize("name", ["LogisticRegressionCV", "LassoCV", "ElasticNetCV",
                                  "PoissonRegressor", "Lasso", "RidgeCV"])
def test_every_command_line_model_round_trips(tmp_path: Path, name: str) -> None:
    import ridgeline as rl

    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 4))
    eta = X @ np.array([1.0, -1.0, 0.5, 0.0])
    est = {
        "LogisticRegressionCV": lambda: rl.LogisticRegressionCV(Cs=5, cv=KFold(3)).fit(
            X, np.where(eta > 0, "a", "b")),
        "LassoCV": lambda: rl.LassoCV(alphas=10, cv=KFold(3)).fit(X, eta),
        "ElasticNetCV": lambda: rl.ElasticNetCV(alphas=10, cv=KFold(3)).fit(X, eta),
        "PoissonRegressor": lambda: rl.PoissonRegressor(alpha=0.1).fit(
            X, rng.poisson(np.exp(0.3 * eta))),
        "Lasso": lambda: rl.Lasso(alpha=0.05).fit(X, eta),
        "RidgeCV": lambda: rl.RidgeCV(cv=KFold(3)).fit(X, eta),
    }[name]()
    loaded = load_estimator(save_estimator(est, tmp_path / "m"))
    assert type(loaded) is type(est)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        assert list(loaded.classes_) == ["a", "b"]
