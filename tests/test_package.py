"""The package's public API resolves, and the command's imports start no jsii runtime."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["omics_secure", "omics_secure.compliance", "omics_secure.verify",
                                     "omics_secure.reporting"])
def test_every_export_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    with pytest.raises(AttributeError, match="has no attribute 'NotAnExport'"):
        module.NotAnExport  # noqa: B018


@pytest.mark.slow
def test_the_command_imports_trestle_only_for_oscal():
    # trestle's OSCAL models take seconds to import; only report --format oscal may pay for them.
    probe = ("import sys, omics_secure.cli, omics_secure.reporting.oscal, omics_secure.compliance.components; "
             "print('trestle' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


@pytest.mark.slow
def test_the_command_does_not_import_aws_cdk():
    probe = "import sys, omics_secure.cli; print('aws_cdk' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
