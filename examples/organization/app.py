#!/usr/bin/env python3
"""An institute's organization: one environment per controlled-access project, guardrails, and the roll-out.

Reads ``projects.json`` (or the file named by context ``omics-secure:projects-file``) and builds the
guardrails stack (management account), and the self-mutating pipeline (tooling account) that deploys
each project's environment into its own account in waves, gated by ``omics-secure check`` and followed by
``omics-secure verify``. See README.md. Run it from this folder:

    omics-secure check          # synthesize with every compliance pack; exit 0 when nothing is open
    omics-secure report         # the data-protection summary, with every project and its dates
"""

from pathlib import Path

import aws_cdk as cdk

from omics_secure.stacks.organization import build_organization_app

app = cdk.App()
projects_file = app.node.try_get_context("omics-secure:projects-file") or Path(__file__).parent / "projects.json"
build_organization_app(app, projects_file)
app.synth()
