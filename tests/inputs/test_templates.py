"""Reading templates: what is not a CloudFormation template, and parameter values a template refuses."""

from __future__ import annotations

import json

import pytest

from omics_secure.inputs.templates import TemplateError, load_template, load_templates
from omics_secure.inputs.values import TemplateValues, Unknown

BUCKET = {"Type": "AWS::S3::Bucket"}


def write(tmp_path, template, name="t.json"):
    path = tmp_path / name
    path.write_text(json.dumps(template) if not isinstance(template, str) else template)
    return path


@pytest.mark.parametrize(("template", "message"), [
    ({}, "no Resources section"),
    ({"Resources": {}}, "Resources is empty"),
    ({"Resources": ["B"]}, "Resources is a list, not a mapping"),
    ({"Resources": {"B": 5}}, "resource B is the number 5, not a mapping with a Type"),
    ({"Resources": {"B": {"Properties": {}}}}, "resource B has no Type"),
    ({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": ["x"]}}}, "Properties of resource B are a list"),
    ({"Resources": {"B": BUCKET}, "Parameters": ["P"]}, "Parameters is a list, not a mapping"),
    ({"Resources": {"B": BUCKET}, "Parameters": {"P": {"Type": "Strin"}}}, "parameter P has Type Strin"),
    ({"Resources": {"B": BUCKET}, "Parameters": {"P": {}}}, "parameter P has no Type"),
    ({"Resources": {"B": BUCKET}, "Parameters": {"P": {"Type": "Number", "Default": "ten"}}},
     "parameter P has Default 'ten', which is not a number"),
    ({"Resources": {"B": BUCKET}, "Parameters": {"P": {"Type": "String", "AllowedValues": "a"}}},
     "has AllowedValues the string 'a', not a list"),
    ("[1, 2]", "not a CloudFormation template"),
    ("Resources: {B: 5}", "resource B is the number 5"),
    ("\xff\xfe", "not UTF-8 text"),
])
def test_what_is_not_a_template_is_one_error_naming_the_file(tmp_path, template, message):
    path = tmp_path / "t.yaml"
    if isinstance(template, str):
        path.write_bytes(template.encode("latin-1") if "\xff" in template else template.encode())
    else:
        path.write_text(json.dumps(template))
    with pytest.raises(TemplateError, match=message) as raised:
        load_template(path)
    assert str(path) in str(raised.value)


PARAMETERS = {
    "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
    "Cidr": {"Type": "String", "Default": "10.0.0.0/8", "AllowedPattern": r"^10\.\d+\.\d+\.\d+/\d+$"},
    "Size": {"Type": "Number", "Default": "30", "MinValue": 8, "MaxValue": 100},
    "Name": {"Type": "String", "Default": "study", "MinLength": 3, "MaxLength": 10},
    "Zones": {"Type": "List<Number>", "Default": "1,2"},
}


@pytest.mark.parametrize(("assignment", "message"), [
    ({"Env": "test"}, "--parameter Env=test: not one of its AllowedValues (prod, dev)"),
    ({"Cidr": "0.0.0.0/0"}, "--parameter Cidr=0.0.0.0/0: outside what the parameter allows (AllowedPattern"),
    ({"Size": "big"}, "--parameter Size=big: is not a number, as its Type Number requires"),
    ({"Size": "500"}, "outside what the parameter allows (MinValue 8, MaxValue 100)"),
    ({"Name": "ab"}, "outside what the parameter allows (MinLength 3, MaxLength 10)"),
    ({"Zones": "1,x"}, "is not a number, as its Type List<Number> requires"),
    ({"Missing": "x"}, "--parameter Missing: no template declares such a parameter (they declare Cidr, Env, Name"),
])
def test_a_parameter_value_the_template_refuses_is_refused(tmp_path, assignment, message):
    path = write(tmp_path, {"Parameters": PARAMETERS, "Resources": {"B": BUCKET}})
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_templates([path], assignment)


def test_allowed_values_are_accepted_and_pin_the_parameter(tmp_path):
    path = write(tmp_path, {"Parameters": PARAMETERS, "Resources": {"B": BUCKET}})
    (stack,) = load_templates([path], {"Env": "dev", "Cidr": "10.1.0.0/16", "Size": "64", "AWS::Region": "eu-west-1"})
    assert stack.parameters == {"Env": "dev", "Cidr": "10.1.0.0/16", "Size": "64", "AWS::Region": "eu-west-1"}
    values = TemplateValues(stack.template, stack.parameters)
    assert values.domains["Env"] == ("dev",) and values.pseudo == {"AWS::Region": "eu-west-1"}


def test_a_parameter_may_take_every_allowed_value_or_any_its_constraints_admit(tmp_path):
    values = TemplateValues({"Parameters": {**PARAMETERS, "Ssm": {
        "Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/version"},
        "Required": {"Type": "String"}}})
    assert values.domains["Env"] == ("prod", "dev")
    default, other = values.domains["Cidr"]
    assert default == "10.0.0.0/8" and isinstance(other, Unknown)
    assert other.constraints.admits("10.9.0.0/16") and not other.constraints.admits("0.0.0.0/0")
    assert not other.constraints.admits("10.0.0.0/8")  # the default, explored on its own
    _, size = values.domains["Size"]
    assert size.constraints.admits("99") and not size.constraints.admits("101") and not size.constraints.admits("x")
    # A value resolved from SSM at deployment, and a parameter without a default, are unknown.
    assert isinstance(values.domains["Ssm"][0], Unknown) and len(values.domains["Ssm"]) == 1
    assert isinstance(values.domains["Required"][0], Unknown)
    assert values.domains["Zones"][0] == ["1", "2"]


def test_the_same_file_given_twice_is_judged_once(tmp_path):
    path = write(tmp_path, {"Resources": {"B": BUCKET}})
    assert len(load_templates([path, path])) == 1


def test_a_large_json_template_is_read_with_its_lines(tmp_path):
    resources = {f"Bucket{i}": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"b{i}"}} for i in range(2000)}
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Resources": resources}, indent=1))
    stack = load_template(path)
    lines = path.read_text().splitlines()
    assert lines[stack.resource_lines["Bucket1234"] - 1].strip() == '"Bucket1234": {'


def test_yaml_resources_have_their_lines(tmp_path):
    path = write(tmp_path, "Resources:\n  First:\n    Type: AWS::S3::Bucket\n\n  Second:\n    Type: AWS::S3::Bucket\n",
                 "t.yaml")
    assert load_template(path).resource_lines == {"First": 2, "Second": 5}
