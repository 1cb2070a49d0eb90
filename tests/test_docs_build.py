"""docs/build_api.py: which pdoc warnings fail make docs."""

from __future__ import annotations

import importlib.util
import sys

from tests.harness import REPOSITORY


def _build_api():
    spec = importlib.util.spec_from_file_location("build_api", REPOSITORY / "docs" / "build_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_api", module)
    spec.loader.exec_module(module)
    return module


def _annotation_warning(member: str) -> str:
    return (f"Error parsing type annotation '_aws_kms_18db7412.KeyReference' for {member}. "
            "Import of _aws_kms_18db7412 failed: name '_aws_kms_18db7412' is not defined")


def test_a_warning_about_a_member_inherited_from_aws_cdk_lib_is_not_a_problem():
    assert _build_api()._about_an_unrendered_inherited_member(_annotation_warning("omics_secure.PhiKey.key_ref"))


def test_a_warning_about_our_own_member_or_any_other_warning_stays_a_problem():
    build_api = _build_api()
    assert not build_api._about_an_unrendered_inherited_member(
        _annotation_warning("omics_secure.PhiKey.enable_services"))
    assert not build_api._about_an_unrendered_inherited_member(
        _annotation_warning("omics_secure.NoSuchThing.key_ref"))
    assert not build_api._about_an_unrendered_inherited_member("Cannot parse docstring of omics_secure.PhiKey")
