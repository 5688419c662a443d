"""Start-up cost: what ``import ridgeline`` and ``ridgeline --help`` import (issue 19).

Each check runs in a fresh interpreter (a subprocess), since this test session has long
imported everything. Timings are in ``benchmarks/bench_startup.py``, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import ridgeline
import ridgeline.estimators
import ridgeline.io
import ridgeline.report
import ridgeline.stats
from ridgeline._lazy import attach

NUMERIC = ("numpy", "scipy", "sklearn", "numba", "pandas", "pyarrow", "matplotlib")
OPTIONAL = ("dask", "torch", "cupy", "polars")


def _loaded_after(code: str, watch: tuple[str, ...]) -> list[str]:
    """The modules of ``watch`` (or their submodules) in sys.modules after running ``code``
    in a fresh interpreter."""
    report = textwrap.dedent(f"""
        watch = {list(watch)!r}
        print("\\n" + json.dumps(sorted(w for w in watch
                                       if any(m == w or m.startswith(w + ".")
                                              for m in sys.modules))))
    """)
    probe = "import json, sys\n" + textwrap.dedent(code) + "\n" + report
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_ridgeline_imports_no_numerics_and_no_optional_library():
    heavy = (*NUMERIC, *OPTIONAL, "sklearn.model_selection", "ridgeline.estimators",
             "ridgeline.compare", "ridgeline.report", "ridgeline.plot", "ridgeline.cli")
    assert _loaded_after("import ridgeline", heavy) == []


def test_an_estimator_import_leaves_out_the_report_plots_and_optional_libraries():
    heavy = ("matplotlib", *OPTIONAL, "ridgeline.report", "ridgeline.plot", "ridgeline.compare",
             "ridgeline.cli", "ridgeline.diagnostics")
    assert _loaded_after("from ridgeline import RidgeCV", heavy) == []


_RUN_CLI = """
import contextlib, io
sys.argv = ["ridgeline", {args}]
from ridgeline.cli import main
buf, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
    try:
        main()
    except SystemExit as exc:
        code = exc.code
assert code == {code}, (code, buf.getvalue(), err.getvalue())
assert {must!r} in buf.getvalue() + err.getvalue(), buf.getvalue() + err.getvalue()
"""


@pytest.mark.parametrize(("args", "code", "must"), [
    ('"--help"', 0, "Usage: ridgeline"),
    ('"fit", "--help"', 0, "--dropna"),
    ('"report", "--help"', 0, "--bv-rounds"),
    ('"predict", "--help"', 0, "--output"),
    ('"fit", "--model", "nope"', 2, "--model must be one of ridge, logistic"),
])
def test_parsing_the_command_line_imports_no_numerics(args, code, must):
    script = _RUN_CLI.format(args=args, code=code, must=must)
    assert _loaded_after(script, NUMERIC) == []


def test_help_shows_no_type_for_flags():
    from typer.testing import CliRunner

    from ridgeline.cli import app

    runner = CliRunner()
    for args in (["--help"], ["fit", "--help"], ["report", "--help"], ["demo", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert "<bool>" not in res.output, args
    res = runner.invoke(app, ["fit", "--help"])
    assert "<str>" in res.output and "<int>" in res.output  # options with values keep them


@pytest.mark.parametrize("package", [ridgeline, ridgeline.estimators, ridgeline.io,
                                     ridgeline.report, ridgeline.stats])
def test_every_public_name_loads_and_is_listed(package):
    names = {}
    exec(f"from {package.__name__} import *", names)
    assert set(package.__all__) <= set(names)
    assert set(package.__all__) <= set(dir(package))
    for name in package.__all__:
        value = getattr(package, name)
        home = getattr(value, "__module__", None)
        if home and home.startswith("ridgeline.") and not isinstance(value, type(ridgeline)):
            assert getattr(sys.modules[home], name, value) is value, name
    with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute "
                                             "'no_such_name'"):
        package.no_such_name


def test_public_names_are_the_objects_of_their_modules():
    from ridgeline.estimators.ridge_cv import RidgeCV
    from ridgeline.io.tables import read_table
    from ridgeline.stats.files import read_csv

    assert ridgeline.RidgeCV is RidgeCV and ridgeline.read_csv is read_csv
    assert ridgeline.io.read_table is read_table
    assert ridgeline.conventions.__name__ == "ridgeline.conventions"
    assert ridgeline.__version__ == "0.1.0"


def test_a_submodule_is_reachable_as_an_attribute_of_its_package():
    import ridgeline.stats.folds as folds

    assert ridgeline.stats.folds is folds


def test_a_name_declared_twice_is_refused():
    with pytest.raises(ValueError, match=r"'Ridge' is declared in a\.b and a\.c"):
        attach("a", {"a.b": ["Ridge"], "a.c": ["Ridge"]})


def test_the_command_line_choices_equal_the_library_ones():
    from ridgeline.cli import _options
    from ridgeline.io import BUILTIN_DATASETS, IMPUTE_CHOICES
    from ridgeline.report.fitting import MODELS

    assert _options.MODELS == MODELS
    assert _options.BUILTIN_DATASETS == BUILTIN_DATASETS
    assert _options.IMPUTE_CHOICES == IMPUTE_CHOICES
