"""The Airlock construct: what it deploys, held against the GuardDuty, S3, Step Functions and DynamoDB pages, clean
under every pack; and every wrong prop refused at once."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from omics_secure import (
    AccessLevel,
    AlertTopic,
    ApprovedAccess,
    IsolatedVpc,
    KeyService,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    Researchers,
)
from omics_secure._internal.tags import AIRLOCK_ROLE_TAG, AIRLOCK_TAG
from omics_secure.airlock import (
    Airlock,
    AirlockAdministrators,
    AirlockDirection,
    AirlockReviewers,
    BucketMalwareProtection,
)
from omics_secure.airlock.runtime import airlock_lambda as runtime
from omics_secure.inputs.assembly import read_assembly
from tests.harness import ACCOUNT, ENV, REGION, REPLICA_REGION, SynthesizedApp, make_app, synthesize_once

TODAY = datetime.datetime.now(datetime.UTC).date()
ENDS = TODAY + datetime.timedelta(days=365)
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/Analyst"


def build(stack: cdk.Stack, **overrides: Any) -> tuple[Airlock, ApprovedAccess]:
    key = PhiKey(stack, "DataKey", services=[KeyService.S3])
    network = IsolatedVpc(stack, "Network", key=key)
    replica_stack = cdk.Stack(stack.node.scope, f"{stack.node.id}Replica",  # type: ignore[arg-type]
                              env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    replica = PhiReplicaBucket(replica_stack, "PhiDataReplica")
    data = PhiBucket(stack, "PhiData", key=key, replica=replica)
    study = ApprovedAccess(stack, "Study", approval_id="phs000123.v1.p1",
                           researchers=Researchers.account_principals([ANALYST]), ends=ENDS, buckets=[data],
                           prefix="cohort/", access=AccessLevel.READ_WRITE_RESULTS)
    props: dict[str, Any] = {
        "network": network, "destination": data, "alerts": AlertTopic(stack, "Alerts"), "requesters": [study],
        "reviewers": [AirlockReviewers(approval_id="data-stewards",
                                       researchers=Researchers.identity_center("DataSteward"), ends=ENDS)],
        "administrators": AirlockAdministrators(approval_id="airlock-operators",
                                                researchers=Researchers.identity_center("AirlockOperator"),
                                                ends=ENDS),
        **overrides}
    return Airlock(stack, "Airlock", **props), study


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    app = make_app(tmp_path_factory.mktemp("airlock") / "cdk.out")
    build(cdk.Stack(app, "AirlockStack", env=ENV))
    return synthesize_once(app)


@pytest.fixture(scope="module")
def resources(synthesized: SynthesizedApp) -> dict[str, Mapping[str, Any]]:
    (stack,) = [s for s in read_assembly(synthesized.assembly_dir) if s.name == "AirlockStack"]
    return dict(stack.resources)


def of_type(resources: Mapping[str, Mapping[str, Any]], type_: str) -> dict[str, Mapping[str, Any]]:
    return {logical_id: body for logical_id, body in resources.items() if body["Type"] == type_}


def tagged(resources: Mapping[str, Mapping[str, Any]], key: str, value: str) -> dict[str, Mapping[str, Any]]:
    return {logical_id: body for logical_id, body in resources.items()
            if {"Key": key, "Value": value} in body.get("Properties", {}).get("Tags", [])}


def statements(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(body["Properties"]["PolicyDocument"]["Statement"])


def policies_of(resources: Mapping[str, Mapping[str, Any]], role: str) -> list[Mapping[str, Any]]:
    return [s for body in of_type(resources, "AWS::IAM::ManagedPolicy").values()
            if {"Ref": role} in body["Properties"].get("Roles", []) for s in statements(body)]


def allowed(policy: list[Mapping[str, Any]]) -> set[str]:
    return {action for s in policy if s["Effect"] == "Allow"
            for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


@pytest.mark.slow
def test_the_airlock_passes_every_pack_and_cfn_lint(synthesized: SynthesizedApp):
    assert not synthesized.compliance.open_findings, synthesized.compliance.describe()


@pytest.mark.slow
def test_each_staging_bucket_has_a_malware_protection_plan_that_tags(resources):
    staging = {**tagged(resources, AIRLOCK_TAG, "ingress-staging"), **tagged(resources, AIRLOCK_TAG, "egress-staging")}
    plans = of_type(resources, "AWS::GuardDuty::MalwareProtectionPlan")
    assert len(staging) == 2 and len(plans) == 2
    protected = {p["Properties"]["ProtectedResource"]["S3Bucket"]["BucketName"]["Ref"] for p in plans.values()}
    assert protected == set(staging)
    for plan in plans.values():
        assert plan["Properties"]["Actions"] == {"Tagging": {"Status": "ENABLED"}}
        assert "ObjectPrefixes" not in plan["Properties"]["ProtectedResource"]["S3Bucket"]  # the whole bucket
        role = resources[plan["Properties"]["Role"]["Fn::GetAtt"][0]]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    for bucket in staging.values():
        assert bucket["Properties"]["NotificationConfiguration"] == {"EventBridgeConfiguration": {
            "EventBridgeEnabled": True}}
        assert {"Key": "omics-secure:data-classification", "Value": "phi"} in bucket["Properties"]["Tags"]


@pytest.mark.slow
def test_the_scanner_role_has_the_permissions_guardduty_documents(resources):
    (plan, *_) = of_type(resources, "AWS::GuardDuty::MalwareProtectionPlan").values()
    policy = {s["Sid"]: s for s in policies_of(resources, plan["Properties"]["Role"]["Fn::GetAtt"][0])}
    assert set(policy) == {"AllowManagedRuleToSendS3EventsToGuardDuty", "AllowGuardDutyToMonitorEventBridgeManagedRule",
                           "AllowPostScanTag", "AllowEnableS3EventBridgeEvents", "AllowPutValidationObject",
                           "AllowCheckBucketOwnership", "AllowMalwareScan", "AllowDecryptForMalwareScan"}
    assert policy["AllowManagedRuleToSendS3EventsToGuardDuty"]["Condition"] == {
        "StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}}
    assert set(policy["AllowDecryptForMalwareScan"]["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert policy["AllowDecryptForMalwareScan"]["Condition"] == {"StringEquals": {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


@pytest.mark.slow
def test_nothing_but_the_scanner_reads_an_object_until_its_scan_is_clean(resources):
    staging = next(iter(tagged(resources, AIRLOCK_TAG, "egress-staging")))
    (policy,) = [b for b in of_type(resources, "AWS::S3::BucketPolicy").values()
                 if b["Properties"]["Bucket"] == {"Ref": staging}]
    by_sid = {s.get("Sid"): s for s in statements(policy)}
    held = by_sid["DenyReadsUntilMalwareScanIsClean"]
    assert (held["Effect"], held["Principal"], held["Action"]) == ("Deny", {"AWS": "*"},
                                                                   ["s3:GetObject", "s3:GetObjectVersion"])
    assert held["Condition"]["StringNotEquals"] == {
        "s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
    (scanner,) = held["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert resources[scanner["Fn::GetAtt"][0]]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"] == {"Service": "malware-protection-plan.guardduty.amazonaws.com"}
    assert by_sid["DenyReadsOfQuarantinedObjects"]["Condition"] == {
        "StringEquals": {"s3:ExistingObjectTag/omics-secure:airlock-state": "quarantined"}}
    taggers = by_sid["DenyTaggingButByTheScanner"]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    assert len(taggers) == 2 and scanner in taggers  # the scanner and the quarantine function
    assert by_sid["DenyTagsOnUpload"]["Condition"] == {"Null": {"s3:RequestObjectTagKeys": "false"}}


@pytest.mark.slow
def test_the_release_bucket_is_hardened_and_not_readable_from_inside(resources):
    ((logical_id, release),) = tagged(resources, AIRLOCK_TAG, "release").items()
    properties = release["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert properties["ObjectLockEnabled"] is True and release["DeletionPolicy"] == "Retain"
    (policy,) = [b for b in of_type(resources, "AWS::S3::BucketPolicy").values()
                 if b["Properties"]["Bucket"] == {"Ref": logical_id}]
    (deny,) = [s for s in statements(policy) if s.get("Sid") == "DenyReadsFromTheIsolatedEnvironment"]
    (vpc,) = of_type(resources, "AWS::EC2::VPC")
    assert deny["Condition"] == {"StringEquals": {"aws:SourceVpc": {"Ref": vpc}}}


@pytest.mark.slow
def test_the_requests_table_is_retained_recoverable_and_encrypted_with_the_key(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert table["DeletionPolicy"] == "Retain" and properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True,
                                                              "RecoveryPeriodInDays": 35}
    assert properties["SSESpecification"]["SSEEnabled"] is True and properties["SSESpecification"]["SSEType"] == "KMS"
    assert properties["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][1] == "Arn"


def _definition(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    (machine,) = of_type(resources, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(part if isinstance(part, str) else "<reference>" for part in parts))


@pytest.mark.slow
def test_no_path_of_the_workflow_reaches_release_without_a_clean_scan_and_an_approval(resources):
    """The Step Functions definition as a graph: every transition into the release state comes from the review
    outcome APPROVED, and every transition into the review from the scan result CLEAN."""
    states = _definition(resources)["States"]
    into: dict[str, list[tuple[str, str]]] = {}
    for name, state in states.items():
        for choice in state.get("Choices", []):
            into.setdefault(choice["Next"], []).append((name, json.dumps(choice, sort_keys=True)))
        for key in ("Next", "Default"):
            if key in state:
                into.setdefault(state[key], []).append((name, key))
        for catch in state.get("Catch", []):
            into.setdefault(catch["Next"], []).append((name, "Catch"))
    assert into["Release approved files"] == [(
        "Review outcome", json.dumps({"Next": "Release approved files", "StringEquals": "APPROVED",
                                      "Variable": "$.review.outcome"}, sort_keys=True))]
    assert into["Await review"] == [("Scan result", json.dumps(
        {"Next": "Await review", "StringEquals": "CLEAN", "Variable": "$.scan"}, sort_keys=True))]
    assert states["Await review"]["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert states["Await review"]["TimeoutSeconds"] == 14 * 24 * 3600
    assert [c["ErrorEquals"] for c in states["Await review"]["Catch"]] == [["States.Timeout"], ["States.ALL"]]
    assert states["Review outcome"]["Default"] == "Unknown outcome"
    (machine,) = of_type(resources, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


@pytest.mark.slow
def test_the_functions_run_isolated_with_their_own_least_privilege_roles(resources):
    functions = of_type(resources, "AWS::Lambda::Function")
    airlock = {body["Properties"]["Handler"].split(".")[1]: body for body in functions.values()
               if body["Properties"].get("Handler", "").startswith("airlock_lambda.")}
    assert set(airlock) == {"submit", "decide", "steps", "release", "quarantine"}
    for handler, body in airlock.items():
        properties = body["Properties"]
        assert properties["Runtime"] == "python3.14" and properties["ReservedConcurrentExecutions"] == 5
        assert properties["VpcConfig"]["SubnetIds"] and "TargetArn" in properties["DeadLetterConfig"]
        role = properties["Role"]["Fn::GetAtt"][0]
        assert "Policies" not in resources[role]["Properties"]  # managed policies only
        actions = allowed(policies_of(resources, role))
        assert ("states:StartExecution" in actions) == (handler == "submit")
        assert ("s3:PutObjectTagging" in actions) == (handler in ("release", "quarantine"))  # release: destination
        assert ("s3:BypassGovernanceRetention" in actions) == (handler == "release")
        assert "s3:GetObject" not in actions or handler == "release"
    assert airlock["submit"]["Properties"]["FunctionName"].endswith("-submit")


@pytest.mark.slow
def test_requesters_reviewers_and_administrators_each_have_only_their_own_actions(resources):
    roles = {value: logical_id for value in ("requester", "reviewer", "administrator")
             for logical_id in tagged(resources, AIRLOCK_ROLE_TAG, value)}
    requester, reviewer, administrator = (allowed(policies_of(resources, roles[v]))
                                          for v in ("requester", "reviewer", "administrator"))
    invoked = {role: [r for s in policies_of(resources, logical_id) if s["Action"] == "lambda:InvokeFunction"
                      for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
               for role, logical_id in roles.items()}
    assert [r.rsplit("-", 1)[1] for r in invoked["requester"]] == ["submit"]
    assert [r.rsplit("-", 1)[1] for r in invoked["reviewer"]] == ["decide"]
    assert invoked["administrator"] == []
    assert "s3:PutObject" in requester and "s3:PutObject" not in reviewer
    assert "s3:GetObject" in reviewer and "s3:GetObject" not in administrator
    assert "states:StopExecution" in administrator and "states:StopExecution" not in requester | reviewer
    reviewer_trust = resources[roles["reviewer"]]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert reviewer_trust["Condition"]["DateLessThan"] == {"aws:CurrentTime": f"{ENDS.isoformat()}T00:00:00Z"}
    assert any(arn.endswith("/AWSReservedSSO_DataSteward_*")
               for arn in reviewer_trust["Condition"]["ArnLike"]["aws:PrincipalArn"])


@pytest.mark.slow
def test_reviewers_are_alerted_through_the_alert_topic(resources):
    rules = [b for b in of_type(resources, "AWS::Events::Rule").values()
             if b["Properties"].get("EventPattern", {}).get("source") == [runtime.EVENT_SOURCE]]
    (rule,) = rules
    assert "Airlock review requested" in rule["Properties"]["EventPattern"]["detail-type"]
    assert "Airlock self-review refused" in rule["Properties"]["EventPattern"]["detail-type"]
    (topic,) = of_type(resources, "AWS::SNS::Topic")
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Ref": topic}


def test_wrong_props_are_refused_together(stack):
    with pytest.raises(OmicsSecureConfigError) as raised:
        build(stack, requesters=[], reviewers=[], egress_reviewers_required=0, directions=[], name="no spaces allowed",
              reserved_concurrency=0, log_retention_days=10)
    message = str(raised.value)
    for fix in ("requesters=[]: name the ApprovedAccess approvals", "reviewers=[]: name at least one AirlockReviewers",
                "egress_reviewers_required=0: use 1 to 5", "directions=[]: pass AirlockDirection.INGRESS",
                "name='no spaces allowed'", "reserved_concurrency=0", "log_retention_days=10"):
        assert fix in message


def test_a_reviewer_who_is_also_a_requester_is_refused(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"reviewers\[0\]='stewards': it admits "
                                                      r"arn:aws:iam::111122223333:role/Analyst, whom requester "
                                                      r"approval phs000123.v1.p1 admits too"):
        build(stack, reviewers=[AirlockReviewers(approval_id="stewards", ends=ENDS, researchers=(
            Researchers.account_principals([ANALYST, f"arn:aws:iam::{ACCOUNT}:role/Steward"])))])


def test_a_requester_role_cannot_read_releases(stack):
    airlock_stack = stack
    with pytest.raises(OmicsSecureConfigError, match=r"release_readers=.*a requester's role is inside the environment"):
        key = PhiKey(airlock_stack, "K", services=[KeyService.S3])
        data = PhiBucket(airlock_stack, "D", key=key)
        study = ApprovedAccess(airlock_stack, "S", approval_id="phs1", ends=ENDS, buckets=[data], prefix="c/",
                               researchers=Researchers.account_principals([ANALYST]))
        Airlock(airlock_stack, "Airlock", network=IsolatedVpc(airlock_stack, "N", key=key), destination=data,
                alerts=AlertTopic(airlock_stack, "A"), requesters=[study], release_readers=[study.role],
                reviewers=[AirlockReviewers(approval_id="stewards", ends=ENDS,
                                            researchers=Researchers.identity_center("DataSteward"))])


def test_requesters_admitting_any_principal_are_warned_about(stack):
    key = PhiKey(stack, "K", services=[KeyService.S3])
    data = PhiBucket(stack, "D", key=key)
    anyone = ApprovedAccess(stack, "S", approval_id="phs1", ends=ENDS, buckets=[data], prefix="c/",
                            researchers=Researchers.account_principals())
    Airlock(stack, "Airlock", network=IsolatedVpc(stack, "N", key=key), destination=data,
            alerts=AlertTopic(stack, "A"), requesters=[anyone], directions=[AirlockDirection.INGRESS],
            reviewers=[AirlockReviewers(approval_id="stewards", ends=ENDS,
                                        researchers=Researchers.identity_center("DataSteward"))])
    warnings = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    assert any("Requester approval phs1 admits any principal of the account" in str(w.entry.data) for w in warnings)
    assert not [c for c in stack.node.find_all() if isinstance(c, s3.CfnBucket)
                and "release" in str(cdk.Stack.of(c).resolve(c.tags.render_tags()))]


def test_malware_protection_needs_the_buckets_key_and_its_stack(app, stack):
    plain = s3.Bucket(stack, "Plain")
    with pytest.raises(OmicsSecureConfigError, match="key=None: pass the bucket's KMS key"):
        BucketMalwareProtection(stack, "Protection", bucket=plain)
    other = cdk.Stack(app, "Other", env=ENV)
    with pytest.raises(OmicsSecureConfigError, match="create the protection in the bucket's own stack"):
        BucketMalwareProtection(other, "Protection", bucket=plain, key=PhiKey(other, "K"))


def test_the_runtime_and_the_rules_share_the_tag_names():
    from omics_secure._internal import tags

    assert (runtime.SCAN_TAG, runtime.SCAN_CLEAN) == (tags.MALWARE_SCAN_TAG, tags.MALWARE_SCAN_CLEAN)
    assert (runtime.QUARANTINE_TAG, runtime.QUARANTINED) == (tags.AIRLOCK_QUARANTINE_TAG, tags.AIRLOCK_QUARANTINED)
    assert Path(runtime.__file__).parent.joinpath("airlock_lambda.py").read_text().count("import omics_secure") == 0


@pytest.mark.slow
def test_the_report_says_who_may_request_review_and_where_data_may_go(synthesized: SynthesizedApp):
    from omics_secure.compliance.datasheet import build_datasheet
    from omics_secure.reporting.summary import render_markdown

    sections = build_datasheet(synthesized.assembly_dir, app_dir=synthesized.assembly_dir)
    (section,) = [s for s in sections if s.title.startswith("Airlock")]
    tables = {table.title: table.rows for table in section.tables}
    assert {row[1] for row in tables["Staging and review"]} == {"ingress (into the environment)",
                                                                "egress (out of it)"}
    assert all(row[3].startswith("GuardDuty Malware Protection plan") and row[4] == "denied to all but the scanner"
               for row in tables["Staging and review"])
    assert ("2 different people, none the requester" in {row[5] for row in tables["Staging and review"]})
    people = {row[0]: row for row in tables["Who may request, review and operate"]}
    assert people["request"][2:4] == ("phs000123.v1.p1", ANALYST)
    assert people["review (data steward)"][3] == "IAM Identity Center permission set DataSteward"
    assert people["operate (no data access)"][4] == ENDS.isoformat()
    destinations = {row[0]: row for row in tables["Where data may go"]}
    assert destinations["ingress"][1] == "PhiData under airlock/<request id>/ (the environment's data)"
    assert destinations["egress"][2].endswith("not readable from inside the environment")
    assert section.paragraphs[1].startswith("Separation of duties and the boundary hold")
    # The Markdown escapes every title: "Airlock\\: who may request ..." renders as the title.
    assert "## Airlock\\: who may request, who may review, where data may go" in render_markdown(sections)
