"""Hostile model files are refused before anything is allocated; unstorable models are not saved.

Every case crafts its zip by hand (zipfile, raw ``.npy`` headers, patched directory sizes) from
a good file and asserts the error type and the words naming the member or attribute.
"""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ridgeline as rl
from ridgeline.cli import app
from ridgeline.io import load_model, model_reader, modelfile, save_estimator
from ridgeline.io.modelfile import ModelFileError, save_model_file

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 4))
ETA = X @ [1.0, -1.0, 0.5, 0.0]


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


def _header(text: str, version: int = 1, claimed: int | None = None) -> bytes:
    """A raw ``.npy`` header holding ``text``, padded like numpy pads it."""
    body = text.encode("latin1")
    body += b" " * (-(10 + len(body) + 1) % 64) + b"\n"
    size = struct.pack("<H" if version == 1 else "<I", len(body) if claimed is None else claimed)
    return b"\x93NUMPY" + bytes([version, 0]) + size + body


class Model:
    """A good saved model, opened for editing: ``meta`` (dict) and ``members`` (bytes)."""

    def __init__(self, tmp_path: Path, est=None) -> None:
        est = est if est is not None else rl.Ridge(alpha=1.0).fit(X, ETA)
        self.path = save_estimator(est, tmp_path / "good.ridgeline")
        with zipfile.ZipFile(self.path) as archive:
            self.members = {n: archive.read(n) for n in archive.namelist()}
        self.meta = json.loads(self.members.pop("meta.json"))
        self.out = tmp_path / "bad.ridgeline"

    def array(self, name: str, value, spec=True) -> Model:
        """Store ``value`` (array, or raw bytes) as ``name``; declare it when ``spec``."""
        raw = value if isinstance(value, bytes) else _npy(np.asarray(value))
        self.members[f"{name}.npy"] = raw
        self.meta["arrays"] = sorted({*self.meta["arrays"], name})
        self.meta["fitted"].pop(name, None)
        if spec is True:
            a = np.asarray(value)
            spec = {"shape": list(a.shape), "dtype": a.dtype.str}
        if spec:
            self.meta["array_specs"][name] = spec
        return self

    def drop(self, name: str) -> Model:
        self.members.pop(f"{name}.npy", None)
        self.meta["arrays"] = [n for n in self.meta["arrays"] if n != name]
        self.meta["array_specs"].pop(name, None)
        self.meta["fitted"].pop(name, None)
        return self

    def fitted(self, **values) -> Model:
        self.meta["fitted"].update(values)
        return self

    def write(self, extra=(), meta_bytes: bytes | None = None, method=zipfile.ZIP_STORED) -> Path:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # duplicate names on purpose
            with zipfile.ZipFile(self.out, "w") as archive:
                archive.writestr("meta.json", meta_bytes or json.dumps(self.meta).encode(),
                                 compress_type=zipfile.ZIP_DEFLATED)
                for name, data in [*self.members.items(), *extra]:
                    archive.writestr(name, data, compress_type=method)
        return self.out


