"""The README's airlock example runs as written, and what it builds passes every pack and cfn-lint."""

from __future__ import annotations

import pytest
from aws_cdk import aws_iam as iam

from omics_secure import AuditTrail, IsolatedVpc, PhiBucket, PhiKey, PhiReplicaBucket
from omics_secure.airlock import Airlock
from tests.harness import ACCOUNT, REPLICA_REGION
from tests.test_readme_people import python_blocks, section

pytestmark = pytest.mark.slow  # runs the four packs


def test_the_airlock_example_runs_and_is_clean(app, stack, compliant):
    import aws_cdk as cdk

    key = PhiKey(stack, "DataKey")
    replica = PhiReplicaBucket(cdk.Stack(app, "Replica", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION)),
                               "Replica")
    data = PhiBucket(stack, "PhiData", key=key, replica=replica)
    namespace = {"stack": stack, "data": data, "network": IsolatedVpc(stack, "Network", key=key),
                 "trail": AuditTrail(stack, "AuditTrail", data_buckets=[data]),
                 # Outside the environment, signed in with MFA, until the release is collected.
                 "analysis_role": iam.Role(stack, "PrincipalInvestigator", assumed_by=iam.ArnPrincipal(
                     f"arn:aws:iam::{ACCOUNT}:role/PI").with_conditions({
                         "Bool": {"aws:MultiFactorAuthPresent": "true"},
                         "DateLessThan": {"aws:CurrentTime": "2030-06-30T00:00:00Z"}}))}
    (block, *_) = python_blocks(section("The airlock"))
    exec(compile(block, "README.md#the-airlock", "exec"), namespace)  # the README's own example, as written
    airlock = namespace["airlock"]
    assert isinstance(airlock, Airlock) and len(airlock.buckets) == 3
    compliant(stack)
