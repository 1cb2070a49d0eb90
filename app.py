#!/usr/bin/env python3
"""The omics-secure reference environment: ``npx aws-cdk@2 synth`` or ``make check``."""

import omics_secure  # noqa: F401  (first: keeps the jsii Node.js banner out of the output)
from omics_secure.stacks import build_reference_app

build_reference_app().synth()
