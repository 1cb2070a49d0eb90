"""Condition operators, from the IAM reference's pages on operators, multivalued keys and policy variables."""

from __future__ import annotations

import pytest

from omics_secure.policy.conditions import Condition, Context, holds
from omics_secure.policy.matching import Tri, arn_match, glob, hole

OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTI = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
         "reference_policies_condition-single-vs-multi-valued-context-keys.html")

CASES = [
    # (page, operator, key, policy values, request context, expected)
    (OPERATORS, "StringEquals", "aws:PrincipalTag/job-category", ["iamuser-admin"],
     {"aws:PrincipalTag/job-category": "iamuser-admin"}, True),
    (OPERATORS, "StringEquals", "aws:PrincipalTag/job-category", ["iamuser-admin"], {}, False),
    (OPERATORS, "StringNotEquals", "aws:PrincipalTag/job-category", ["iamuser-admin"], {}, True),
    (OPERATORS, "StringEqualsIgnoreCase", "aws:PrincipalTag/team", ["Genomics"],
     {"aws:PrincipalTag/team": "GENOMICS"}, True),
    (OPERATORS, "StringLike", "s3:prefix", ["home/${aws:username}/*"],
     {"s3:prefix": "home/carlos/x", "aws:username": "carlos"}, True),
    (OPERATORS, "StringLike", "s3:prefix", ["home/${aws:username}/*"], {"s3:prefix": "home/carlos/x"}, False),
    (OPERATORS, "StringNotLike", "s3:prefix", ["raw/*"], {"s3:prefix": "results/x"}, True),
    (OPERATORS, "NumericLessThanEquals", "s3:max-keys", ["10"], {"s3:max-keys": "10"}, True),
    (OPERATORS, "NumericLessThan", "s3:TlsVersion", ["1.2"], {"s3:TlsVersion": "1.1"}, True),
    (OPERATORS, "NumericLessThan", "s3:TlsVersion", ["1.2"], {"s3:TlsVersion": "1.3"}, False),
    (OPERATORS, "DateLessThan", "aws:CurrentTime", ["2030-06-30T00:00:00Z"],
     {"aws:CurrentTime": "2029-01-01T00:00:00Z"}, True),
    (OPERATORS, "DateGreaterThan", "aws:TokenIssueTime", ["2020-01-01T00:00:01Z"],
     {"aws:TokenIssueTime": "1577836800"}, False),
    (OPERATORS, "Bool", "aws:SecureTransport", ["true"], {"aws:SecureTransport": "true"}, True),
    (OPERATORS, "Bool", "aws:MultiFactorAuthPresent", ["true"], {}, False),
    (OPERATORS, "BoolIfExists", "aws:MultiFactorAuthPresent", ["false"], {}, True),
    (OPERATORS, "BinaryEquals", "key", ["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True),
    (OPERATORS, "IpAddress", "aws:SourceIp", ["203.0.113.0/24"], {"aws:SourceIp": "203.0.113.7"}, True),
    (OPERATORS, "NotIpAddress", "aws:SourceIp", ["203.0.113.0/24"], {"aws:SourceIp": "198.51.100.1"}, True),
    (OPERATORS, "IpAddress", "aws:SourceIp", ["2001:DB8:1234:5678::/64"],
     {"aws:SourceIp": "2001:db8:1234:5678::1"}, True),
    (OPERATORS, "ArnLike", "aws:SourceArn", ["arn:aws:sns:*:123456789012:TOPIC-ID"],
     {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:TOPIC-ID"}, True),
    (OPERATORS, "ArnEquals", "aws:SourceArn", ["arn:aws:sns:*:123456789012:TOPIC-ID"],
     {"aws:SourceArn": "arn:aws:sns:us-east-1:111111111111:TOPIC-ID"}, False),
    (OPERATORS, "ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/AWSReservedSSO_*"],
     {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/analyst"}, True),
    (OPERATORS, "Null", "aws:TokenIssueTime", ["true"], {}, True),
    (OPERATORS, "Null", "aws:TokenIssueTime", ["false"], {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}, True),
    (OPERATORS, "StringEqualsIfExists", "ec2:InstanceType", ["t1.*"], {}, True),
    (MULTI, "ForAllValues:StringEquals", "aws:TagKeys", ["environment", "cost-center"],
     {"aws:TagKeys": ["environment"]}, True),
    (MULTI, "ForAllValues:StringEquals", "aws:TagKeys", ["environment", "cost-center"],
     {"aws:TagKeys": ["environment", "owner"]}, False),
    (MULTI, "ForAllValues:StringEquals", "aws:TagKeys", ["environment"], {}, True),
    (MULTI, "ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], {}, False),
    (MULTI, "ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], {"aws:TagKeys": ["owner", "environment"]},
     True),
    (MULTI, "ForAllValues:StringNotEquals", "aws:TagKeys", ["owner"], {"aws:TagKeys": ["a", "b"]}, True),
    (MULTI, "ForAnyValue:StringNotEquals", "aws:TagKeys", ["owner"], {"aws:TagKeys": ["owner"]}, False),
]


@pytest.mark.parametrize(("page", "operator", "key", "values", "context", "expected"), CASES,
                         ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_operator_cases(page, operator, key, values, context, expected):
    assert holds(Condition(operator, key, tuple(values)), Context.of(context)) is Tri.of(expected), page


def test_a_partial_request_leaves_what_it_does_not_know():
    partial = Context.of({"kms:CallerAccount": None}, complete=False, present=frozenset({"aws:SecureTransport"}))
    assert holds(Condition("Bool", "aws:SecureTransport", ("true",)), partial) is Tri.MAYBE
    assert holds(Condition("StringLike", "aws:SecureTransport", ("*",)), partial) is Tri.TRUE
    assert holds(Condition("StringEquals", "aws:PrincipalOrgID", ("o-1",)), partial) is Tri.MAYBE
    assert holds(Condition("StringLike", "aws:PrincipalOrgID", ("*",)), partial) is Tri.MAYBE  # may be absent
    assert holds(Condition("StringLikeIfExists", "aws:PrincipalOrgID", ("*",)), partial) is Tri.TRUE
    assert holds(Condition("StringEquals", "kms:CallerAccount", ("1",)), partial) is Tri.FALSE


def test_holes_answer_maybe_unless_the_literals_decide():
    generated = "arn:aws:s3:::stack-phidata-" + hole("generated")
    assert glob("arn:aws:s3:::*", generated) is Tri.TRUE
    assert glob("arn:aws:s3:::stack-phi*", generated) is Tri.TRUE
    assert glob("arn:aws:s3:::stack-phidata-abc", generated) is Tri.MAYBE
    assert glob("arn:aws:s3:::other-*", generated) is Tri.FALSE
    assert glob(generated + "/*", generated + "/x") is Tri.TRUE
    assert glob("arn:aws:s3:::" + hole("BucketName") + "/*", "arn:aws:s3:::data/x") is Tri.MAYBE
    assert glob("arn:aws:s3:::" + hole("BucketName"), "arn:aws:s3:::data/x") is Tri.MAYBE
    assert glob("arn:aws:s3:::" + hole("BucketName") + "/*", "arn:aws:kms:::data/x") is Tri.FALSE
    assert arn_match("arn:aws:iam::*:role/x", "arn:aws:iam::" + hole("AWS::AccountId") + ":role/x") is Tri.TRUE


@pytest.mark.slow
def test_hole_answers_are_sound_for_every_filling():
    """TRUE holds whatever the holes hold, FALSE for none of the fillings tried; MAYBE is always allowed."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from omics_secure.policy.matching import wildcard_match

    holes = [hole("A"), hole("B")]
    pattern_parts = st.lists(st.sampled_from(["a", "b", ":", "/", "*", "?", *holes]), max_size=6)
    value_parts = st.lists(st.sampled_from(["a", "b", ":", "/", *holes]), max_size=6)
    fillings = st.fixed_dictionaries({h: st.text(alphabet="ab:/", max_size=3) for h in holes})

    @settings(max_examples=300, deadline=None)
    @given(pattern_parts, value_parts, st.lists(fillings, min_size=1, max_size=4))
    def check(pattern: list[str], value: list[str], filled: list[dict[str, str]]) -> None:
        answer = glob("".join(pattern), "".join(value))
        for filling in filled:
            # The same hole on both sides stands for the same value (fillings hold no wildcard characters).
            concrete_pattern = "".join(filling.get(p, p) for p in pattern)
            concrete_value = "".join(filling.get(v, v) for v in value)
            matched = wildcard_match(concrete_pattern, concrete_value)
            if answer is Tri.TRUE:
                assert matched, (pattern, value, filling)
            if answer is Tri.FALSE:
                assert not matched, (pattern, value, filling)

    check()
