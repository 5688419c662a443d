"""Issue 18, tables: schema drift across the parts of a Parquet directory, and numeric columns
with a few stray text values (refused with the values and their rows unless asked for as text).

Every case asserts the error type and the words that name the problem (the part files and the
column; the column, the values and the data rows), or the exact table read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ridgeline.cli import app
from ridgeline.io.tables import read_features, read_table, table_from_frame

runner = CliRunner()


def _words(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- Parquet parts


def _parts(directory: Path, *tables: pa.Table) -> Path:
    directory.mkdir()
    for i, t in enumerate(tables):
        pq.write_table(t, directory / f"part-{i}.parquet")
    return directory


_BASE = pa.table({"a": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 4.0]})


@pytest.mark.parametrize("parts,words", [
    ((_BASE, _BASE.append_column("z", pa.array([1.0, 2.0, 3.0])), _BASE),
     "column 'z' is in part-1.parquet but not in part-0.parquet"),
    ((_BASE, _BASE, _BASE.append_column("extra", pa.array(["u", "v", "w"]))),
     "column 'extra' is in part-2.parquet but not in part-0.parquet"),
    ((_BASE, _BASE.drop_columns(["a"])),
     "column 'a' is in part-0.parquet but not in part-1.parquet"),
    ((_BASE, _BASE.set_column(0, "a", pa.array(["1", "2", "3"]))),
     "column 'a' is double in part-0.parquet but string in part-1.parquet"),
    ((_BASE, _BASE.set_column(1, "y", pa.array([1, 2, 3], pa.int64()))),
     "column 'y' is double in part-0.parquet but int64 in part-1.parquet"),
], ids=["adds-column", "third-adds", "lacks-column", "type-changed", "target-type-changed"])
def test_parquet_parts_with_another_schema_are_refused_naming_part_and_column(tmp_path, parts,
                                                                              words):
    directory = _parts(tmp_path / "parts", *parts)
    with pytest.raises(ValueError) as err:
        read_table(directory, target="y")
    assert str(err.value).startswith(f"the parts of the Parquet directory {directory} differ")
    assert words in str(err.value)


def test_parquet_parts_with_the_same_columns_in_another_order_are_read(tmp_path):
    directory = _parts(tmp_path / "parts", _BASE, _BASE.select(["y", "a"]))
    table = read_table(directory, target="y")
    np.testing.assert_array_equal(table.X[:, 0], [1, 2, 3, 1, 2, 3])


def test_parquet_part_with_an_all_null_column_matches_any_type(tmp_path):
    nulls = _BASE.set_column(0, "a", pa.array([None, None, None], pa.null()))
    directory = _parts(tmp_path / "parts", _BASE, nulls)
    with pytest.raises(ValueError, match=r"column\(s\) 'a' \(3 rows\)"):  # missing, not drift
        read_table(directory, target="y")
    table = read_table(directory, target="y", impute="mean")
    np.testing.assert_array_equal(table.X[:, 0], [1, 2, 3, 2, 2, 2])


def test_cli_refuses_parquet_drift(tmp_path):
    directory = _parts(tmp_path / "parts", _BASE, _BASE.append_column("z", pa.array([0.0] * 3)))
    res = runner.invoke(app, ["fit", str(directory), "--target", "y", "-q"])
    assert res.exit_code == 2
    assert "column 'z' is in part-1.parquet but not in part-0.parquet" in _words(res.stderr)


# --------------------------------------------------------------------------- stray text


def _numbers(n: int, stray: dict[int, str]) -> list[str]:
    return [stray.get(i, str(float(i % 7))) for i in range(n)]


def _text_csv(path: Path, b: list[str], sep: str = ",") -> Path:
    n = len(b)
    lines = [sep.join(["a", "b", "y"])] + [sep.join([str(i), b[i], str(2.0 * i)])
                                          for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name,b,words", [
    ("one.csv", _numbers(20, {1: "abc"}), "'abc' (data row 2)"),
    ("last.csv", _numbers(20, {19: "abc"}), "'abc' (data row 20)"),
    ("two.csv", _numbers(25, {3: "x", 8: "x"}), "'x' (data rows 4, 9)"),
    ("kinds.csv", _numbers(30, {2: "n.a.", 10: "?"}), "'n.a.', '?' (data rows 3, 11)"),
    ("many.csv", _numbers(100, {i: "bad" for i in range(0, 70, 10)}),
     "'bad' (data rows 1, 11, 21, 31, 41, ... (7 rows))"),
    ("tab.tsv", _numbers(20, {5: "oops"}), "'oops' (data row 6)"),
    ("semi.txt", _numbers(20, {0: "12 kg"}), "'12 kg' (data row 1)"),
], ids=["one", "last-row", "repeated", "two-values", "seven-rows", "tsv", "txt"])
def test_a_numeric_column_with_stray_text_is_refused_with_values_and_rows(tmp_path, name, b,
                                                                         words):
    sep = {"tsv": "\t", "txt": ";"}.get(name.rsplit(".", 1)[1], ",")
    path = _text_csv(tmp_path / name, b, sep)
    with pytest.raises(ValueError) as err:
        read_table(path, target="y")
    msg = str(err.value)
    assert msg.startswith(f"column 'b' of {path} holds numbers except for {words}")
    assert "rows are data rows counted from 1" in msg
    assert "text_columns=['b']" in msg and "--text-column b" in msg


def test_rows_are_those_of_the_file_even_when_dropna_drops_rows_before(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,1,\n2,2,\n3,3,1\n4,zz,2\n5,5,3\n6,6,4\n")
    with pytest.raises(ValueError, match=r"except for 'zz' \(data row 4\)"):
        read_table(path, target="y", dropna=True)


@pytest.mark.parametrize("b,categories", [
    (["x", "y", "x", "z", "y"], ("x", "y", "z")),                 # text
    (["1", "2", "x", "y", "x", "y"], ("1", "2", "x", "y")),       # half numbers: text
    (["1", "x", "y", "x", "y"], ("1", "x", "y")),                 # one number: text
    (["1", "2", "3", "4", "a", "b"], ("1", "2", "3", "4", "a", "b")),  # 2 of 6 are text: text
], ids=["all-text", "half", "one-number", "a-third"])
def test_text_columns_that_are_not_mostly_numbers_are_one_hot_encoded(tmp_path, b, categories):
    path = _text_csv(tmp_path / "d.csv", b)
    table = read_table(path, target="y")
    assert table.encoding.categories == {"b": categories}
    assert any(note.startswith("text column 'b' one-hot encoded") for note in table.notes)


def test_text_columns_asks_for_a_stray_column_as_text(tmp_path):
    path = _text_csv(tmp_path / "d.csv", ["1", "2", "abc", "2", "1"])
    table = read_table(path, target="y", text_columns=["b"])
    assert table.feature_names == ["a", "b=1", "b=2", "b=abc"]
    np.testing.assert_array_equal(table.X[:, 1:], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0],
                                                   [1, 0, 0]])
    again = read_features(path, table.encoding)  # prediction reads it the same way
    np.testing.assert_array_equal(again.X, table.X)


@pytest.mark.parametrize("text_columns", ["a", ["a"], ("a",)], ids=["str", "list", "tuple"])
def test_text_columns_one_hot_encodes_a_numeric_column(tmp_path, text_columns):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n2139,1\n2140,2\n2139,3\n")
    table = read_table(path, target="y", text_columns=text_columns)
    assert table.feature_names == ["a=2139", "a=2140"]
    np.testing.assert_array_equal(table.X, [[1, 0], [0, 1], [1, 0]])


@pytest.mark.parametrize("kwargs,words", [
    ({"text_columns": ["zz"]}, "text_columns names 'zz', not a feature column of"),
    ({"text_columns": ["y"]}, "text_columns names 'y', not a feature column of"),
    ({"text_columns": ["b"], "one_hot": False}, "one_hot=False refuses them"),
    ({"text_columns": [3]}, "text_columns must be a column name or a list of names, got [3]"),
], ids=["unknown", "the-target", "one-hot-off", "not-a-name"])
def test_text_columns_is_checked(tmp_path, kwargs, words):
    path = _text_csv(tmp_path / "d.csv", ["1", "2", "3", "4"])
    with pytest.raises(ValueError) as err:
        read_table(path, target="y", **kwargs)
    assert words in str(err.value)


def test_prediction_names_the_values_of_a_numeric_feature_that_are_not_numbers(tmp_path):
    fit = read_table(_text_csv(tmp_path / "fit.csv", ["1", "2", "3", "4"]), target="y")
    new = tmp_path / "new.csv"
    new.write_text("a,b\n1,2\n2,two\n3,4\n")
    with pytest.raises(ValueError, match=r"feature column 'b' of .*new\.csv is string but was "
                                         r"numeric when the model was fit: its values 'two' "
                                         r"\(data row 2\) are not numbers"):
        read_features(new, fit.encoding)


def test_a_regression_target_with_stray_text_is_refused_with_values_and_rows(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,3\n2,4\n3,oops\n4,7\n5,8\n")
    with pytest.raises(ValueError, match=r"^target column 'y' of .* holds numbers except for "
                                         r"'oops' \(data row 3\)"):
        read_table(path, target="y")
    assert read_table(path, target="y", labels=True).y[2] == "oops"  # class labels: any text


def test_pandas_and_polars_columns_with_stray_text_are_refused():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1, 2, "x", 4], "y": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match=r"column 'b' of <pandas\.DataFrame> holds numbers "
                                         r"except for 'x' \(data row 3\)"):
        table_from_frame(df, "y")
    assert table_from_frame(df, "y", text_columns="b").feature_names == \
        ["a", "b=1", "b=2", "b=4", "b=x"]
    pdf = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["1.5", "2.5", "n/a!"], "y": [1.0, 2, 3]})
    with pytest.raises(ValueError, match=r"'n/a!' \(data row 3\)"):
        table_from_frame(pdf, "y")


def test_a_pandas_categorical_column_is_text_by_declaration():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": pd.Categorical(["1", "2", "x"]),
                       "y": [1.0, 2.0, 3.0]})
    assert table_from_frame(df, "y").feature_names == ["a", "b=1", "b=2", "b=x"]


def test_cli_refuses_stray_text_and_takes_text_column(tmp_path):
    path = _text_csv(tmp_path / "d.csv", _numbers(12, {4: "abc"}))
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--cv", "3", "-q"])
    assert res.exit_code == 2
    assert "column 'b' of" in _words(res.stderr)
    assert re.search(r"'abc' \(data row 5\).*--text-column b", _words(res.stderr))
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--cv", "3", "--json",
                              "--text-column", "b"])
    assert res.exit_code == 0, res.output
    assert "b=abc" in res.stdout
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--text-column", "nope", "-q"])
    assert res.exit_code == 2
    assert "text_columns names 'nope', not a feature column" in _words(res.stderr)
