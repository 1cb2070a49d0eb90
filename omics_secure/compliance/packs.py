"""The project's rule packs. Packs are data: a name and the rules it runs."""

from omics_secure._internal.tags import OMICS_SECURE_PACK_NAME
from omics_secure.compliance.model import Pack
from omics_secure.compliance.rules.access import ACCESS_RULES
from omics_secure.compliance.rules.airlock import AIRLOCK_RULES
from omics_secure.compliance.rules.audit import AUDIT_RULES
from omics_secure.compliance.rules.backup import BACKUP_RULES
from omics_secure.compliance.rules.deploy import DEPLOY_RULES
from omics_secure.compliance.rules.deploy_environment import DEPLOY_ENVIRONMENT_RULES
from omics_secure.compliance.rules.images import IMAGE_RULES
from omics_secure.compliance.rules.kms import KMS_RULES
from omics_secure.compliance.rules.network import NETWORK_RULES
from omics_secure.compliance.rules.omics import OMICS_RULES
from omics_secure.compliance.rules.organization import ORGANIZATION_RULES
from omics_secure.compliance.rules.readers import READER_RULES
from omics_secure.compliance.rules.s3 import S3_RULES
from omics_secure.compliance.rules.stacks import STACK_RULES

OMICS_SECURE_PACK = Pack(
    name=OMICS_SECURE_PACK_NAME,
    rules=(*KMS_RULES, *S3_RULES, *NETWORK_RULES, *OMICS_RULES, *IMAGE_RULES, *AUDIT_RULES, *DEPLOY_RULES,
           *DEPLOY_ENVIRONMENT_RULES, *ACCESS_RULES, *BACKUP_RULES, *ORGANIZATION_RULES, *AIRLOCK_RULES,
           *STACK_RULES, *READER_RULES),
)
"""The deploy-time rules are in this pack, not a second one: every app that registers OmicsSecure (and
``omics-secure check``) gets them with nothing more to register, and CDK's validation report, the command's
summary and its JUnit/SARIF files stay one pack per source. ``DEPLOY_RULES`` and ``DEPLOY_ENVIRONMENT_RULES``
alone make a pack of their own: ``Pack(name="OmicsSecureDeploy", rules=(*DEPLOY_RULES, *DEPLOY_ENVIRONMENT_RULES))``."""
