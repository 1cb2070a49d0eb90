"""AuditTrail, AlertTopic, KeyWatch and AccountAlarms: every guarantee, every error, and clean packs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import (
    AccountAlarm,
    AccountAlarms,
    AccountSecurityServices,
    AlertTopic,
    AuditTrail,
    ConfigRule,
    KeyService,
    KeyWatch,
    MacieFrequency,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
)
from omics_secure._internal.events import KMS_KEY_EVENT_NAMES
from tests.harness import ACCOUNT, REGION, REPLICA_REGION, check_compliance

TRAIL_NAME = "omics-secure-TestStack-Trail"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL_NAME}"
AUDIT_TAG = {"Key": "omics-secure:data-classification", "Value": "audit-logs"}


def only(stack: cdk.Stack, type_: str) -> tuple[str, dict[str, Any]]:
    found = Template.from_stack(stack).find_resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return next(iter(found.items()))


def trail_bucket(stack: cdk.Stack) -> tuple[str, dict[str, Any]]:
    buckets = [(lid, body) for lid, body in Template.from_stack(stack).find_resources("AWS::S3::Bucket").items()
               if AUDIT_TAG in body["Properties"].get("Tags", []) and lid.startswith("TrailBucket")]
    assert len(buckets) == 1
    return buckets[0]


def statements_with_sid(documents: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    return [s for document in documents for s in document["Statement"] if s.get("Sid") == sid]


def key_policy_sids(stack: cdk.Stack, logical_prefix: str) -> set[str]:
    keys = {lid: body for lid, body in Template.from_stack(stack).find_resources("AWS::KMS::Key").items()
            if lid.startswith(logical_prefix)}
    assert len(keys) == 1
    return {s.get("Sid") for s in next(iter(keys.values()))["Properties"]["KeyPolicy"]["Statement"]}


# --- AuditTrail: guarantees -----------------------------------------------------------------------------

def test_trail_is_multi_region_validated_encrypted_and_logs_to_cloudwatch(stack):
    trail = AuditTrail(stack, "Trail")
    logical_id, body = only(stack, "AWS::CloudTrail::Trail")
    properties = body["Properties"]
    assert properties["TrailName"] == TRAIL_NAME and trail.trail_arn == TRAIL_ARN
    assert properties["IsMultiRegionTrail"] is True and properties["IncludeGlobalServiceEvents"] is True
    assert properties["IsLogging"] is True and properties["EnableLogFileValidation"] is True
    key_id, _ = only(stack, "AWS::KMS::Key")
    assert properties["KMSKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    log_group_id, _ = only(stack, "AWS::Logs::LogGroup")
    assert properties["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    role_id, _ = only(stack, "AWS::IAM::Role")
    assert properties["CloudWatchLogsRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    bucket_id, _ = trail_bucket(stack)
    assert properties["S3BucketName"] == {"Ref": bucket_id}
    assert properties["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    assert body["DeletionPolicy"] == "Retain"
    depends = set(body["DependsOn"])
    assert {role_id, key_id} <= depends
    assert any(d.startswith("TrailBucketPolicy") for d in depends) and any(d.startswith("TrailLogsPolicy")
                                                                           for d in depends)
    assert logical_id.startswith("Trail")


def test_trail_bucket_is_locked_encrypted_with_the_trail_key_tls_only_and_retained(stack):
    AuditTrail(stack, "Trail")
    key_id, _ = only(stack, "AWS::KMS::Key")
    bucket_id, bucket = trail_bucket(stack)
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]}, "SSEAlgorithm": "aws:kms"},
    }]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 365}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["LoggingConfiguration"]["LogFilePrefix"] == "Trail/"
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireLogFiles"]["ExpirationInDays"] == 2192
    # S3 refuses ExpiredObjectDeleteMarker beside ExpirationInDays, ExpirationDate or TagFilters (MalformedXML).
    assert rules["ExpireLogFiles"].keys() == {"Id", "Status", "ExpirationInDays"}
    assert rules["NoncurrentLogFiles"] == {"Id": "NoncurrentLogFiles", "Status": "Enabled",
                                           "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
                                           "ExpiredObjectDeleteMarker": True}
    for rule in rules.values():
        assert not ("ExpiredObjectDeleteMarker" in rule
                    and {"ExpirationInDays", "ExpirationDate", "TagFilters"} & rule.keys()), rule
    Template.from_stack(stack).has_resource_properties("AWS::S3::BucketPolicy", {
        "Bucket": {"Ref": bucket_id},
        "PolicyDocument": {"Statement": Match.array_with([
            Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
            Match.object_like({"Effect": "Deny", "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}),
        ])},
    })


def test_only_this_trail_may_write_to_its_bucket(stack):
    AuditTrail(stack, "Trail")
    bucket_id, _ = trail_bucket(stack)
    (policy,) = [body["Properties"]["PolicyDocument"]
                 for body in Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
                 if body["Properties"]["Bucket"] == {"Ref": bucket_id}]
    (acl_check,) = statements_with_sid([policy], "AllowCloudTrailAclCheck")
    (write,) = statements_with_sid([policy], "AllowCloudTrailWrite")
    assert acl_check["Principal"] == write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl_check["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    assert write["Action"] == "s3:PutObject"
    assert write["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN,
                                                   "s3:x-amz-acl": "bucket-owner-full-control"}}
    assert write["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/AWSLogs/{ACCOUNT}/*"]]}


def test_the_trail_key_gets_cloudtrail_logs_and_s3_statements(stack):
    trail = AuditTrail(stack, "Trail")
    assert isinstance(trail.key, PhiKey)
    assert set(trail.key.services) == {KeyService.CLOUDTRAIL, KeyService.CLOUDWATCH_LOGS, KeyService.S3}
    assert {"AllowCloudTrailEncryptLogs", "AllowCloudTrailDescribeKey", "AllowCloudTrailLogDecryption",
            "AllowCloudWatchLogsEncryption", "AllowS3UseViaService"} <= key_policy_sids(stack, "TrailKey")
    Template.from_stack(stack).has_resource_properties("AWS::KMS::Alias", {
        "AliasName": "alias/omics-secure/TestStack/Trail"})


def test_log_group_is_encrypted_named_retained_for_a_year(stack):
    AuditTrail(stack, "Trail")
    key_id, _ = only(stack, "AWS::KMS::Key")
    _, log_group = only(stack, "AWS::Logs::LogGroup")
    assert log_group["DeletionPolicy"] == "Retain"
    assert log_group["Properties"] == {
        "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        "LogGroupName": f"/omics-secure/cloudtrail/{TRAIL_NAME}",
        "RetentionInDays": 365,
    }


def test_logs_role_may_only_write_cloudtrails_own_streams(stack):
    AuditTrail(stack, "Trail")
    _, role = only(stack, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}]
    assert "Policies" not in role["Properties"]
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    _, policy = only(stack, "AWS::IAM::ManagedPolicy")
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [{
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/omics-secure/cloudtrail/{TRAIL_NAME}"
                     f":log-stream:{ACCOUNT}_CloudTrail_*"),
    }]


def test_data_events_cover_phi_buckets_replicas_and_imported_buckets_once(app, stack):
    replica_stack = cdk.Stack(app, "ReplicaStack", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    replica = PhiReplicaBucket(replica_stack, "Replica")
    phi = PhiBucket(stack, "Phi", replica=replica)
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "genomics-reads-study42")
    trail = AuditTrail(stack, "Trail", data_buckets=[phi, replica])
    trail.add_data_bucket(imported)
    trail.add_data_bucket(phi)
    _, body = only(stack, "AWS::CloudTrail::Trail")
    phi_id = next(lid for lid, body in Template.from_stack(stack).find_resources("AWS::S3::Bucket").items()
                  if {"Key": "omics-secure:data-classification", "Value": "phi"} in body["Properties"]["Tags"])
    assert body["Properties"]["EventSelectors"] == [{
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [
            {"Fn::Join": ["", [{"Fn::GetAtt": [phi_id, "Arn"]}, "/"]]},
            f"{replica.bucket_arn_literal}/",
            "arn:aws:s3:::genomics-reads-study42/",
        ]}],
        "IncludeManagementEvents": True,
        "ReadWriteType": "All",
    }]
    assert len(trail.data_resources) == 3


def test_a_plain_kms_key_of_the_app_gets_the_statements_a_foreign_key_a_warning(app):
    own = cdk.Stack(app, "Own", env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = kms.Key(own, "Key", enable_key_rotation=True)
    AuditTrail(own, "Trail", key=key)
    sids = {s.get("Sid") for s in only(own, "AWS::KMS::Key")[1]["Properties"]["KeyPolicy"]["Statement"]}
    assert {"AllowCloudTrailEncryptLogs", "AllowCloudWatchLogsEncryption", "AllowS3UseViaService"} <= sids
    foreign = cdk.Stack(app, "Foreign", env=cdk.Environment(account=ACCOUNT, region=REGION))
    imported = kms.Key.from_key_arn(foreign, "Imported", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab")
    AuditTrail(foreign, "Trail", key=imported)
    Annotations.from_stack(foreign).has_warning("/Foreign/Trail", Match.string_like_regexp(
        "is not a PhiKey of this app: its owner must add the key-policy statements AllowCloudTrailEncryptLogs"))
    Template.from_stack(foreign).resource_count_is("AWS::KMS::Key", 0)


def test_a_given_phi_key_is_shared_and_destroy_warns(stack):
    key = PhiKey(stack, "AuditKey")
    trail = AuditTrail(stack, "Trail", key=key, removal_policy=cdk.RemovalPolicy.DESTROY,
                       log_group_retention=logs.RetentionDays.TWO_YEARS,
                       object_lock_retention=cdk.Duration.days(90), log_file_retention=cdk.Duration.days(400))
    assert trail.key is key and KeyService.CLOUDTRAIL in key.services
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 1)
    _, log_group = only(stack, "AWS::Logs::LogGroup")
    assert log_group["DeletionPolicy"] == "Delete" and log_group["Properties"]["RetentionInDays"] == 731
    _, bucket = trail_bucket(stack)
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Days"] == 90
    Annotations.from_stack(stack).has_warning("/TestStack/Trail", Match.string_like_regexp(
        "removal_policy=DESTROY: deleting the stack deletes the trail"))


# --- AuditTrail: errors ------------------------------------------------------------------------------------

def test_trail_needs_a_concrete_environment(app):
    agnostic = cdk.Stack(app, "Agnostic")
    with pytest.raises(OmicsSecureConfigError, match=r"env=\"stack 'Agnostic'\": the account and region must be "
                                                     r"literal for a trail's ARN in its bucket policy"):
        AuditTrail(agnostic, "Trail")


@pytest.mark.parametrize(("name", "fix"), [
    ("ab", "use 3-128 letters"),
    ("my--trail", "no two punctuation marks in a row"),
    ("10.0.0.1", "not an IP address"),
    ("audit-123-45-6789", r"it looks like PHI \(social security number\)"),
])
def test_trail_names_follow_cloudtrail_rules_and_carry_no_phi(stack, name, fix):
    with pytest.raises(OmicsSecureConfigError, match=rf"AuditTrail 'Trail': invalid props\n  - trail_name=.*{fix}"):
        AuditTrail(stack, "Trail", trail_name=name)


def test_trail_name_must_be_literal(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"pass a literal name: the bucket policy names the trail's ARN"):
        AuditTrail(stack, "Trail", trail_name=cdk.Aws.STACK_NAME)


def test_name_suffix_renames_the_retained_trail_and_log_group(stack):
    trail = AuditTrail(stack, "Trail", name_suffix="r2")
    assert trail.trail_name == f"{TRAIL_NAME}-r2"
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::CloudTrail::Trail", {"TrailName": f"{TRAIL_NAME}-r2"})
    template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": f"/omics-secure/cloudtrail/{TRAIL_NAME}-r2"})


@pytest.mark.parametrize("kwargs, match", [
    ({"name_suffix": "Two"}, r"name_suffix='Two': use 1-8 lower-case letters or digits"),
    ({"name_suffix": "r2", "trail_name": "audit"}, r"name_suffix='r2': the suffix changes the default trail name"),
])
def test_name_suffix_errors(stack, kwargs, match):
    with pytest.raises(OmicsSecureConfigError, match=match):
        AuditTrail(stack, "Trail", **kwargs)


def test_every_bad_trail_prop_is_reported_at_once(app, stack):
    other = cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    with pytest.raises(OmicsSecureConfigError) as raised:
        AuditTrail(stack, "Trail", key=PhiKey(other, "Key"), log_group_retention=logs.RetentionDays.INFINITE,
                   object_lock_retention=cdk.Duration.days(0), log_file_retention=cdk.Duration.hours(36),
                   removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    message = str(raised.value)
    assert "key=PhiKey at West/Key: the key is in us-west-2, this stack in us-east-1" in message
    assert "log_group_retention=RetentionDays.INFINITE" in message and "pass a finite logs.RetentionDays" in message
    assert "object_lock_retention='0 days': must be 1 to 36500 days" in message
    assert "log_file_retention='1 day 12 hours': use a whole number of days" in message
    assert "removal_policy=RemovalPolicy.SNAPSHOT" in message and "use RETAIN (the default) or DESTROY" in message
    with pytest.raises(OmicsSecureConfigError, match=r"data_buckets\[0\]='genomics-reads': pass an s3.IBucket"):
        AuditTrail(stack, "Trail", data_buckets=["genomics-reads"])  # type: ignore[list-item]


def test_key_must_be_a_key_and_durations_durations(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"key='alias/audit': pass a kms.IKey"):
        AuditTrail(stack, "Trail", key="alias/audit")  # type: ignore[arg-type]
    with pytest.raises(OmicsSecureConfigError, match=r"object_lock_retention=30: pass a cdk.Duration"):
        AuditTrail(stack, "Trail", object_lock_retention=30)  # type: ignore[arg-type]


def test_log_files_must_outlive_their_lock(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"log_file_retention='30 days': keep log files longer than "
                                                     r"their object-lock retention \(365 days\)"):
        AuditTrail(stack, "Trail", log_file_retention=cdk.Duration.days(30))


def test_a_bucket_of_another_regions_stack_is_refused_with_the_alternatives(app, stack):
    west = cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    bucket = s3.Bucket(west, "Reads")
    with pytest.raises(OmicsSecureConfigError, match=r"data_buckets=Bucket at West/Reads: the bucket's stack is in "
                                                     r"us-west-2, "
                                                     r"the trail's in us-east-1.*pass a PhiReplicaBucket"):
        AuditTrail(stack, "Trail", data_buckets=[bucket])


def test_at_most_250_data_buckets(stack):
    buckets = [s3.Bucket.from_bucket_name(stack, f"B{i}", f"genomics-{i:03d}") for i in range(251)]
    with pytest.raises(OmicsSecureConfigError, match=r"data_buckets='251 buckets': a trail logs data events for at "
                                                     r"most 250 buckets"):
        AuditTrail(stack, "Trail", data_buckets=buckets)
    trail = AuditTrail(stack, "Trail", data_buckets=buckets[:250])
    with pytest.raises(OmicsSecureConfigError, match=r"bucket=imported resource at TestStack/B250 "
                                                     r"\(arn:aws:s3:::genomics-250\): the trail already "
                                                     r"logs data events "
                                                     r"for 250 buckets"):
        trail.add_data_bucket(buckets[250])
    trail.add_data_bucket(buckets[0])  # already logged: skipped, not refused
    assert len(trail.data_resources) == 250


# --- AlertTopic ----------------------------------------------------------------------------------------------

def test_alert_topic_is_encrypted_tls_only_and_open_to_this_accounts_alarms_and_rules(stack):
    alerts = AlertTopic(stack, "Alerts", email="security-alerts@example.org")
    key_id, _ = only(stack, "AWS::KMS::Key")
    topic_id, topic = only(stack, "AWS::SNS::Topic")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert alerts.topic_arn and isinstance(alerts.key, PhiKey) and KeyService.SNS in alerts.key.services
    _, policy = only(stack, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    (alarms,) = statements_with_sid([policy["Properties"]["PolicyDocument"]], "AllowCloudWatchAlarmsPublish")
    (rules,) = statements_with_sid([policy["Properties"]["PolicyDocument"]], "AllowEventBridgeRulesPublish")
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
                                   "StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert rules["Principal"] == {"Service": "events.amazonaws.com"}
    assert rules["Condition"] == {"ArnLike": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/*"},
                                  "StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert "AllowAlarmAndEventPublishersToEncryptedTopics" in key_policy_sids(stack, "AlertsKey")
    Template.from_stack(stack).has_resource_properties("AWS::SNS::Subscription", {
        "Protocol": "email", "Endpoint": "security-alerts@example.org", "TopicArn": {"Ref": topic_id}})


def test_alert_topic_without_email_has_no_subscription(stack):
    AlertTopic(stack, "Alerts")
    Template.from_stack(stack).resource_count_is("AWS::SNS::Subscription", 0)


@pytest.mark.parametrize("email", ["security team", "alerts@", "a@b", "x@example.org, y@example.org"])
def test_alert_email_must_be_one_address(stack, email):
    with pytest.raises(OmicsSecureConfigError, match=r"email=.*: pass one e-mail address"):
        AlertTopic(stack, "Alerts", email=email)


def test_alert_topic_errors(app, stack):
    with pytest.raises(OmicsSecureConfigError) as raised:
        AlertTopic(stack, "Alerts", key="k")  # type: ignore[arg-type]
    assert "key='k': pass a kms.IKey" in str(raised.value)
    with pytest.raises(OmicsSecureConfigError, match=r"display_name='': use 1 to 100"):
        AlertTopic(stack, "Alerts", display_name="")
    with pytest.raises(OmicsSecureConfigError, match=r"the account and region must be literal for the publishers' "
                                                     r"aws:SourceArn"):
        AlertTopic(cdk.Stack(app, "Agnostic"), "Alerts")


# --- KeyWatch --------------------------------------------------------------------------------------------------

def test_key_watch_alerts_on_the_five_key_events_of_every_key(stack):
    alerts = AlertTopic(stack, "Alerts")
    KeyWatch(stack, "KeyWatch", alerts=alerts)
    topic_id, _ = only(stack, "AWS::SNS::Topic")
    _, rule = only(stack, "AWS::Events::Rule")
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.kms"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["kms.amazonaws.com"],
                   "eventName": ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "RevokeGrant", "RetireGrant"]},
    }
    assert list(KMS_KEY_EVENT_NAMES) == rule["Properties"]["EventPattern"]["detail"]["eventName"]
    assert rule["Properties"]["State"] == "ENABLED"
    assert rule["Properties"]["Targets"] == [{"Arn": {"Ref": topic_id}, "Id": "Target0"}]


def test_key_watch_can_watch_given_keys_only(stack):
    key = PhiKey(stack, "DataKey")
    KeyWatch(stack, "KeyWatch", alerts=AlertTopic(stack, "Alerts"), keys=[key])
    _, rule = only(stack, "AWS::Events::Rule")
    key_id = next(lid for lid in Template.from_stack(stack).find_resources("AWS::KMS::Key") if lid.startswith("Data"))
    assert rule["Properties"]["EventPattern"]["detail"]["resources"] == {"ARN": [{"Fn::GetAtt": [key_id, "Arn"]}]}


def test_key_watch_errors(app, stack):
    west = cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    with pytest.raises(OmicsSecureConfigError) as raised:
        KeyWatch(stack, "KeyWatch", alerts="arn:aws:sns:us-east-1:111122223333:alerts",  # type: ignore[arg-type]
                 keys=["alias/data"])  # type: ignore[list-item]
    message = str(raised.value)
    assert "alerts='arn:aws:sns:us-east-1:111122223333:alerts': pass an AlertTopic" in message
    assert "keys[0]='alias/data': pass a kms.IKey" in message
    with pytest.raises(OmicsSecureConfigError, match=r"keys\[0\]=PhiKey at West/Key: the key is in us-west-2, "
                                                     r"this stack in us-east-1"):
        KeyWatch(stack, "KeyWatch", alerts=AlertTopic(stack, "Topic"), keys=[PhiKey(west, "Key")])


# --- AccountAlarms -------------------------------------------------------------------------------------------

def test_account_alarms_filter_the_trail_log_group_and_alarm_to_the_topic(stack):
    trail = AuditTrail(stack, "Trail")
    alerts = AlertTopic(stack, "Alerts", key=trail.key)
    alarms = AccountAlarms(stack, "Alarms", trail=trail, alerts=alerts)
    assert set(alarms.alarms) == set(AccountAlarm)
    template = Template.from_stack(stack)
    topic_id, _ = only(stack, "AWS::SNS::Topic")
    filters = template.find_resources("AWS::Logs::MetricFilter")
    assert len(filters) == 5
    patterns = {f["Properties"]["MetricTransformations"][0]["MetricName"]: f["Properties"]["FilterPattern"]
                for f in filters.values()}
    log_group_id, _ = only(stack, "AWS::Logs::LogGroup")
    assert all(f["Properties"]["LogGroupName"] == {"Ref": log_group_id} for f in filters.values())
    assert '$.userIdentity.type = "Root"' in patterns["RootUse"]
    assert '$.additionalEventData.MFAUsed != "Yes"' in patterns["ConsoleSignInWithoutMfa"]
    assert '"AccessDenied*"' in patterns["UnauthorizedApiCalls"]
    assert "($.eventName = DetachRolePolicy)" in patterns["IamPolicyChanges"]
    assert "($.eventName = PutBucketPolicy)" in patterns["BucketPolicyChanges"]
    for f in filters.values():
        assert f["Properties"]["MetricTransformations"][0]["MetricNamespace"] == "OmicsSecure/CloudTrail"
        assert f["Properties"]["MetricTransformations"][0]["MetricValue"] == "1"
    found = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(found) == 5
    for alarm in found.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["Properties"]["Threshold"] == 1 and alarm["Properties"]["TreatMissingData"] == "notBreaching"
        assert alarm["Properties"]["Statistic"] == "Sum" and alarm["Properties"]["Period"] == 300


def test_account_alarms_subset_and_errors(stack):
    trail = AuditTrail(stack, "Trail")
    alerts = AlertTopic(stack, "Alerts", key=trail.key)
    AccountAlarms(stack, "Alarms", trail=trail, alerts=alerts, alarms=[AccountAlarm.ROOT_USE, AccountAlarm.ROOT_USE])
    Template.from_stack(stack).resource_count_is("AWS::CloudWatch::Alarm", 1)
    with pytest.raises(OmicsSecureConfigError) as raised:
        AccountAlarms(stack, "Bad", trail="trail", alerts=None)  # type: ignore[arg-type]
    message = str(raised.value)
    assert "trail='trail': pass an AuditTrail" in message and "alerts=None: pass an AlertTopic" in message
    with pytest.raises(OmicsSecureConfigError, match=r"alarms=\[\]: pass one or more of AccountAlarm.UNAUTHORIZED"):
        AccountAlarms(stack, "Bad", trail=trail, alerts=alerts, alarms=[])


# --- every pack ----------------------------------------------------------------------------------------------

def build_monitoring(stack: cdk.Stack, **trail_props: Any) -> AuditTrail:
    trail = AuditTrail(stack, "Trail", **trail_props)
    alerts = AlertTopic(stack, "Alerts", key=trail.key, email="security-alerts@example.org")
    KeyWatch(stack, "KeyWatch", alerts=alerts)
    AccountAlarms(stack, "Alarms", trail=trail, alerts=alerts)
    return trail


def test_trail_alerts_and_alarms_pass_every_pack_and_cfn_lint(stack, compliant):
    build_monitoring(stack)
    result = compliant(stack)
    assert {f.rule_id for f in result.acknowledged_findings} == {
        "HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled",
        "HIPAA.Security-S3DefaultEncryptionKMS", "NIST.800.53.R5-S3DefaultEncryptionKMS",
        f"AwsSolutions-IAM5[Resource::arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/omics-secure/cloudtrail/"
        f"{TRAIL_NAME}:log-stream:{ACCOUNT}_CloudTrail_*]",
        # The trail's name is in its bucket's policy (aws:SourceArn); the log group is named after it.
        "OmicsSecure-RetainedResourceFixedName",
    }
    fixed_names = {f.construct_path for f in result.acknowledged_findings
                   if f.rule_id == "OmicsSecure-RetainedResourceFixedName"}
    assert {path.split("/", 1)[1] for path in fixed_names} == {"Trail/Resource", "Trail/LogGroup/Resource"}


UNREPLICATED = {"HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled"}


@pytest.mark.slow
def test_a_phi_bucket_the_trail_logs_passes_the_data_event_rule(stack):
    phi = PhiBucket(stack, "Phi")
    build_monitoring(stack, data_buckets=[phi])
    result = check_compliance(stack)
    assert not result.lint_errors
    # cdk-nag still reports the PHI bucket without a replica (test_storage covers replication).
    assert result.open_rule_ids() == UNREPLICATED, result.describe()


@pytest.mark.slow
def test_a_phi_bucket_the_trail_does_not_log_is_reported(stack):
    PhiBucket(stack, "Phi")
    build_monitoring(stack)
    result = check_compliance(stack)
    assert result.open_rule_ids() == UNREPLICATED | {"OmicsSecure-CloudTrailPhiBucketDataEvents"}
    (finding,) = [f for f in result.open_findings if f.rule_id == "OmicsSecure-CloudTrailPhiBucketDataEvents"]
    assert finding.construct_path == "TestStack/Phi/Resource/Resource"


@pytest.mark.slow
def test_a_key_watch_limited_to_other_keys_leaves_this_key_reported(stack):
    trail = AuditTrail(stack, "Trail")
    alerts = AlertTopic(stack, "Alerts", key=trail.key)
    KeyWatch(stack, "KeyWatch", alerts=alerts, keys=[trail.key])
    PhiKey(stack, "Unwatched")
    result = check_compliance(stack)
    assert result.open_rule_ids() == {"OmicsSecure-KMSKeyEventsAlerted"}
    (finding,) = result.open_findings
    assert finding.construct_path == "TestStack/Unwatched/Resource"


# --- AccountSecurityServices (AWS Config and Macie: account-level singletons) ------------------------------

def test_account_services_create_nothing_unless_asked_for_by_name(stack):
    trail = AuditTrail(stack, "Trail")
    with pytest.raises(OmicsSecureConfigError, match=r"config_recorder=False: both services are off: pass "
                                                     r"config_recorder=True and/or macie=True"):
        AccountSecurityServices(stack, "Account", trail=trail)
    with pytest.raises(OmicsSecureConfigError, match=r"config_rules=\['ROOT_ACCOUNT_MFA_ENABLED'\]: managed rules "
                                                     r"need the recorder"):
        AccountSecurityServices(stack, "Account", trail=trail, macie=True,
                                config_rules=[ConfigRule.ROOT_ACCOUNT_MFA_ENABLED])


def test_config_recorder_delivers_to_its_own_unlocked_bucket_encrypted_and_runs_the_managed_rules(stack):
    trail = AuditTrail(stack, "Trail")
    services = AccountSecurityServices(stack, "Account", trail=trail, config_recorder=True)
    template = Template.from_stack(stack)
    _, recorder = only(stack, "AWS::Config::ConfigurationRecorder")
    assert recorder["Properties"] == {
        "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": True},
    }
    key_id, _ = only(stack, "AWS::KMS::Key")
    trail_bucket_id, _ = trail_bucket(stack)
    recorder_id, _ = only(stack, "AWS::Config::ConfigurationRecorder")
    # AWS Config refuses a delivery bucket with object lock, and the trail's has it.
    bucket_id = stack.get_logical_id(services.config_bucket.node.default_child)  # type: ignore[arg-type]
    config_bucket = template.to_json()["Resources"][bucket_id]
    assert bucket_id != trail_bucket_id and "ObjectLockEnabled" not in config_bucket["Properties"]
    assert config_bucket["DeletionPolicy"] == "Retain"
    (encryption,) = config_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {"KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                                                           "SSEAlgorithm": "aws:kms"}
    channel_id, channel = only(stack, "AWS::Config::DeliveryChannel")
    # "Before you can create a delivery channel, you must create a configuration recorder."
    assert recorder_id in channel["DependsOn"]
    assert channel["Properties"]["S3BucketName"] == {"Ref": bucket_id}
    assert channel["Properties"]["S3KeyPrefix"] == "config"
    assert channel["Properties"]["S3KmsKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    rules = template.find_resources("AWS::Config::ConfigRule")
    assert len(rules) == len(ConfigRule) == len(services.rules)
    identifiers = {body["Properties"]["Source"]["SourceIdentifier"] for body in rules.values()}
    assert identifiers == {rule.value for rule in ConfigRule}
    assert all(channel_id in body["DependsOn"] for body in rules.values())
    (policy,) = [body["Properties"]["PolicyDocument"]
                 for body in template.find_resources("AWS::S3::BucketPolicy").values()
                 if body["Properties"]["Bucket"] == {"Ref": bucket_id}]
    (delivery,) = statements_with_sid([policy], "AllowConfigDelivery")
    assert delivery["Principal"] == {"Service": "config.amazonaws.com"}
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT,
                                                      "s3:x-amz-acl": "bucket-owner-full-control"}}
    assert delivery["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]},
                                                      f"/config/AWSLogs/{ACCOUNT}/Config/*"]]}
    assert "AllowConfigDeliveryEncryption" in key_policy_sids(stack, "TrailKey")
    template.resource_count_is("AWS::Macie::Session", 0)
    template.resource_count_is("AWS::IAM::ServiceLinkedRole", 0)


def test_config_recorder_options_and_macie(stack):
    trail = AuditTrail(stack, "Trail")
    AccountSecurityServices(stack, "Account", trail=trail, config_recorder=True, record_global_resources=False,
                            create_config_service_linked_role=True, config_rules=[ConfigRule.CLOUD_TRAIL_ENABLED],
                            macie=True, macie_finding_frequency=MacieFrequency.ONE_HOUR)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Config::ConfigurationRecorder", {
        "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": False}})
    template.has_resource_properties("AWS::IAM::ServiceLinkedRole", {"AWSServiceName": "config.amazonaws.com"})
    template.resource_count_is("AWS::Config::ConfigRule", 1)
    _, session = only(stack, "AWS::Macie::Session")
    assert session["Properties"] == {"Status": "ENABLED", "FindingPublishingFrequency": "ONE_HOUR",
                                     "AutomatedDiscoveryStatus": "ENABLED"}


def test_account_services_errors(stack):
    with pytest.raises(OmicsSecureConfigError) as raised:
        AccountSecurityServices(stack, "Account", trail="trail", macie=True,  # type: ignore[arg-type]
                                config_rules=["S3_BUCKET_LOGGING_ENABLED"],  # type: ignore[list-item]
                                macie_finding_frequency="HOURLY")  # type: ignore[arg-type]
    message = str(raised.value)
    assert "trail='trail': pass an AuditTrail" in message
    assert "config_rules[0]='S3_BUCKET_LOGGING_ENABLED': pass ConfigRule.S3_BUCKET_LOGGING_ENABLED" in message
    assert "macie_finding_frequency='HOURLY': pass a member of MacieFrequency" in message


def test_config_and_macie_pass_every_pack_and_cfn_lint(stack, compliant):
    trail = build_monitoring(stack)
    AccountSecurityServices(stack, "Account", trail=trail, config_recorder=True, macie=True)
    compliant(stack)


def test_grant_read_lets_an_auditor_read_log_files_through_s3_only(stack):
    trail = AuditTrail(stack, "Trail")
    auditor = iam.Role(stack, "Auditor", assumed_by=iam.AccountRootPrincipal())
    assert trail.grant_read(auditor).success
    key_id, _ = only(stack, "AWS::KMS::Key")
    bucket_id, _ = trail_bucket(stack)
    # In the role's OmicsSecureGrants managed policy, as every grant of the project (no inline policy).
    Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)
    (policy,) = [body for lid, body in Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").items()
                 if lid.startswith("AuditorOmicsSecureGrants")]
    assert policy["Properties"]["Roles"] == [{"Ref": next(
        lid for lid in Template.from_stack(stack).find_resources("AWS::IAM::Role") if lid.startswith("Auditor"))}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [bucket_id, "Arn"]}},
        {"Action": ["s3:GetObject", "s3:GetObjectVersion"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/AWSLogs/{ACCOUNT}/*"]]}},
        {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}},
    ]
