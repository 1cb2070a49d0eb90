"""Grants that land in a customer-managed policy attached to the role, never in an inline policy.

CDK's ``grant_*`` methods write into the role's default inline policy, which cdk-nag's HIPAA.Security and
NIST.800.53.R5 packs report (IAMNoInlinePolicy) every time. A role created in this app instead gets one
customer-managed policy, ``OmicsSecureGrants``, that collects every grant the project's constructs make.
Other principals (imported roles, users, service principals) keep CDK's default behaviour.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

GRANTS_POLICY_ID = "OmicsSecureGrants"


def add_to_grantee_policy(grantee: iam.IGrantable, *statements: iam.PolicyStatement) -> iam.ManagedPolicy | None:
    """Add ``statements`` to the grantee's ``OmicsSecureGrants`` managed policy; returns that policy.

    A customer-managed policy passed as the grantee (a construct that keeps its role's permissions in
    one policy of its own) receives the statements itself and is returned. For any other grantee the
    statements go where CDK would put them, and ``None`` is returned.
    """
    if isinstance(grantee, iam.ManagedPolicy):
        grantee.add_statements(*statements)
        return grantee
    role = grantee if isinstance(grantee, iam.Role) else None
    if role is None:
        for statement in statements:
            grantee.grant_principal.add_to_principal_policy(statement)
        return None
    policy = role.node.try_find_child(GRANTS_POLICY_ID)
    if not isinstance(policy, iam.ManagedPolicy):
        policy = iam.ManagedPolicy(
            role, GRANTS_POLICY_ID, roles=[role],
            description="Grants made by omics-secure constructs (data stores and keys), least privilege")
    policy.add_statements(*statements)
    return policy
