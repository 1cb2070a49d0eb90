"""Grants that land in a customer-managed policy attached to the role, never in an inline policy.

CDK's ``grant_*`` methods write into the role's default inline policy, which cdk-nag's HIPAA.Security and
NIST.800.53.R5 packs report (IAMNoInlinePolicy) every time. A role created in this app instead gets one
customer-managed policy, ``OmicsSecureGrants``, that collects every grant the project's constructs make.
Other principals (imported roles, users, service principals) keep CDK's default behaviour.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

GRANTS_POLICY_ID = "OmicsSecureGrants"


def add_to_grantee_policy(grantee: iam.IGrantable,
                          *statements: iam.PolicyStatement) -> tuple[iam.Grant, iam.ManagedPolicy | None]:
    """Grant ``statements`` to ``grantee``; returns the ``iam.Grant`` and the managed policy that holds them.

    A role of this app gets them in its ``OmicsSecureGrants`` managed policy. A customer-managed policy
    passed as the grantee (a construct that keeps its role's permissions in one policy of its own)
    receives the statements itself. For any other grantee the statements go where CDK would put them,
    and the policy is ``None``.
    """
    target: iam.IGrantable = grantee
    policy: iam.ManagedPolicy | None = None
    if isinstance(grantee, iam.ManagedPolicy):
        policy = grantee
    elif isinstance(grantee, iam.Role):
        found = grantee.node.try_find_child(GRANTS_POLICY_ID)
        policy = found if isinstance(found, iam.ManagedPolicy) else iam.ManagedPolicy(
            grantee, GRANTS_POLICY_ID, roles=[grantee],
            description="Grants made by omics-secure constructs (data stores and keys), least privilege")
    if policy is not None:
        target = policy
    grant: iam.Grant | None = None
    for statement in statements:
        added = iam.Grant.add_to_principal(grantee=target, actions=statement.actions,
                                           resource_arns=statement.resources, conditions=statement.conditions)
        grant = added if grant is None else grant.combine(added)
    assert grant is not None, "add_to_grantee_policy needs at least one statement"
    return grant, policy
