"""Alerts that reach people: the alert topic, the KMS key watch and the account alarms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.events import KMS_KEY_EVENT_NAMES
from omics_secure._internal.labels import check_phi
from omics_secure._internal.props import checked_props
from omics_secure.audit._common import (
    check_same_region,
    child_alias,
    enable_key_services,
    require_concrete_environment,
)
from omics_secure.audit.trail import AuditTrail
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of

ALARM_NAMESPACE = "OmicsSecure/CloudTrail"
# fullmatch, not match with '$': '$' also matches before a trailing newline, which SNS would refuse.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# SNS topic DisplayName: up to 100 characters (SNS API reference, SetTopicAttributes).
DISPLAY_NAME_MAX = 100


class AlertTopic(Construct):
    """The SNS topic security alerts go to: KMS-encrypted, TLS-only, open to this account's alarms and rules.

    Defaults, and why: encrypted with a :class:`PhiKey` (alerts name keys, buckets and principals); a
    topic policy denying sns:Publish without TLS (AWS's documented in-transit control); publishing allowed
    to CloudWatch alarms and EventBridge rules of this account and region only (``aws:SourceArn``); one
    e-mail subscription if ``email`` is given (the address must confirm the subscription before alerts
    arrive).
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, key: KeyLike | None = None, email: str | None = None,
                 display_name: str = "omics-secure security alerts") -> None:
        """
        :param key: encrypts messages at rest. Default: a new :class:`PhiKey` child ``Key``. A PhiKey gets
            the SNS statements (CloudWatch and EventBridge publishers, SNS via-service use) added.
        :param email: an operator address to subscribe, e.g. a security team's list. Default: none (subscribe
            on-call tooling yourself). It is an operator's address, not PHI, and is validated as an e-mail
            address only.
        :param display_name: shown as the sender of e-mail alerts. Default: "omics-secure security alerts".
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"AlertTopic '{id}'")
        require_concrete_environment(problems, stack, "the publishers' aws:SourceArn conditions")
        if email is not None and not is_unresolved(email) and not _EMAIL.fullmatch(email):
            problems.add("email", email, "pass one e-mail address, e.g. 'security-alerts@example.org'")
        if key is not None:
            check_same_region(problems, stack, "key", key_of(key), "SNS encrypts a topic only with a KMS key of "
                                                                   "the topic's region")
        if not 1 <= len(display_name) <= DISPLAY_NAME_MAX:
            problems.add("display_name", display_name, f"use 1 to {DISPLAY_NAME_MAX} characters")
        check_phi(problems, "display_name", display_name)
        problems.raise_if_any()

        super().__init__(scope, id)
        if key is None:
            key = PhiKey(self, "Key", alias=child_alias(stack, id),
                         description="omics-secure: encrypts security alerts")
        key = key_of(key)
        self.key: kms.IKey = key
        enable_key_services(self, key, (KeyService.SNS,))
        self.topic = sns.Topic(self, "Resource", master_key=key, enforce_ssl=True, display_name=display_name)
        for sid, service, source in (
                ("AllowCloudWatchAlarmsPublish", "cloudwatch.amazonaws.com",
                 f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"),
                ("AllowEventBridgeRulesPublish", "events.amazonaws.com",
                 f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*")):
            self.topic.add_to_resource_policy(iam.PolicyStatement(
                sid=sid, principals=[iam.ServicePrincipal(service)], actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": source},
                            "StringEquals": {"aws:SourceAccount": stack.account}}))
        self.email = email
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn

    def event_target(self) -> events.IRuleTarget:
        """An EventBridge rule target that publishes to this topic under the topic's own policy (this account's
        rules only), rather than the unscoped statement ``targets.SnsTopic`` adds."""
        target: events.IRuleTarget = _TopicTarget(self.topic)  # type: ignore[assignment]
        return target


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """An EventBridge target that relies on the AlertTopic's own policy instead of adding an unscoped one."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


class KeyWatch(Construct):
    """An EventBridge rule that alerts when a KMS key is disabled, scheduled for deletion, has its key
    policy replaced, or has a grant revoked or retired.

    It matches CloudTrail's record of those KMS API calls (management events reach EventBridge in the
    key's region with or without a trail) and sends the event to ``alerts``. The HealthOmics guide warns
    that revoking or retiring the grant a store depends on cuts the service off from its data at once;
    a deletion is recoverable only during the key's waiting period, so the alert must reach people then.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, alerts: AlertTopic, keys: Sequence[KeyLike] = ()) -> None:
        """
        :param alerts: where alerts go.
        :param keys: the keys to watch, in this stack's region (EventBridge sees KMS calls in the key's own
            region). Default: every KMS key of the account in this region, which also covers keys created
            later.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"KeyWatch '{id}'")
        if not isinstance(alerts, AlertTopic):
            problems.add("alerts", alerts, "pass an AlertTopic")
        for index, key in enumerate(keys):
            check_same_region(problems, stack, f"keys[{index}]", key_of(key),
                              "EventBridge receives a key's KMS calls only in the key's own region, so this rule "
                              "could never fire for it",
                              "watch it with a KeyWatch in a stack of the key's region, and here only keys of "
                              f"{stack.region}")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.alerts = alerts
        self.keys = tuple(key_of(key) for key in keys)
        detail: dict[str, object] = {"eventSource": ["kms.amazonaws.com"], "eventName": list(KMS_KEY_EVENT_NAMES)}
        if self.keys:
            detail["resources"] = {"ARN": [key.key_arn for key in self.keys]}
        self.rule = events.Rule(
            self, "Resource",
            description="omics-secure: a KMS key was disabled, scheduled for deletion, had its policy replaced, "
                        "or had a grant revoked or retired",
            event_pattern=events.EventPattern(source=["aws.kms"], detail_type=["AWS API Call via CloudTrail"],
                                              detail=detail),
            targets=[alerts.event_target()],
        )


