"""Validation of the free-text fields AWS services show unencrypted: names, descriptions, prefixes and tags.

Every free-text prop that reaches resource metadata goes through :func:`check_label` or :func:`check_tags`,
which apply the one PHI screen (:func:`omics_secure._internal.naming.phi_like`, or for names
:func:`omics_secure._internal.naming.phi_like_name`) and the length and character rules CloudFormation
enforces for the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like, phi_like_name
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG

# The Tag type every AWS resource schema shares (e.g. AWS::S3::Bucket Tag, AWS::KMS::Key Tag): keys of 1 to
# 128 characters that do not start with 'aws:', values of up to 256, both of Unicode letters, digits,
# white space and _ . : / = + - @. tests/test_cfn_constraints.py holds these against cfn-lint's schemas.
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
RESERVED_TAG_PREFIX = "aws:"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def check_label(problems: ProblemCollector, prop: str, value: str | None, maximum: int, *,
                name: bool = False) -> None:
    """A name, description or prefix: 1 to ``maximum`` characters and nothing that looks like PHI (with
    ``name``, by the stricter screen of names)."""
    if value is None or not isinstance(value, str) or is_unresolved(value):
        return
    if not value.strip() or len(value) > maximum:
        problems.add(prop, value, f"use 1 to {maximum} characters (received {len(value)})")
    check_phi(problems, prop, value, name=name)


def check_phi(problems: ProblemCollector, prop: str, value: str | None, *, name: bool = False) -> None:
    """Refuse text that looks like PHI (e-mail address, SSN, phone or medical record number); with ``name``, a
    resource name, also record words with digits and long digit runs (:func:`phi_like_name`)."""
    if value is None or not isinstance(value, str) or is_unresolved(value):
        return
    kind = phi_like_name(value) if name else phi_like(value)
    if kind is not None:
        problems.add(prop, value, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")


def check_tags(problems: ProblemCollector, tags: Mapping[str, str] | None, prop: str = "tags") -> None:
    """Tag keys and values: PHI screen, CloudFormation's tag rules, and the data-classification tag."""
    for tag_key, tag_value in (tags or {}).items():
        name = f"{prop}[{tag_key!r}]"
        if tag_key == DATA_CLASSIFICATION_TAG:
            problems.add(name, tag_value, "this tag is set by the construct; remove it")
        if not is_unresolved(tag_key):
            if not 1 <= len(tag_key) <= TAG_KEY_MAX or not _tag_text(tag_key):
                problems.add(name, tag_key, f"tag keys are 1 to {TAG_KEY_MAX} letters, digits, spaces and "
                                            "_ . : / = + - @")
            elif tag_key.lower().startswith(RESERVED_TAG_PREFIX):
                problems.add(name, tag_key, "the 'aws:' prefix is reserved for AWS's own tags; choose another key")
        if not is_unresolved(tag_value) and (len(tag_value) > TAG_VALUE_MAX or not _tag_text(tag_value)):
            problems.add(name, tag_value, f"tag values are up to {TAG_VALUE_MAX} letters, digits, spaces and "
                                          "_ . : / = + - @")
        for value in (tag_key, tag_value):
            kind = None if is_unresolved(value) else phi_like(str(value))
            if kind is not None:
                problems.add(name, tag_value, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")
                break


def check_prefix(problems: ProblemCollector, prop: str, value: str | None, maximum: int = 1024,
                 example: str = "runs/") -> None:
    """An S3 key prefix: '' or relative, ending in '/', no wildcards, nothing that looks like PHI."""
    if value is None or not isinstance(value, str) or is_unresolved(value):
        return
    if "*" in value or value.startswith("/") or (value and not value.endswith("/")) or len(value) > maximum:
        problems.add(prop, value, f"use '' or a relative key prefix ending in '/', up to {maximum} characters, "
                                  f"without wildcards, e.g. {example!r}")
    check_phi(problems, prop, value)


def check_object_pattern(problems: ProblemCollector, prop: str, value: str) -> None:
    """An S3 object-key pattern of a grant ('runs/*', '*'): not empty, relative, nothing that looks like PHI."""
    if not isinstance(value, str) or is_unresolved(value):
        return
    if not value or value.startswith("/") or len(value) > 1024:
        problems.add(prop, value, "pass an object-key pattern such as 'cohort-a/*', or '*' for the whole bucket")
    check_phi(problems, prop, value)


# AWS::IAM::Role RoleName (CloudFormation resource schema): 1 to 64 of letters, digits and + = , . @ _ -.
ROLE_NAME_MAX = 64
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def check_role_name(problems: ProblemCollector, prop: str, value: str | None) -> None:
    """An IAM role name: IAM's characters and length, and nothing that looks like PHI."""
    if value is None or not isinstance(value, str) or is_unresolved(value):
        return
    if not _ROLE_NAME.fullmatch(value):
        problems.add(prop, value, f"use 1 to {ROLE_NAME_MAX} letters, digits and + = , . @ _ - (IAM role names), "
                                  "e.g. 'genomics-run-role'")
    check_phi(problems, prop, value)


def _tag_text(value: str) -> bool:
    return all(c.isalnum() or c.isspace() or c in _TAG_PUNCTUATION for c in value)
