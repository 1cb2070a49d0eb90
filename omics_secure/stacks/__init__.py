"""Reference stacks: compositions of the constructs, with no resource logic of their own."""

from omics_secure.stacks.reference import (
    ReferenceConfig,
    ReferencePrimaryStack,
    ReferenceReplicaStack,
    build_reference_app,
)

__all__ = ["ReferenceConfig", "ReferencePrimaryStack", "ReferenceReplicaStack", "build_reference_app"]