class AccountAlarm(Enum):
    """An account-level alarm on the trail's log group, after the CIS AWS Foundations Benchmark's monitoring
    controls. Each value is a CloudWatch Logs filter pattern over CloudTrail records."""

    UNAUTHORIZED_API_CALLS = (
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
        '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    )
    ROOT_USE = (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType != "AwsServiceEvent" }'
    )
    CONSOLE_SIGN_IN_WITHOUT_MFA = (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    )
    IAM_POLICY_CHANGES = (
        "{ ($.eventSource = iam.amazonaws.com) && (" + " || ".join(f"($.eventName = {name})" for name in (
            "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy",
            "DeleteUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
            "SetDefaultPolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy",
            "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")) + ") }"
    )
    BUCKET_POLICY_CHANGES = (
        "{ ($.eventSource = s3.amazonaws.com) && (" + " || ".join(f"($.eventName = {name})" for name in (
            "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutBucketCors", "DeleteBucketCors",
            "PutBucketLifecycle", "DeleteBucketLifecycle", "PutBucketReplication", "DeleteBucketReplication",
            "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock")) + ") }"
    )


_ALARM_TEXT = {
    AccountAlarm.UNAUTHORIZED_API_CALLS: ("UnauthorizedApiCalls", "API calls refused as unauthorized or access denied"),
    AccountAlarm.ROOT_USE: ("RootUse", "the root user was used"),
    AccountAlarm.CONSOLE_SIGN_IN_WITHOUT_MFA: ("ConsoleSignInWithoutMfa",
                                              "an IAM user signed in to the console without MFA"),
    AccountAlarm.IAM_POLICY_CHANGES: ("IamPolicyChanges", "an IAM policy was created, changed, attached or detached"),
    AccountAlarm.BUCKET_POLICY_CHANGES: ("BucketPolicyChanges",
                                         "an S3 bucket policy, ACL, CORS, lifecycle, replication or public access "
                                         "block was changed"),
}


class AccountAlarms(Construct):
    """Metric filters on an :class:`AuditTrail`'s log group and one alarm per filter, sent to ``alerts``.

    Each alarm fires when its filter matches at least once in five minutes; missing data (no matching
    event) is not breaching. Metrics go to the ``OmicsSecure/CloudTrail`` namespace.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, trail: AuditTrail, alerts: AlertTopic,
                 alarms: Sequence[AccountAlarm] = tuple(AccountAlarm)) -> None:
        """
        :param trail: the trail whose log group is filtered; a multi-region trail with global service events,
            so that console sign-ins and IAM changes (recorded in us-east-1) reach it.
        :param alerts: where alarms go.
        :param alarms: which alarms to create. Default: all of :class:`AccountAlarm`.
        """
        problems = ProblemCollector(f"AccountAlarms '{id}'")
        if not isinstance(trail, AuditTrail):
            problems.add("trail", trail, "pass an AuditTrail (its log group receives the events)")
        if not isinstance(alerts, AlertTopic):
            problems.add("alerts", alerts, "pass an AlertTopic")
        unknown = [a for a in alarms if not isinstance(a, AccountAlarm)]
        if unknown or not alarms:
            problems.add("alarms", list(alarms),
                         "pass one or more of " + ", ".join(f"AccountAlarm.{a.name}" for a in AccountAlarm))
        problems.raise_if_any()

        super().__init__(scope, id)
        self.alarms: dict[AccountAlarm, cloudwatch.Alarm] = {}
        action = cloudwatch_actions.SnsAction(alerts.topic)
        for alarm in dict.fromkeys(alarms):
            name, what = _ALARM_TEXT[alarm]
            metric_filter = logs.MetricFilter(
                self, f"{name}Filter", log_group=trail.log_group,
                filter_pattern=logs.FilterPattern.literal(alarm.value),
                metric_namespace=ALARM_NAMESPACE, metric_name=name, metric_value="1")
            cloudwatch_alarm = cloudwatch.Alarm(
                self, f"{name}Alarm",
                alarm_description=f"omics-secure: {what} (CIS AWS Foundations Benchmark, monitoring)",
                metric=metric_filter.metric(statistic="Sum", period=cdk.Duration.minutes(5)),
                threshold=1, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            cloudwatch_alarm.add_alarm_action(action)
            self.alarms[alarm] = cloudwatch_alarm
