"""A template's deployments with parameters and conditions decided, for judges that read a template whole."""

from __future__ import annotations

from omics_secure.inputs.variants import template_variants

TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
                   "Tokens": {"Type": "String", "Default": "required"},
                   "Imported": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                   "InRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                   "CDKMetadataAvailable": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}},
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "VersioningConfiguration": {"Status": {"Fn::If": ["IsProd", "Enabled", "Suspended"]}},
            "BucketName": {"Fn::Sub": "data-${Imported}"}}},
        "DevOnly": {"Type": "AWS::SQS::Queue", "Condition": "IsProd", "DependsOn": ["Bucket"]},
        "Waits": {"Type": "AWS::SNS::Topic", "DependsOn": ["DevOnly", "Bucket"],
                  "Properties": {"TopicName": {"Ref": "Tokens"}}},
        "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Condition": "CDKMetadataAvailable"},
    },
    "Outputs": {"Name": {"Value": {"Ref": "DevOnly"}}},
}


def test_each_value_of_each_parameter_and_condition_is_some_variant():
    found = template_variants(TEMPLATE)
    assert found.complete
    descriptions = [variant.description for variant in found.variants]
    # Tokens fills a property with any value at all: only its default is a variant (the OmicsSecure pack
    # judges its other values); Env decides a condition, so each of its values is one.
    assert descriptions == ["when Env is prod and Tokens is required", "when Env is dev and Tokens is required"]
    prod, dev = (variant.template for variant in found.variants)
    assert prod["Resources"]["Bucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert dev["Resources"]["Bucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Suspended"}
    assert "DevOnly" not in dev["Resources"] and dev["Resources"]["Waits"]["DependsOn"] == ["Bucket"]
    assert prod["Resources"]["Waits"]["Properties"]["TopicName"] == "required"
    # What is known only at deployment is written back as CloudFormation: the Sub's parts.
    assert prod["Resources"]["Bucket"]["Properties"]["BucketName"] == {"Fn::Join": ["", ["data-", {"Ref": "Imported"}]]}
    # No judge reads CDK's metadata resource or the outputs, so they make no variants and are left out.
    assert all("CDKMetadata" not in v.template["Resources"] and "Outputs" not in v.template for v in found.variants)


def test_a_free_parameter_that_decides_a_condition_is_also_any_other_value():
    template = {"Parameters": {"Name": {"Type": "String", "Default": ""}},
                "Conditions": {"HasName": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Name"}, ""]}]}},
                "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": {"Fn::If": ["HasName", {"Ref": "Name"}, {"Ref": "AWS::NoValue"}]}}}}}
    default, other = template_variants(template).variants
    assert default.template["Resources"]["B"]["Properties"] == {}
    assert other.template["Resources"]["B"]["Properties"] == {"BucketName": {"Ref": "Name"}}
    assert other.description == 'when Name is not ""'


def test_a_pinned_parameter_makes_one_deployment():
    found = template_variants(TEMPLATE, {"Env": "dev", "Tokens": "required"})
    assert [variant.description for variant in found.variants] == [""]


def test_a_condition_no_parameter_decides_is_taken_both_ways():
    template = {"Conditions": TEMPLATE["Conditions"], "Resources": {"Q": {
        "Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {"Fn::If": ["InRegion", 1, 2]}}}}}
    found = template_variants(template)
    assert [v.template["Resources"]["Q"]["Properties"]["DelaySeconds"] for v in found.variants] == [1, 2]


def test_variants_stop_at_their_limit_and_say_so():
    template = {"Parameters": {f"P{i}": {"Type": "String", "AllowedValues": ["a", "b", "c"]} for i in range(6)},
                "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
                    "Tags": [{"Key": f"k{i}", "Value": {"Ref": f"P{i}"}} for i in range(6)]}}}}
    found = template_variants(template, limit=8)
    assert not found.complete and len(found.variants) == 8
    assert len(template_variants(template, limit=20).variants) == 13  # 1 + 6 parameters x 2 other values
