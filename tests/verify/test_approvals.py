"""verify fails an approval whose end date has passed while its role or access point still exists (moto)."""

from __future__ import annotations

import datetime
import json

import boto3

from omics_secure.verify import AwsReader, Selection
from omics_secure.verify.checks import APPROVAL, LiveResource
from omics_secure.verify.collect import APPROVAL_ACCESS_POINT, Target, collect
from tests.verify.environment import ACCOUNT, REGION, failures, outcomes
from tests.verify.rules import CHECKS, evaluate, verify

TODAY = datetime.datetime.now(datetime.UTC).date()
PAST = (TODAY - datetime.timedelta(days=1)).isoformat()
FUTURE = (TODAY + datetime.timedelta(days=30)).isoformat()
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}


def role(name: str, ends: str | None) -> dict[str, object]:
    properties: dict[str, object] = {"RoleName": name, "AssumeRolePolicyDocument": TRUST}
    if ends is not None:
        properties["Tags"] = [{"Key": "omics-secure:approval-id", "Value": f"phs-{name}"},
                              {"Key": "omics-secure:approval-ends", "Value": ends}]
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def deploy(stack: str, resources: dict[str, object]) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=stack, TemplateBody=json.dumps({"Resources": resources}), Capabilities=["CAPABILITY_NAMED_IAM"])


def approval_results(results: list) -> dict[tuple[str, str], str]:  # type: ignore[type-arg]
    return {key: value for key, value in outcomes(results).items() if key[0] == "ApprovalRevokedAfterEnd"}


def test_an_ended_approval_whose_role_still_exists_fails(reader: AwsReader, aws: None) -> None:
    deploy("Approvals", {"Ended": role("ended-approval", PAST), "Current": role("current-approval", FUTURE),
                         "Service": role("untagged-service-role", None)})
    results = verify(reader, Selection(stacks=["Approvals"]))
    ended, current = (f"arn:aws:iam::{ACCOUNT}:role/{name}" for name in ("ended-approval", "current-approval"))
    assert approval_results(results) == {("ApprovalRevokedAfterEnd", ended): "non-compliant",
                                         ("ApprovalRevokedAfterEnd", current): "compliant"}
    detail = failures(results)[("ApprovalRevokedAfterEnd", ended)]
    assert detail == (f"approval phs-ended-approval ended on {PAST} but its role still exists; remove the approval "
                      "from the app and deploy (revocation is a stack update)")
    assert not any("untagged-service-role" in r.resource.name for r in results)


def test_an_ended_approval_whose_role_is_gone_passes(reader: AwsReader, aws: None) -> None:
    deploy("Revoked", {"Ended": role("revoked-approval", PAST)})
    boto3.client("iam").delete_role(RoleName="revoked-approval")
    results = verify(reader, Selection(stacks=["Revoked"]))
    assert set(approval_results(results).values()) == {"compliant"}


def test_an_ended_collaborator_access_point_fails_until_it_is_deleted(reader: AwsReader, aws: None) -> None:
    s3control = boto3.client("s3control", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="phi-data")
    s3control.create_access_point(AccountId=ACCOUNT, Name="phs1-444455556666", Bucket="phi-data")
    target = Target(APPROVAL_ACCESS_POINT, "phs1-444455556666",
                    {"approval_id": "phs1", "ends": PAST, "account": ACCOUNT}, logical_id="Collaborator", stack="S")
    (result,) = evaluate(collect(reader, [target]))
    assert result.failed and "its access point still exists" in result.verdict.detail
    assert result.resource.name == f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/phs1-444455556666"
    s3control.delete_access_point(AccountId=ACCOUNT, Name="phs1-444455556666")
    (result,) = evaluate(collect(reader, [target]))
    assert result.passed


def test_a_current_collaborator_access_point_passes(reader: AwsReader, aws: None) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="phi-data")
    boto3.client("s3control", region_name=REGION).create_access_point(
        AccountId=ACCOUNT, Name="phs2-444455556666", Bucket="phi-data")
    target = Target(APPROVAL_ACCESS_POINT, "phs2-444455556666", {"approval_id": "phs2", "ends": FUTURE,
                                                                 "account": ACCOUNT})
    (result,) = evaluate(collect(reader, [target]))
    assert result.passed


def test_an_unreadable_end_date_is_a_finding_not_a_pass() -> None:
    (check,) = [c for c in CHECKS if c.id == "ApprovalRevokedAfterEnd"]
    resource = LiveResource(APPROVAL, "role", {"exists": True, "what": "role", "today": TODAY.isoformat()},
                            {"approval_id": "phs1", "ends": "soon"})
    verdict = check.evaluate(resource)
    assert verdict.detail == "the role's approval-ends tag 'soon' is not an ISO date, so its expiry is unknown"
    ended_today = LiveResource(APPROVAL, "role", {"exists": True, "what": "role", "today": TODAY.isoformat()},
                               {"approval_id": "phs1", "ends": TODAY.isoformat()})
    assert check.evaluate(ended_today).detail.startswith("approval phs1 ended on")
