"""The test suite. ``REPOSITORY`` is here so that conftest can name it without importing the harness."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
