"""Reference stacks: compositions of the constructs, with no resource logic of their own."""

from omics_secure.stacks.reference import ReferenceConfig, ReferencePrimaryStack, build_reference_app

__all__ = ["ReferenceConfig", "ReferencePrimaryStack", "build_reference_app"]
