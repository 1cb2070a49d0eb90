"""The environment's fixed monthly cost, estimated from the synthesized templates and public list prices.

Prices live in one data file, ``prices.json``, with the date and region they were taken for. Only what
the templates fix is priced (interface endpoints per AZ-hour, keys, alarms, NAT gateways); what depends
on use (data events, log ingestion, KMS requests, AWS Config items) is listed with its unit price.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from omics_secure.inputs.assembly import StackArtifact


@dataclass(frozen=True)
class Prices:
    as_of: str
    region: str
    currency: str
    hours_per_month: int
    fixed: Mapping[str, float]
    usage: Mapping[str, float]


@dataclass(frozen=True)
class CostLine:
    item: str
    count: int
    unit: str
    monthly: float


def load_prices() -> Prices:
    data: dict[str, Any] = json.loads(resources.files("omics_secure.compliance").joinpath("prices.json").read_text())
    return Prices(as_of=data["as_of"], region=data["region"], currency=data["currency"],
                  hours_per_month=int(data["hours_per_month"]), fixed=data["fixed"], usage=data["usage"])


def fixed_costs(stacks: Sequence[StackArtifact], prices: Prices) -> list[CostLine]:
    bodies = [body for stack in stacks for body in stack.resources.values() if isinstance(body, Mapping)]

    def of_type(type_: str) -> list[Mapping[str, Any]]:
        return [body for body in bodies if body.get("Type") == type_]

    hours = prices.hours_per_month
    fixed = prices.fixed
    interface_endpoint_azs = sum(
        len(body.get("Properties", {}).get("SubnetIds") or []) or 1
        for body in of_type("AWS::EC2::VPCEndpoint")
        if body.get("Properties", {}).get("VpcEndpointType") == "Interface")
    keys = len(of_type("AWS::KMS::Key"))
    alarms = len(of_type("AWS::CloudWatch::Alarm"))
    nat_gateways = len(of_type("AWS::EC2::NatGateway"))
    lines = [
        CostLine("interface endpoint, per AZ", interface_endpoint_azs,
                 f"{fixed['interface_endpoint_az_hour']}/AZ-hour",
                 interface_endpoint_azs * fixed["interface_endpoint_az_hour"] * hours),
        CostLine("customer-managed KMS key", keys,
                 f"{fixed['kms_key_month']}/month (+{fixed['kms_rotation_month_first_two']} for each of the first "
                 "two rotations)", keys * fixed["kms_key_month"]),
        CostLine("CloudWatch alarm", alarms, f"{fixed['cloudwatch_alarm_month']}/month",
                 alarms * fixed["cloudwatch_alarm_month"]),
        CostLine("NAT gateway", nat_gateways, f"{fixed['nat_gateway_hour']}/hour",
                 nat_gateways * fixed["nat_gateway_hour"] * hours),
    ]
    return [line for line in lines if line.count]


USAGE_DESCRIPTIONS = {
    "cloudtrail_data_events_per_100k": "CloudTrail S3 data events, per 100,000",
    "cloudwatch_logs_ingestion_per_gb": "CloudWatch Logs ingestion (trail, flow logs, jobs), per GB",
    "cloudwatch_logs_storage_per_gb_month": "CloudWatch Logs storage, per GB-month",
    "kms_per_10k_requests": "KMS requests, per 10,000 (S3 Bucket Keys cut these by up to 99%)",
    "interface_endpoint_per_gb": "data processed by interface endpoints, per GB",
    "s3_gateway_endpoint_per_gb": "data through the S3 gateway endpoint, per GB",
    "config_item_recorded": "AWS Config configuration item recorded (if the recorder is on)",
    "config_rule_evaluation": "AWS Config rule evaluation (if the recorder is on)",
}

DESIGN_NOTES = (
    "No NAT gateway: sequencing reads reach S3 through the gateway endpoint, which has no hourly or per-GB "
    "charge, where a NAT gateway would add its hourly charge and a per-GB processing charge on every read.",
    "S3 Bucket Keys on every SSE-KMS bucket: S3 asks KMS for a bucket-level key instead of one request per "
    "object, which cuts KMS request charges on buckets with millions of objects.",
    "Interface endpoints are the main fixed cost: each costs its hourly rate in every AZ; drop the ones your "
    "workloads do not call (context omics-secure:endpoints).",
)
