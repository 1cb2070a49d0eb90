"""The fixed monthly cost estimate: what the templates fix, priced from the dated price file."""

from __future__ import annotations

from pathlib import Path

import pytest

from omics_secure.compliance.costs import fixed_costs, load_prices
from omics_secure.inputs.assembly import StackArtifact


def stack_of(resources: dict) -> StackArtifact:
    return StackArtifact(name="S", template_path=Path("S.template.json"), template={"Resources": resources},
                         construct_paths={})


def test_the_price_file_names_its_date_region_and_currency():
    prices = load_prices()
    assert (prices.region, prices.currency, prices.hours_per_month) == ("us-east-1", "USD", 730)
    assert prices.as_of.count("-") == 2
    assert prices.fixed["interface_endpoint_az_hour"] > 0


def test_fixed_costs_count_endpoint_azs_keys_alarms_and_nat_gateways():
    prices = load_prices()
    resources = {
        "Kms": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface",
                                                               "SubnetIds": ["a", "b"]}},
        "Logs": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface",
                                                                "SubnetIds": ["a", "b"]}},
        "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
        "Key1": {"Type": "AWS::KMS::Key"}, "Key2": {"Type": "AWS::KMS::Key"},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm"},
        "Nat": {"Type": "AWS::EC2::NatGateway"},
    }
    lines = {line.item: line for line in fixed_costs([stack_of(resources)], prices)}
    assert lines["interface endpoint, per AZ"].count == 4
    assert lines["interface endpoint, per AZ"].monthly == pytest.approx(
        4 * prices.fixed["interface_endpoint_az_hour"] * 730)
    assert lines["customer-managed KMS key"].monthly == pytest.approx(2 * prices.fixed["kms_key_month"])
    assert lines["CloudWatch alarm"].count == 1
    assert lines["NAT gateway"].monthly == pytest.approx(prices.fixed["nat_gateway_hour"] * 730)


def test_items_the_app_does_not_have_are_left_out():
    assert fixed_costs([stack_of({"Key": {"Type": "AWS::KMS::Key"}})], load_prices())[0].item == (
        "customer-managed KMS key")
    assert fixed_costs([stack_of({})], load_prices()) == []
