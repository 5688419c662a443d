"""scikit-learn conformance suite: its installed test files, run on ridgeline (issue 17).

A package so that this directory's ``conftest`` and helpers import as ``conformance.*``
and never shadow ``tests/conftest.py`` (imported by the other tests as ``conftest``).
"""
