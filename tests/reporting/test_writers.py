"""Where a SARIF result points in the user's source: the first frame of their code in CDK's creation stack."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import omics_secure
from omics_secure.reporting.writers import SourceLocation, source_location

PACKAGE = Path(omics_secure.__file__).resolve().parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def test_the_first_frame_outside_libraries_and_this_package_s_constructs_is_the_user_s():
    frames = ["...aws-cdk-lib, jsii runtime, node internals...",
              "(no user code in 10 frames, use --stack-trace-limit to capture more)",
              f"__init__ ({PACKAGE / 'storage' / 'phi_bucket.py'}:120)",
              "__init__ (/venv/lib/python3.11/site-packages/some_library/construct.py:4)",
              f"_run_code ({STDLIB / 'runpy.py'}:88)",
              "build (/src/infra/stacks/data.py:31)",
              "<module> (/src/infra/app.py:9)"]
    assert source_location(frames) == SourceLocation(Path("/src/infra/stacks/data.py"), 31)


def test_the_reference_stacks_count_as_user_code():
    frames = [f"__init__ ({PACKAGE / 'keys.py'}:200)", f"__init__ ({PACKAGE / 'stacks' / 'reference.py'}:57)"]
    assert source_location(frames) == SourceLocation(PACKAGE / "stacks" / "reference.py", 57)


def test_no_python_frames_is_no_source_location():
    assert source_location(["...aws-cdk-lib, jsii runtime, node internals...",
                            "(no user code in 10 frames, use --stack-trace-limit to capture more)"]) is None
    assert source_location(["new Bucket (/app/node_modules/aws-cdk-lib/aws-s3/lib/bucket.js:1:2345)"]) is None