def _patch(path: Path, member: str, *, size: int | None = None, flags: int | None = None) -> Path:
    """Edit the uncompressed size or the flags of ``member`` in both its zip headers."""
    data = bytearray(path.read_bytes())
    for sig, name_at, flag_at, size_at in ((b"PK\x03\x04", 30, 6, 22), (b"PK\x01\x02", 46, 8, 24)):
        start = 0
        while (start := data.find(sig, start)) >= 0:
            n = struct.unpack_from("<H", data, start + (26 if sig[2] == 3 else 28))[0]
            if data[start + name_at: start + name_at + n] == member.encode():
                if size is not None:
                    struct.pack_into("<I", data, start + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", data, start + flag_at, flags)
            start += 4
    path.write_bytes(bytes(data))
    return path


def _no_specs(m: Model) -> Model:
    del m.meta["array_specs"]
    return m


def _logistic(tmp_path: Path, classes: int = 2) -> Model:
    y = np.digitize(ETA, [-0.5, 0.5]) if classes == 3 else np.where(ETA > 0, "a", "b")
    return Model(tmp_path, rl.LogisticRegression().fit(X, y))


ZEROS = b"\0" * 5_000_000  # deflates to about 5 KB
BIG = "{'descr': '<f8', 'fortran_order': False, 'shape': (2000000000,), }"

# id -> (build(tmp_path) -> path, regex the ModelFileError message must match)
CASES = {
    # --- not a model file at all
    "empty-file": (lambda t: _write(t, b""), r"not a ridgeline model file \(not a zip archive"),
    "text-file": (lambda t: _write(t, b"coef,1,2\n"), r"not a zip archive"),
    "pickle": (lambda t: _write(t, b"\x80\x04\x95" + b"x" * 50), r"not a zip archive"),
    "truncated-half": (lambda t: _cut(t, 0.5), r"not a zip archive, or truncated"),
    "truncated-tail": (lambda t: _cut(t, -30), r"not a zip archive, or truncated"),
    "crc-flipped": (lambda t: _flip(t), r"corrupted or truncated: Bad CRC-32 for file 'coef_.npy'"),
    # --- meta.json
    "no-meta": (lambda t: _write_zip(t, {"coef_.npy": _npy(np.zeros(4))}),
                r"not a ridgeline model file: meta\.json is missing"),
    "meta-over-cap": (lambda t: Model(t).write(meta_bytes=b"{" + b" " * (1 << 24) + b"}"),
                      r"member 'meta\.json' is 16777218 bytes uncompressed, more than the "
                      r"16777216 bytes allowed for meta\.json"),
    "meta-size-lie": (lambda t: _patch(Model(t).write(), "meta.json", size=4_000_000_000),
                      r"member 'meta\.json' is 4000000000 bytes uncompressed, more than the "
                      r"16777216"),
    "meta-deep": (lambda t: Model(t).write(meta_bytes=b"[" * 200_000),
                  r"corrupted meta\.json: nested too deeply"),
    "meta-not-utf8": (lambda t: Model(t).write(meta_bytes=b'{"format": "\xff"}'),
                      r"corrupted meta\.json"),
    "meta-nan": (lambda t: Model(t).write(meta_bytes=b'{"format": NaN}'),
                 r"corrupted meta\.json: non-finite number NaN"),
    "meta-a-list": (lambda t: Model(t).write(meta_bytes=b"[1, 2]"), r"format: 'list'"),
    "version-string": (lambda t: _meta(t, format_version="1"), r"invalid format_version '1'"),
    "version-newer": (lambda t: _meta(t, format_version=7), r"format version 7, newer"),
    "arrays-twice": (lambda t: _meta(t, arrays=["coef_", "coef_", "n_iter_"]),
                     r"lists an array twice"),
    "arrays-path": (lambda t: _meta(t, arrays=["../coef_"]), r"invalid array list"),
    "specs-not-matching": (lambda t: _meta(t, array_specs={"coef_": {"shape": [4],
                                                                     "dtype": "<f8"}}),
                           r"invalid array_specs entry"),
    "spec-object": (lambda t: _spec(t, {"shape": [4], "dtype": "|O"}),
                    r"manifest entry of array 'coef_' must be a shape"),
    "spec-negative": (lambda t: _spec(t, {"shape": [-4], "dtype": "<f8"}),
                      r"manifest entry of array 'coef_' must be a shape"),
    "spec-other-dtype": (lambda t: _spec(t, {"shape": [4], "dtype": "<f4"}),
                         r"member coef_\.npy holds \(4,\) float64, but the manifest declares "
                         r"\(4,\) float32"),
    # --- members
    "extra-pickle": (lambda t: Model(t).write(extra=[("model.pkl", b"\x80\x04")]),
                     r"member 'model\.pkl' is not in the manifest"),
    "dotdot": (lambda t: Model(t).write(extra=[("../../x", b"1")]),
               r"member '\.\./\.\./x' has a path-like name"),
    "absolute": (lambda t: Model(t).write(extra=[("/etc/x.npy", b"1")]),
                 r"member '/etc/x\.npy' has a path-like name"),
    "backslash": (lambda t: Model(t).write(extra=[("a\\coef_.npy", b"1")]),
                  r"member 'a\\\\coef_\.npy' has a path-like name"),
    "drive": (lambda t: Model(t).write(extra=[("C:coef_.npy", b"1")]),
              r"member 'C:coef_\.npy' has a path-like name"),
    "directory": (lambda t: Model(t).write(extra=[("sub/", b"")]),
                  r"member 'sub/' has a path-like name"),
    "duplicate": (lambda t: Model(t).write(extra=[("coef_.npy", _npy(np.ones(4)))]),
                  r"member 'coef_\.npy' appears more than once"),
    "missing-member": (lambda t: _write_zip(t, {"meta.json": json.dumps(
        Model(t).meta).encode()}), r"array 'coef_' is missing"),
    "encrypted": (lambda t: _patch(Model(t).write(), "coef_.npy", flags=1),
                  r"member 'coef_\.npy' is encrypted"),
    "lzma": (lambda t: Model(t).write(method=zipfile.ZIP_LZMA),
             r"member 'coef_\.npy' uses compression method 14"),
    # --- sizes: zip bombs and lying directories
    "zeros-bomb": (lambda t: Model(t).array("coef_", _npy(np.zeros(4)) + ZEROS, spec={
        "shape": [4], "dtype": "<f8"}).write(method=zipfile.ZIP_DEFLATED),
        r"member 'coef_\.npy' is 5000160 bytes uncompressed, more than the 4128 bytes its "
        r"declared \(4,\) float64 needs"),
    "zeros-bomb-old-file": (lambda t: _no_specs(Model(t).array(
        "coef_", _npy(np.zeros(4)) + ZEROS, spec=False)).write(method=zipfile.ZIP_DEFLATED),
        r"member coef_\.npy is 5000160 bytes, but its header declares \(4,\) float64 "
        r"\(160 bytes\)"),
    "size-lie-deflate": (lambda t: _patch(_no_specs(Model(t)).write(method=zipfile.ZIP_DEFLATED),
                                          "coef_.npy", size=4_000_000_000),
                         r"member 'coef_\.npy' claims 4000000000 bytes from \d+ compressed, a "
                         r"ratio deflate cannot reach"),
    "size-lie-stored": (lambda t: _patch(_no_specs(Model(t)).write(), "coef_.npy", size=10**9),
                        r"member 'coef_\.npy' is stored uncompressed but its sizes differ"),
    "size-lie-declared": (lambda t: _patch(Model(t).write(), "coef_.npy", size=10**9),
                          r"member 'coef_\.npy' is 1000000000 bytes uncompressed, more than the "
                          r"4128 bytes"),
    "huge-header-1kb": (lambda t: Model(t).array("coef_", _header(BIG) + b"\0" * 1000, spec={
        "shape": [4], "dtype": "<f8"}).write(),
        r"member coef_\.npy holds \(2000000000,\) float64, but the manifest declares \(4,\)"),
    "huge-header-old-file": (lambda t: _no_specs(Model(t).array(
        "coef_", _header(BIG) + b"\0" * 1000, spec=False)).write(),
        r"member coef_\.npy is 1128 bytes, but its header declares \(2000000000,\) float64 "
        r"\(16000000128 bytes\)"),
    "huge-declared-total": (lambda t: Model(t).array("coef_", _header(BIG), spec={
        "shape": [2_000_000_000], "dtype": "<f8"}).write(),
        r"declares 16000000008 bytes of arrays, more than the 4294967296"),
    "short-data": (lambda t: Model(t).array("coef_", _npy(np.zeros(4))[:-8], spec={
        "shape": [4], "dtype": "<f8"}).write(),
        r"member coef_\.npy is 152 bytes, but its header declares \(4,\) float64 \(160 bytes\)"),
    "trailing-data": (lambda t: Model(t).array("coef_", _npy(np.zeros(4)) + b"evil", spec={
        "shape": [4], "dtype": "<f8"}).write(), r"member coef_\.npy is 164 bytes, but its header"),
    # --- .npy headers
    "header-length-huge": (lambda t: Model(t).array("coef_", _header("{}", 2, 10**9), spec=False)
                           .write(), r"member coef_\.npy has no valid \.npy header"),
    "bad-magic": (lambda t: Model(t).array("coef_", b"\x93NUMPX" + _npy(np.zeros(4))[6:],
                                           spec=False).write(),
                  r"member coef_\.npy has no valid \.npy header \(the magic string"),
    "npy-version-3": (lambda t: Model(t).array("coef_", b"\x93NUMPY\x03" + _npy(np.zeros(4))[7:],
                                               spec=False).write(),
                      r"member coef_\.npy has no valid \.npy header \(\.npy format version"),
    "header-not-dict": (lambda t: Model(t).array("coef_", _header("[1, 2]"), spec=False).write(),
                        r"member coef_\.npy has no valid \.npy header"),
    "header-code": (lambda t: Model(t).array("coef_", _header(
        "{'descr': __import__('os'), 'fortran_order': False, 'shape': (4,)}"), spec=False)
        .write(), r"member coef_\.npy has no valid \.npy header"),
    "negative-dim": (lambda t: Model(t).array("coef_", _header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }"), spec=False).write(),
        r"member coef_\.npy declares a negative dimension \(-4,\)"),
    "object-dtype": (lambda t: Model(t).array("coef_", np.array([{"x": 1}], dtype=object),
                                              spec=False).write(),
                     r"member coef_\.npy has object dtype, which would need pickle"),
    "structured": (lambda t: Model(t).array("coef_", np.zeros(4, [("a", "<f8"), ("b", "<i4")]),
                                            spec=False).write(),
                   r"member coef_\.npy has a structured dtype"),
    "bytes-dtype": (lambda t: Model(t).array("coef_", np.array([b"ab"] * 4), spec=False).write(),
                    r"member coef_\.npy has dtype \|S2; model files hold"),
    "datetime": (lambda t: Model(t).array("coef_", np.zeros(4, "M8[s]"), spec=False).write(),
                 r"member coef_\.npy has dtype datetime64\[s\]"),
    # --- fitted attributes against n_features_in_ and classes_
    "coef-short": (lambda t: Model(t).array("coef_", np.ones(3)).write(),
                   r"fitted attribute coef_ has shape \(3,\); n_features_in_ = 4 needs \(4,\)"),
    "coef-p-by-p": (lambda t: Model(t).array("coef_", np.ones((4, 4))).write(),
                    r"fitted attribute intercept_ has shape \(\), but coef_ has 4 row\(s\)"),
    "coef-3d": (lambda t: Model(t).array("coef_", np.ones((1, 1, 4))).write(),
                r"fitted attribute coef_ has shape \(1, 1, 4\)"),
    "coef-strings": (lambda t: Model(t).array("coef_", np.array(["1.0"] * 4)).write(),
                     r"fitted attribute coef_ must be a float array, got dtype <U3"),
    "coef-ints": (lambda t: Model(t).array("coef_", np.arange(4)).write(),
                  r"fitted attribute coef_ must be a float array, got dtype int64"),
    "coef-json-list": (lambda t: Model(t).drop("coef_").fitted(coef_=[1.0, 2.0, 3.0, 4.0]).write(),
                       r"fitted attribute coef_ must be a float array, got list"),
    "coef-nan": (lambda t: Model(t).array("coef_", [1.0, 2.0, np.nan, 4.0]).write(),
                 r"fitted attribute coef_ holds nan at 2 \(member coef_\.npy\)"),
    "coef-inf": (lambda t: Model(t).array("coef_", [[1.0, 2.0, 3.0, -np.inf]]).write(),
                 r"fitted attribute coef_ holds -inf at \(0, 3\)"),
    "intercept-abc": (lambda t: Model(t).fitted(intercept_="abc").write(),
                      r"fitted attribute intercept_ must be a number or a float array, got str "
                      r"'abc'"),
    "intercept-bool": (lambda t: Model(t).fitted(intercept_=True).write(),
                       r"fitted attribute intercept_ must be a number"),
    "intercept-nan": (lambda t: _scalar(Model(t), "intercept_", np.nan).write(),
                      r"fitted attribute intercept_ holds nan \(member intercept_\.npy\)"),
    "intercept-rows": (lambda t: Model(t).array("intercept_", np.zeros(2)).write(),
                       r"fitted attribute intercept_ has shape \(2,\), but coef_ has one row"),
    "n-features-str": (lambda t: Model(t).fitted(n_features_in_="4").write(),
                       r"fitted attribute n_features_in_ must be an integer, got str '4'"),
    "n-features-float": (lambda t: Model(t).fitted(n_features_in_=4.0).write(),
                         r"n_features_in_ must be an integer, got float 4\.0"),
    "n-features-zero": (lambda t: Model(t).fitted(n_features_in_=0).write(),
                        r"fitted attribute n_features_in_ is 0"),
    "n-features-array": (lambda t: Model(t).array("n_features_in_", np.array(4)).write(),
                         r"n_features_in_ must be an integer in meta\.json"),
    "missing-coef": (lambda t: Model(t).drop("coef_").write(),
                     r"missing fitted attribute\(s\) coef_: a fitted Ridge needs coef_, "
                     r"intercept_, n_features_in_"),
    "missing-intercept": (lambda t: Model(t).drop("intercept_").write(),
                          r"missing fitted attribute\(s\) intercept_"),
    "missing-n-features": (lambda t: Model(t).drop("n_features_in_").write(),
                           r"missing fitted attribute\(s\) n_features_in_"),
    "missing-classes": (lambda t: _logistic(t).drop("classes_").write(),
                        r"missing fitted attribute\(s\) classes_: a fitted LogisticRegression"),
    "classes-vs-rows": (lambda t: _logistic(t).array("classes_", np.array([0, 1, 2])).write(),
                        r"fitted attribute classes_ holds 3 classes but coef_ has 1 row\(s\)"),
    "classes-one": (lambda t: _logistic(t).array("classes_", np.array(["a"])).write(),
                    r"fitted attribute classes_ has shape \(1,\)"),
    "classes-repeated": (lambda t: _logistic(t, 3).array("classes_", np.array([0, 1, 1])).write(),
                         r"fitted attribute classes_ holds a repeated class label"),
    "classes-nan": (lambda t: _logistic(t).array("classes_", np.array([0.0, np.nan])).write(),
                    r"fitted attribute classes_ holds nan at 1"),
    "feature-names-short": (lambda t: Model(t).array("feature_names_in_", np.array(["a", "b"]))
                            .write(), r"fitted attribute feature_names_in_ has shape \(2,\); "
                                      r"n_features_in_ = 4 needs \(4,\)"),
    "twice": (lambda t: Model(t).fitted(coef_=[0.0]).write(),
              r"stores fitted attribute\(s\) \['coef_'\] twice"),
    "object-list-lie": (lambda t: _meta(t, object_arrays=["coef_"]),
                        r"object_arrays in meta\.json names 'coef_', which is not a unicode"),
    "lambda-negative": (lambda t: Model(t).fitted(lambda_=-1.0).write(),
                        r"fitted attribute lambda_ must be a non-negative number, got float -1"),
    "multilabel-str": (lambda t: _logistic(t).fitted(multilabel_="yes").write(),
                       r"fitted attribute multilabel_ is 'yes', not true or false"),
    "bad-name": (lambda t: Model(t).fitted(__class__=1).write(),
                 r"invalid fitted attribute name\(s\) \['__class__'\]"),
    "fitted-list": (lambda t: _meta(t, fitted=[1]), r"invalid 'fitted' entry in meta\.json"),
    "foreign-class": (lambda t: _meta(t, module="os", **{"class": "system"}),
                      r"holds a os\.system; only estimators from the ridgeline package"),
}


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "bad.ridgeline"
    path.write_bytes(data)
    return path


def _write_zip(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "bad.ridgeline"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _cut(tmp_path: Path, keep: float) -> Path:
    data = Model(tmp_path).path.read_bytes()
    return _write(tmp_path, data[: int(len(data) * keep) if keep > 0 else int(keep)])


def _flip(tmp_path: Path) -> Path:
    m = Model(tmp_path)
    path = m.write()
    data = path.read_bytes()
    at = data.index(m.members["coef_.npy"][-8:])
    return _write(tmp_path, data[:at] + b"\xff" * 8 + data[at + 8:])


def _meta(tmp_path: Path, **changes) -> Path:
    m = Model(tmp_path)
    m.meta.update(changes)
    return m.write()


def _spec(tmp_path: Path, spec: dict) -> Path:
    m = Model(tmp_path)
    m.meta["array_specs"]["coef_"] = spec
    return m.write()


def _scalar(m: Model, name: str, value: float) -> Model:
    m.array(name, np.array(value))
    m.meta["scalar_arrays"].append(name)
    return m


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_model_file_is_refused(tmp_path, case):
    build, words = CASES[case]
    path = build(tmp_path)
    with pytest.raises(ModelFileError, match=words) as info:
        load_model(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_total_array_bytes_are_capped(tmp_path, monkeypatch):
    m = Model(tmp_path).array("mse_path_", np.zeros((100, 30)))  # 24 000 bytes, declared
    monkeypatch.setattr(model_reader, "MAX_ARRAY_BYTES", 20_000)
    with pytest.raises(ModelFileError, match=r"declares 24040 bytes of arrays, more than the "
                                             r"20000 one model file may hold"):
        load_model(m.write())
    monkeypatch.setattr(model_reader, "MAX_ARRAY_BYTES", 30_000)
    assert load_model(m.out).estimator.mse_path_.shape == (100, 30)


def test_file_without_array_specs_still_loads(tmp_path):
    """Files written before the manifest declared shapes: each header is checked instead."""
    m = _no_specs(Model(tmp_path))
    est = load_model(m.write()).estimator
    np.testing.assert_array_equal(est.predict(X), rl.Ridge(alpha=1.0).fit(X, ETA).predict(X))


def test_cli_predict_refuses_a_tampered_model_in_one_line(tmp_path):
    runner = CliRunner()
    good = tmp_path / "good.ridgeline"
    res = runner.invoke(app, ["fit", "--dataset", "diabetes", "-q", "-o", str(good)])
    assert res.exit_code == 0, res.output
    with zipfile.ZipFile(good) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    coef = np.lib.format.read_array(io.BytesIO(members["coef_.npy"]))
    coef[3] = np.nan  # used to give NaN predictions and exit code 0
    members["coef_.npy"] = _npy(coef)
    bad = tmp_path / "bad.ridgeline"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    res = runner.invoke(app, ["predict", str(bad), "builtin:diabetes"])
    assert res.exit_code == 2
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "fitted attribute coef_ holds nan at 3 (member coef_.npy)" in lines[0]


# --------------------------------------------------------------------------- saving


class _Opaque:
    pass


UNSTORABLE = {
    "object-dicts": (np.array([{"a": 1}, None], dtype=object),
                     r"fitted attribute extra_ is an object array holding NoneType, dict values"),
    "object-mixed": (np.array(["a", 1], dtype=object),
                     r"fitted attribute extra_ is an object array holding int, str values"),
    "structured": (np.zeros(2, [("a", "<f8")]),
                   r"fitted attribute extra_ is an array that has a structured dtype"),
    "datetime": (np.zeros(2, "M8[D]"), r"fitted attribute extra_ is an array that has dtype "
                                       r"datetime64\[D\]"),
    "object": (_Opaque(), r"fitted attribute extra_ is a _Opaque object"),
    "list-nan": ([1.0, float("nan")], r"fitted attribute extra_ is a list that JSON cannot "
                                      r"hold \(extra_\[1\] is nan"),
}


@pytest.mark.parametrize("case", list(UNSTORABLE))
def test_save_refuses_what_it_cannot_store_and_keeps_the_old_file(tmp_path, case):
    value, words = UNSTORABLE[case]
    est = rl.Ridge().fit(X, ETA)
    path = save_estimator(est, tmp_path / "m.ridgeline")
    before = path.read_bytes()
    est.extra_ = value
    with pytest.raises(ModelFileError, match=r"cannot save Ridge: " + words):
        save_estimator(est, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.ridgeline"]


def test_save_refuses_a_sparse_coef(tmp_path):
    est = rl.LogisticRegression().fit(X, ETA > 0).sparsify()
    with pytest.raises(ModelFileError, match=r"fitted attribute coef_ is a scipy\.sparse matrix "
                                             r"\(call densify\(\) before saving\)"):
        save_estimator(est, tmp_path / "m.ridgeline")
    assert list(tmp_path.iterdir()) == []
    loaded = load_model(save_estimator(est.densify(), tmp_path / "m.ridgeline")).estimator
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_save_refuses_metadata_load_would_refuse(tmp_path, monkeypatch):
    monkeypatch.setattr(modelfile, "META_MAX_BYTES", 2000)
    with pytest.raises(ModelFileError, match=r"cannot store model metadata of \d+ bytes: "
                                             r"meta\.json may hold at most 2000"):
        save_estimator(rl.Ridge().fit(X, ETA), tmp_path / "m", extra={"names": ["c"] * 500})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("array", [np.array([b"ab"]), np.zeros(2, "m8[s]")])
def test_save_model_file_refuses_arrays_load_would_refuse(tmp_path, array):
    with pytest.raises(ModelFileError, match=r"array 'a' has dtype .*; model files hold boolean"):
        save_model_file(tmp_path / "m.ridgeline", {}, {"a": array})
    assert list(tmp_path.iterdir()) == []


Y3 = np.digitize(ETA, [-0.5, 0.5])
YB = np.where(ETA > 0, "a", "b")
Y2 = np.c_[ETA, -ETA]
SAVEABLE = {
    "Ridge": lambda: rl.Ridge().fit(X, ETA),
    "Ridge-2-targets": lambda: rl.Ridge(fit_intercept=False).fit(X, Y2),
    "Ridge-float32": lambda: rl.Ridge().fit(X.astype(np.float32), ETA.astype(np.float32)),
    "RidgeCV": lambda: rl.RidgeCV(alphas=(0.1, 1.0, 10.0)).fit(X, ETA),
    "RidgeCV-per-target": lambda: rl.RidgeCV(alpha_per_target=True, store_cv_results=True)
    .fit(X, Y2),
    "RidgeClassifier": lambda: rl.RidgeClassifier().fit(X, YB),
    "RidgeClassifier-3": lambda: rl.RidgeClassifier().fit(X, Y3),
    "RidgeClassifier-multilabel": lambda: rl.RidgeClassifier().fit(
        X, np.c_[ETA > 0, X[:, 1] > 0].astype(int)),
    "RidgeClassifierCV": lambda: rl.RidgeClassifierCV().fit(X, Y3),
    "Lasso": lambda: rl.Lasso(alpha=0.05).fit(X, ETA),
    "Lasso-2-targets": lambda: rl.Lasso(alpha=0.05).fit(X, Y2),
    "ElasticNet": lambda: rl.ElasticNet(alpha=0.05).fit(X, ETA),
    "LassoCV": lambda: rl.LassoCV(cv=3, alphas=8).fit(X, ETA),
    "ElasticNetCV": lambda: rl.ElasticNetCV(cv=3, alphas=8, l1_ratio=[0.5, 1.0]).fit(X, ETA),
    "GroupLasso": lambda: rl.GroupLasso(groups=[0, 0, 1, 1], alpha=0.01).fit(X, ETA),
    "GroupLassoCV": lambda: rl.GroupLassoCV(groups=[0, 0, 1, 1], cv=3).fit(X, ETA),
    "LogisticRegression": lambda: rl.LogisticRegression().fit(X, YB),
    "LogisticRegression-3": lambda: rl.LogisticRegression().fit(X, Y3),
    "LogisticRegression-bool": lambda: rl.LogisticRegression(fit_intercept=False).fit(X, ETA > 0),
    "LogisticRegressionCV": lambda: rl.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0.0,))
    .fit(X, YB),
    "LogisticRegressionCV-3": lambda: rl.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0.0,))
    .fit(X, Y3),
    "PoissonRegressor": lambda: rl.PoissonRegressor().fit(X, RNG.poisson(np.exp(0.3 * ETA))),
}


@pytest.mark.filterwarnings("ignore::ridgeline.selection.result.GridEdgeWarning")
@pytest.mark.parametrize("name", list(SAVEABLE))
def test_every_saveable_estimator_round_trips(tmp_path, name):
    est = SAVEABLE[name]()
    loaded = load_model(save_estimator(est, tmp_path / "m")).estimator
    assert type(loaded) is type(est)
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(est, method):
            np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(est, method)(X))
    np.testing.assert_array_equal(loaded.coef_, est.coef_)
    assert loaded.coef_.dtype == est.coef_.dtype
