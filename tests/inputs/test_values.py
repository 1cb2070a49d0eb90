"""The value-resolution layer on its own: what each intrinsic resolves to, branch exploration, showing values."""

from __future__ import annotations

import pytest

from omics_secure.inputs.values import (
    CannotJudge,
    Resolution,
    TemplateValues,
    Text,
    Unknown,
    describe_branch,
    explore,
    field,
    flag,
    items,
    literal_text,
    mapping,
    number,
    show,
    text,
)

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "dev"}, "Free": {"Type": "String"},
                   "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Default": "subnet-1, subnet-2"},
                   "Size": {"Type": "Number", "Default": 30}, "On": {"Type": "String", "Default": True}},
    "Mappings": {"Sizes": {"dev": {"Disk": 100}}},
    "Conditions": {"IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
                   "Open": {"Fn::Equals": [{"Ref": "Free"}, "yes"]},
                   "Cycle": {"Condition": "Cycle"}},
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
}


def resolve(value, overrides=None, assignment=None):
    return Resolution(TemplateValues(TEMPLATE, overrides), dict(assignment or {})).resolve(value)


@pytest.mark.parametrize(("value", "resolved"), [
    ({"Ref": "Env"}, "dev"),
    ({"Ref": "Subnets"}, ["subnet-1", "subnet-2"]),
    ({"Ref": "Size"}, "30"),
    ({"Ref": "On"}, "true"),
    ({"Ref": "Bucket"}, {"Ref": "Bucket"}),
    ({"Fn::GetAtt": "Bucket.Arn"}, {"Fn::GetAtt": ["Bucket", "Arn"]}),
    ({"Fn::If": ["IsDev", "a", "b"]}, "a"),
    ({"A": {"Ref": "AWS::NoValue"}, "B": 1}, {"B": 1}),
    ([1, {"Ref": "AWS::NoValue"}, 2], [1, 2]),
    ({"Ref": "AWS::NoValue"}, None),
    ({"Fn::Sub": "x-${Env}-${!Literal}"}, "x-dev-${Literal}"),
    ({"Fn::Sub": ["${A}/${Env}", {"A": "a"}]}, "a/dev"),
    ({"Fn::Join": [",", ["a", {"Ref": "Env"}, 3]]}, "a,dev,3"),
    ({"Fn::Select": ["1", {"Ref": "Subnets"}]}, "subnet-2"),
    ({"Fn::Split": [",", "a,b"]}, ["a", "b"]),
    ({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Disk"]}, 100),
    ({"Fn::FindInMap": ["Sizes", "prod", "Disk", {"DefaultValue": 8}]}, 8),
])
def test_known_values_resolve(value, resolved):
    assert resolve(value) == resolved


@pytest.mark.parametrize("value", [
    {"Ref": "Free"}, {"Ref": "AWS::Region"}, {"Fn::ImportValue": "X"}, {"Fn::GetAZs": ""}, {"Fn::Base64": "x"},
    {"Fn::Select": [9, ["a"]]}, {"Fn::FindInMap": ["Sizes", "prod", "Disk"]}, {"Fn::If": "bad"},
    {"Fn::Join": [",", {"Ref": "Free"}]}, {"Fn::GetAtt": ["Bucket"]}, {"Fn::Whatever": 1},
])
def test_deploy_time_values_are_unknown(value):
    assert isinstance(resolve(value), Unknown)


def test_overrides_win_over_defaults_and_set_pseudo_parameters():
    assert resolve({"Ref": "Env"}, {"Env": "prod"}) == "prod"
    assert resolve({"Fn::If": ["IsDev", "a", "b"]}, {"Env": "prod"}) == "b"
    assert resolve({"Ref": "AWS::Region"}, {"AWS::Region": "eu-west-1"}) == "eu-west-1"


def test_partly_known_strings_keep_their_references():
    value = resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/"})
    assert isinstance(value, Text) and value.refers_to("Bucket") and value.after("Bucket") == "/"
    assert value.sub_string() == "arn:${AWS::Partition}:s3:::${Bucket}/"
    assert show(value) == '!Sub "arn:${AWS::Partition}:s3:::${Bucket}/"'
    assert literal_text(value) == "arn: :s3::: /"
    joined = resolve({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/", {"Ref": "Free"}]]})
    assert isinstance(joined, Text) and joined.after("Bucket") is None


def test_an_undecided_condition_is_explored_both_ways_and_only_when_read():
    values = TemplateValues(TEMPLATE)
    outcomes, complete = explore(values, lambda run: run.resolve({"Fn::If": ["Open", "open", "closed"]}))
    assert complete and sorted(outcomes, key=str) == [({"Open": False}, "closed"), ({"Open": True}, "open")]
    # Env defaults to dev; any other value makes IsDev false: the default is one deployment among many.
    outcomes, _ = explore(values, lambda run: run.resolve({"Fn::If": ["IsDev", "dev", "prod"]}))
    assert [(describe_branch(branch), outcome) for branch, outcome in outcomes] == [
        ("when Env is dev", "dev"), ("when Env is not dev", "prod")]
    outcomes, _ = explore(TemplateValues(TEMPLATE, {"Env": "dev"}),
                          lambda run: run.resolve({"Fn::If": ["IsDev", "dev", "prod"]}))
    assert outcomes == [({}, "dev")]
    cycle, _ = explore(values, lambda run: run.resolve({"Fn::If": ["Cycle", 1, 2]}))
    assert sorted(o for _, o in cycle) == [1, 2]


def test_exploration_stops_at_its_limit():
    template = {"Parameters": {f"P{i}": {"Type": "String"} for i in range(8)},
                "Conditions": {f"C{i}": {"Fn::Equals": [{"Ref": f"P{i}"}, "x"]} for i in range(8)}}
    values = TemplateValues(template)
    outcomes, complete = explore(values, lambda run: [run.resolve({"Fn::If": [f"C{i}", 1, 0]}) for i in range(8)],
                                 limit=10)
    assert not complete and len(outcomes) == 10


def test_readers_coerce_as_cloudformation_does_and_refuse_deploy_time_values():
    properties = {"A": "True", "B": "false", "C": "30", "D": 2.5, "E": Unknown({"Ref": "Free"}), "F": {"G": [1]},
                  "H": {"Ref": "Bucket"}}
    assert flag(properties, "A") is True and flag(properties, "B") is False and flag(properties, "C") is None
    assert number(properties, "C") == 30.0 and number(properties, "D") == 2.5 and number(properties, "A") is None
    assert text(properties, "D") == "2.5" and text(properties, "F") is None
    assert field(properties, "F", "G", 0) == 1 and field(properties, "F", "G", 5) is None
    assert field(properties, "A", "X") is None and items(properties, "F", "G") == [1] and mapping(properties, "A") == {}
    with pytest.raises(CannotJudge, match="E is !Ref Free, known only at deploy time"):
        flag(properties, "E")
    with pytest.raises(CannotJudge, match="H is !Ref Bucket"):
        text(properties, "H")
    with pytest.raises(CannotJudge, match="E is !Ref Free"):
        field(properties, "E", "Deeper")


@pytest.mark.parametrize(("value", "shown"), [
    ({"Ref": "Tokens"}, "!Ref Tokens"), ({"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "!GetAtt Vpc.CidrBlock"),
    ({"Fn::ImportValue": "shared-Cidr"}, "!ImportValue shared-Cidr"), (None, "absent"), (True, "true"),
    (["a", {"Ref": "B"}], "[a, !Ref B]"), ({"Fn::Select": [0, {"Ref": "L"}]}, "!Select [0, !Ref L]"),
    (Unknown({"Fn::ImportValue": "X"}), "!ImportValue X"), ({"Condition": "C"}, "!Condition C"),
    ({"A": 1, "B": "x"}, "{A: 1, B: x}"),
])
def test_values_are_shown_as_a_template_author_writes_them(value, shown):
    assert show(value) == shown
