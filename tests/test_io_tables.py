"""Tests for ridgeline.io.tables: reading data tables for the command line."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from ridgeline.io.tables import (
    BUILTIN_DATASETS,
    SUPPORTED_EXTENSIONS,
    FeatureEncoding,
    Table,
    load_builtin,
    read_features,
    read_table,
    table_from_frame,
    write_table,
)

RNG = np.random.default_rng(0)
X_REF = RNG.normal(size=(6, 3))
Y_REF = RNG.normal(size=6)


def _reference() -> pa.Table:
    return pa.table({"a": X_REF[:, 0], "b": X_REF[:, 1], "c": X_REF[:, 2], "y": Y_REF})


def _assert_reference(table: Table) -> None:
    np.testing.assert_array_equal(table.X, X_REF)
    np.testing.assert_array_equal(table.y, Y_REF)
    assert table.feature_names == ["a", "b", "c"]
    assert table.target_names == ["y"]
    assert table.n_rows == 6
    assert table.X.dtype == np.float64 and table.y.dtype == np.float64
    assert table.X.flags.c_contiguous
    assert table.y.shape == (6,)


def _write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- round trips


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    table = read_table(path, target="y")
    _assert_reference(table)
    assert table.source == str(path)


def test_tsv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "data.tsv"
    pacsv.write_csv(_reference(), path, pacsv.WriteOptions(delimiter="\t"))
    _assert_reference(read_table(path, target="y"))


@pytest.mark.parametrize("delimiter", ["\t", ",", ";"])
def test_txt_sniffs_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "data.txt"
    pacsv.write_csv(_reference(), path, pacsv.WriteOptions(delimiter=delimiter))
    _assert_reference(read_table(str(path), target="y"))


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_parquet_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    pq.write_table(_reference(), path)
    _assert_reference(read_table(path, target="y"))


def test_parquet_directory_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "parts"
    directory.mkdir()
    ref = _reference()
    pq.write_table(ref.slice(0, 2), directory / "part-0.parquet")
    pq.write_table(ref.slice(2, 4), directory / "part-1.parquet")
    _assert_reference(read_table(directory, target="y"))


@pytest.mark.parametrize("suffix", [".feather", ".arrow", ".ipc"])
def test_feather_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    feather.write_feather(_reference(), path)
    _assert_reference(read_table(path, target="y"))


def test_arrow_ipc_stream_format(tmp_path: Path) -> None:
    path = tmp_path / "data.arrow"
    ref = _reference()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, ref.schema) as writer:
        writer.write_table(ref)
    _assert_reference(read_table(path, target="y"))


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "DATA.CSV"
    pacsv.write_csv(_reference(), path)
    _assert_reference(read_table(path, target="y"))


def test_feature_selection_and_order(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(_reference(), path)
    table = read_table(path, target="y", features=["c", "a"])
    np.testing.assert_array_equal(table.X, X_REF[:, [2, 0]])
    assert table.feature_names == ["c", "a"]
    assert table.X.flags.c_contiguous


def test_multi_target(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    table = read_table(path, target=["y", "a"])
    assert table.y.shape == (6, 2)
    np.testing.assert_array_equal(table.y, np.column_stack([Y_REF, X_REF[:, 0]]))
    assert table.target_names == ["y", "a"]
    assert table.feature_names == ["b", "c"]


def test_single_target_in_list_gives_2d(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    assert read_table(path, target=["y"]).y.shape == (6, 1)


def test_booleans_and_integers_become_float(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "flag,count,y\ntrue,1,10\nfalse,2,20\ntrue,3,30\n")
    table = read_table(path, target="y")
    np.testing.assert_array_equal(table.X, [[1.0, 1.0], [0.0, 2.0], [1.0, 3.0]])
    np.testing.assert_array_equal(table.y, [10.0, 20.0, 30.0])
    assert table.X.dtype == np.float64


def test_table_is_frozen(tmp_path: Path) -> None:
    table = load_builtin()
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.n_rows = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- frames


def test_pandas_frame() -> None:
    df = pd.DataFrame({"a": X_REF[:, 0], "b": X_REF[:, 1], "c": X_REF[:, 2], "y": Y_REF})
    table = table_from_frame(df, "y")
    _assert_reference(table)
    assert table.source == "<pandas.DataFrame>"


def test_pandas_nullable_and_bool_columns() -> None:
    df = pd.DataFrame(
        {"i": pd.array([1, 2, 3], dtype="Int64"), "b": [True, False, True], "y": [1, 2, 3]}
    )
    table = table_from_frame(df, "y")
    np.testing.assert_array_equal(table.X, [[1, 1], [2, 0], [3, 1]])


def test_pandas_missing_values_are_reported() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "i": pd.array([1, None, None]), "y": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"missing.*'a' \(1 row\).*'i' \(2 rows\)"):
        table_from_frame(df, "y")


def test_pandas_text_columns_are_one_hot_encoded() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "city": ["x", "y", "x"], "mixed": [1, "a", 1],
                       "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"column 'mixed' .* numbers except for 'a' "
                                         r"\(data row 2\)"):
        table_from_frame(df, "y")  # numbers but for one value: text only when asked for
    table = table_from_frame(df, "y", text_columns=["mixed"])
    assert table.feature_names == ["a", "city=x", "city=y", "mixed=1", "mixed=a"]
    np.testing.assert_array_equal(table.X, [[1, 1, 0, 1, 0], [2, 0, 1, 0, 1], [3, 1, 0, 1, 0]])
    assert table.encoding.categories == {"city": ("x", "y"), "mixed": ("1", "a")}
    table = table_from_frame(df, "y", features=["a"])
    np.testing.assert_array_equal(table.X, [[1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match=r"non-numeric feature column\(s\) 'city' \(string\), "
                                         r"'mixed' \(string\).*one_hot=False"):
        table_from_frame(df, "y", one_hot=False)


def test_pandas_integer_column_labels() -> None:
    df = pd.DataFrame(np.arange(6.0).reshape(3, 2))
    table = table_from_frame(df, "1")
    assert table.feature_names == ["0"]
    np.testing.assert_array_equal(table.y, [1.0, 3.0, 5.0])


def test_polars_frame() -> None:
    df = pl.DataFrame({"a": X_REF[:, 0], "b": X_REF[:, 1], "c": X_REF[:, 2], "y": Y_REF})
    table = table_from_frame(df, "y", source="mem")
    _assert_reference(table)
    assert table.source == "mem"


def test_polars_multi_target_and_errors() -> None:
    df = pl.DataFrame({"a": [1, 2, 3], "t1": [1.0, 2.0, 3.0], "t2": [0.0, 1.0, float("nan")]})
    with pytest.raises(ValueError, match=r"'t2' \(1 row\)"):
        table_from_frame(df, ["t1", "t2"])
    df = df.with_columns(pl.col("t2").fill_nan(5.0))
    table = table_from_frame(df, ["t1", "t2"])
    assert table.y.shape == (3, 2)
    np.testing.assert_array_equal(table.X, [[1.0], [2.0], [3.0]])


def test_polars_string_column() -> None:
    df = pl.DataFrame({"s": ["b", "a", None], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"column\(s\) 's' \(1 row\)"):
        table_from_frame(df, "y")
    table = table_from_frame(df, "y", impute="mean")
    assert table.feature_names == ["s=a", "s=b"]
    np.testing.assert_allclose(table.X, [[0, 1], [1, 0], [0.5, 0.5]])


def test_pyarrow_table_accepted() -> None:
    _assert_reference(table_from_frame(_reference(), "y"))


def test_unsupported_frame_type() -> None:
    with pytest.raises(TypeError, match="pandas or polars"):
        table_from_frame({"y": [1, 2]}, "y")


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(ValueError, match=r"file not found: .*nope\.csv"):
        read_table(path, target="y")


def test_unknown_extension(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "data.xlsx", "a,y\n1,2\n")
    with pytest.raises(ValueError, match=r"unsupported file extension '\.xlsx'.*\.csv.*\.parquet"):
        read_table(path, target="y")
    assert set(SUPPORTED_EXTENSIONS) >= {".csv", ".parquet", ".feather", ".arrow"}


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(ValueError, match=r"could not read .*bad\.parquet"):
        read_table(path, target="y")


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    pq.write_table(_reference(), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"could not read .*cut\.parquet"):
        read_table(path, target="y")


def test_corrupt_feather(tmp_path: Path) -> None:
    path = tmp_path / "bad.arrow"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match=r"could not read .*bad\.arrow"):
        read_table(path, target="y")


def test_malformed_csv(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "bad.csv", "a,y\n1,2\n3,4,5\n")
    with pytest.raises(ValueError, match=r"could not read .*bad\.csv"):
        read_table(path, target="y")


def test_directory_with_non_parquet_files(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_text("garbage")
    with pytest.raises(ValueError, match="could not read " + re.escape(str(tmp_path))):
        read_table(tmp_path, target="y")


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"garbage")
    with pytest.raises(ValueError) as info:
        read_table(path, target="y")
    assert "\n" not in str(info.value)


def test_missing_target_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    with pytest.raises(ValueError, match=r"target column\(s\) 'price' not found.*available: a, b"):
        read_table(path, target="price")


def test_missing_feature(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    with pytest.raises(ValueError, match=r"feature column\(s\) 'zz' not found in .*data\.csv"):
        read_table(path, target="y", features=["a", "zz"])


def test_target_also_feature(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(_reference(), path)
    with pytest.raises(ValueError, match="both target and feature"):
        read_table(path, target="y", features=["a", "y"])


def test_no_features_left(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "y\n1\n2\n")
    with pytest.raises(ValueError, match="no feature columns"):
        read_table(path, target="y")


def test_duplicate_columns(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,a,y\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match=r"'a' appear more than once"):
        read_table(path, target="y")


def test_text_feature_is_one_hot_encoded_with_a_note(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,city,y\n1,rome,3\n2,paris,4\n5,rome,6\n")
    table = read_table(path, target="y")
    assert table.feature_names == ["a", "city=paris", "city=rome"]
    np.testing.assert_array_equal(table.X, [[1, 0, 1], [2, 1, 0], [5, 0, 1]])
    assert table.notes == ("text column 'city' one-hot encoded into 2 columns (paris, rome)",)
    assert table.encoding.feature_names == table.feature_names
    table = read_table(path, target="y", features=["a"])
    np.testing.assert_array_equal(table.X, [[1.0], [2.0], [5.0]])
    assert table.notes == ()


def test_non_numeric_target(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,y\n1,yes\n2,no\n")
    with pytest.raises(ValueError, match=r"non-numeric target column\(s\) 'y' \(string\).*"
                                         r"--model logistic"):
        read_table(path, target="y")
    table = read_table(path, target="y", labels=True)
    assert table.y.tolist() == ["yes", "no"] and table.y.dtype.kind == "U"


def test_too_many_categories(tmp_path: Path) -> None:
    rows = "".join(f"id{i},{i}\n" for i in range(12))
    path = _write_csv(tmp_path / "d.csv", "a,y\n" + rows)
    with pytest.raises(ValueError, match=r"text column 'a' .* has 12 distinct values, too many "
                                         r"to one-hot encode \(limit 10\)"):
        read_table(path, target="y", max_categories=10)
    assert read_table(path, target="y", max_categories=12).X.shape == (12, 12)


def test_missing_values_named_with_counts(tmp_path: Path) -> None:
    text = "a,b,c,y\n1,,3,1\n,NaN,inf,2\n1,2,-inf,\n4,5,6,7\n"
    path = _write_csv(tmp_path / "d.csv", text)
    with pytest.raises(
        ValueError,
        match=r"missing or non-finite values .* in .*d\.csv: column\(s\) 'a' \(1 row\), "
        r"'b' \(2 rows\), 'c' \(2 rows\), 'y' \(1 row\)",
    ):
        read_table(path, target="y")


def test_all_empty_column_is_missing(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,e,y\n1,,1\n2,,2\n")
    with pytest.raises(ValueError, match=r"'e' \(2 rows\)"):
        read_table(path, target="y")


def test_nan_in_parquet(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"a": [1.0, np.nan, np.inf], "y": [1.0, 2.0, None]}), path)
    with pytest.raises(ValueError, match=r"'a' \(2 rows\), 'y' \(1 row\)"):
        read_table(path, target="y")


def test_empty_file(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "empty.csv", "")
    with pytest.raises(ValueError, match=r"empty\.csv is empty \(0 rows\)"):
        read_table(path, target="y")


def test_header_only_csv(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "h.csv", "a,y\n")
    with pytest.raises(ValueError, match=r"h\.csv is empty \(0 rows\)"):
        read_table(path, target="y")


def test_empty_parquet(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(_reference().slice(0, 0), path)
    with pytest.raises(ValueError, match=r"is empty \(0 rows\)"):
        read_table(path, target="y")


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"is empty \(0 rows\)"):
        read_table(tmp_path, target="y")


def test_single_row(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "one.csv", "a,y\n1,2\n")
    with pytest.raises(ValueError, match=r"one\.csv has only 1 row; at least 2"):
        read_table(path, target="y")


def test_empty_target_list(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,y\n1,2\n3,4\n")
    with pytest.raises(ValueError, match="no target column"):
        read_table(path, target=[])


# --------------------------------------------------------------------------- built-ins


def test_load_builtin_diabetes() -> None:
    table = load_builtin()
    assert table.X.shape == (442, 10)
    assert table.y.shape == (442,)
    assert table.target_names == ["target"]
    assert table.feature_names[:3] == ["age", "sex", "bmi"]
    assert table.source == "builtin:diabetes"
    assert table.X.flags.c_contiguous and table.X.dtype == np.float64


def test_load_builtin_linnerud_multi_target() -> None:
    table = load_builtin("linnerud")
    assert table.X.shape == (20, 3)
    assert table.y.shape == (20, 3)
    assert table.target_names == ["Weight", "Waist", "Pulse"]
    assert table.feature_names == ["Chins", "Situps", "Jumps"]


def test_load_builtin_unknown() -> None:
    assert "california" not in BUILTIN_DATASETS
    with pytest.raises(ValueError, match=r"unknown built-in data set 'california'.*diabetes"):
        load_builtin("california")


def test_non_numeric_type_labels() -> None:
    df = pd.DataFrame(
        {
            "cat": pd.Categorical(["u", "v"]),
            "when": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "y": [1.0, 2.0],
        }
    )
    with pytest.raises(ValueError, match=r"non-numeric feature column\(s\) 'when' \(datetime\)"):
        table_from_frame(df, "y")
    table = table_from_frame(df, "y", features=["cat"])
    assert table.feature_names == ["cat=u", "cat=v"]
    with pytest.raises(ValueError, match=r"'cat' \(categorical\)"):
        table_from_frame(df, "y", features=["cat"], one_hot=False)


# --------------------------------------------------------------------------- one-hot, impute


def test_impute_mean_numeric_and_notes(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,b,y\n1,,1\n,4,2\n3,8,3\n5,NA,4\n")
    with pytest.raises(ValueError, match=r"'a' \(1 row\), 'b' \(2 rows\); drop those rows "
                                         r"\(missing features can instead be imputed"):
        read_table(path, target="y")
    table = read_table(path, target="y", impute="mean")
    np.testing.assert_array_equal(table.X, [[1, 6], [3, 4], [3, 8], [5, 6]])
    assert table.encoding.fill == {"a": 3.0, "b": 6.0}
    assert table.notes == ("1 missing value in column 'a' replaced by its mean 3",
                           "2 missing values in column 'b' replaced by its mean 6")


def test_impute_never_fills_targets_or_infinity(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,y\n1,1\n2,\n3,3\n")
    with pytest.raises(ValueError, match=r"missing values in target column\(s\) 'y' \(1 row\)"):
        read_table(path, target="y", impute="mean")
    path = _write_csv(tmp_path / "e.csv", "a,y\ninf,1\n2,2\n-inf,3\n")
    with pytest.raises(ValueError, match=r"infinite values in .*'a' \(2 rows\)"):
        read_table(path, target="y", impute="mean")
    path = _write_csv(tmp_path / "f.csv", "a,e,y\n1,,1\n2,,2\n")
    with pytest.raises(ValueError, match=r"'e' of .* have no values at all"):
        read_table(path, target="y", impute="mean")
    with pytest.raises(ValueError, match="impute must be None or one of"):
        read_table(path, target="y", impute="median")


def test_labels_keep_their_type(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "d.csv", "a,k,b\n1,3,true\n2,5,false\n")
    assert read_table(path, target="k", labels=True).y.dtype == np.int64
    table = read_table(path, target="b", labels=True)
    assert table.y.dtype == bool and table.y.tolist() == [True, False]
    path = _write_csv(tmp_path / "m.csv", "a,c\n1,x\n2,\n")
    with pytest.raises(ValueError, match=r"column\(s\) 'c' \(1 row\); drop those rows"):
        read_table(path, target="c", labels=True)
    with pytest.raises(ValueError, match=r"missing values in target column\(s\) 'c' \(1 row\)"):
        read_table(path, target="c", labels=True, impute="mean")


def _fit_table(tmp_path: Path, impute: str | None = None) -> Table:
    path = _write_csv(tmp_path / "fit.csv",
                      "a,city,y\n1,rome,1\n2,paris,2\n3,rome,3\n6,oslo,4\n")
    return read_table(path, target="y", impute=impute)


def test_read_features_reuses_the_fit_encoding(tmp_path: Path) -> None:
    table = _fit_table(tmp_path)
    # other column order, an extra column, a subset of the categories, no target
    path = _write_csv(tmp_path / "new.csv", "extra,city,a\n0,rome,10\n0,rome,20\n")
    new = read_features(path, table.encoding)
    assert new.feature_names == table.feature_names == ["a", "city=oslo", "city=paris",
                                                        "city=rome"]
    np.testing.assert_array_equal(new.X, [[10, 0, 0, 1], [20, 0, 0, 1]])
    assert new.y.shape == (2, 0)


def test_read_features_refuses_what_was_not_seen(tmp_path: Path) -> None:
    enc = _fit_table(tmp_path).encoding
    path = _write_csv(tmp_path / "u.csv", "a,city\n1,tokyo\n2,rome\n3,tokyo\n")
    with pytest.raises(ValueError, match=r"column 'city' .* has category 'tokyo' \(2 rows\) not "
                                         r"seen when the model was fit; known: oslo, paris, rome"):
        read_features(path, enc)
    path = _write_csv(tmp_path / "m.csv", "city\nrome\n")
    with pytest.raises(ValueError, match=r"feature column\(s\) 'a' not found"):
        read_features(path, enc)
    path = _write_csv(tmp_path / "t.csv", "a,city\nx,rome\n")
    with pytest.raises(ValueError, match=r"feature column 'a' .* is string but was numeric"):
        read_features(path, enc)
    path = _write_csv(tmp_path / "n.csv", "a,city\n,rome\n")
    with pytest.raises(ValueError, match=r"'a' \(1 row\)"):
        read_features(path, enc)


def test_read_features_imputes_with_the_training_means(tmp_path: Path) -> None:
    enc = _fit_table(tmp_path, impute="mean").encoding
    assert enc.fill["a"] == pytest.approx(3.0)
    assert enc.fill["city=rome"] == pytest.approx(0.5)
    path = _write_csv(tmp_path / "n.csv", "a,city\n,rome\n7,\n")
    new = read_features(path, enc)
    np.testing.assert_allclose(new.X, [[3, 0, 0, 1], [7, 0.25, 0.25, 0.5]])
    assert len(new.notes) == 2


def test_encoding_json_round_trip_and_tampering(tmp_path: Path) -> None:
    enc = _fit_table(tmp_path, impute="mean").encoding
    back = FeatureEncoding.from_json(enc.to_json())
    assert back.feature_names == enc.feature_names and back.fill == enc.fill
    assert back.categories == enc.categories
    bad = enc.to_json()
    bad["fill"]["a"] = "os.system('x')"
    with pytest.raises(ValueError, match="'fill' must give a finite number"):
        FeatureEncoding.from_json(bad)
    for broken in ({"columns": "a"}, {"columns": ["a", "a"]}, [1],
                   {"columns": ["a"], "categories": {"zz": ["x"]}}):
        with pytest.raises(ValueError, match="invalid feature encoding"):
            FeatureEncoding.from_json(broken)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".feather"])
def test_write_table_round_trip_is_atomic(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"p{suffix}"
    cols = {"a": np.array([1.5, -2.0]), "label": np.array(["x", "y"]), "y": np.array([0.0, 1.0])}
    assert write_table(out, cols) == out
    back = read_table(out, target="y", features=["a"])
    np.testing.assert_array_equal(back.X[:, 0], cols["a"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    with pytest.raises(ValueError, match="unsupported output extension"):
        write_table(tmp_path / "p.xlsx", cols)
    with pytest.raises(ValueError, match="different lengths"):
        write_table(out, {"a": np.zeros(2), "b": np.zeros(3)})
