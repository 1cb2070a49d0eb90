"""The reference environment deployed by ``app.py``, configured through CDK context."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from omics_secure.compliance.nag import add_compliance_packs
from omics_secure.keys import KeyService, PhiKey

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class ReferenceConfig:
    """Settings read from CDK context (``cdk.json`` or ``-c key=value``); every one has a default.

    ``account`` and ``region`` default to a placeholder account and us-east-1 so that ``cdk synth``
    works with no context and no credentials; set them to deploy.
    """

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION

    @classmethod
    def from_context(cls, scope: Construct) -> ReferenceConfig:
        def context(key: str, default: str) -> str:
            value = scope.node.try_get_context(f"omics-secure:{key}")
            return str(value) if value not in (None, "") else default

        return cls(account=context("account", DEFAULT_ACCOUNT), region=context("region", DEFAULT_REGION))


class ReferencePrimaryStack(cdk.Stack):
    """The primary-region stack: the data key, and (as the project grows) storage, network and services."""

    def __init__(self, scope: Construct, id: str, *, config: ReferenceConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=config.account, region=config.region),
                         description="omics-secure reference environment: primary region")
        self.data_key = PhiKey(
            self, "DataKey",
            services=[
                KeyService.HEALTHOMICS_STORAGE,
                KeyService.HEALTHOMICS_ANALYTICS,
                KeyService.HEALTHOMICS_WORKFLOWS,
                KeyService.HEALTHLAKE,
                KeyService.S3,
                KeyService.CLOUDWATCH_LOGS,
            ],
        )


def build_reference_app(app: cdk.App | None = None) -> cdk.App:
    """The reference app with every compliance pack registered, so synthesis fails on any finding."""
    app = app or cdk.App()
    config = ReferenceConfig.from_context(app)
    ReferencePrimaryStack(app, "OmicsSecurePrimary", config=config)
    add_compliance_packs(app)
    return app
