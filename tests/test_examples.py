"""Every app under examples/ passes ``omics-secure check`` as its user would run it, banner-free.

Each example runs as a subprocess from its own folder, with the console script and an environment
without the jsii banner variable, so the check itself must keep the Node.js end-of-life banner out.
Its assembly goes under tmp_path, where the suite's fixture cfn-lints every template.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import REPOSITORY

# examples/own-app is a team's first app, with one open finding on purpose: tests/test_own_app.py runs it from a
# built wheel, in a venv of its own, and expects exit 1.
FIRST_RUN = REPOSITORY / "examples" / "own-app"
EXAMPLES = sorted(path.parent for path in (REPOSITORY / "examples").glob("*/cdk.json") if path.parent != FIRST_RUN)
BANNER_VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def test_the_examples_are_found():
    assert "research_environment" in [path.name for path in EXAMPLES]
    assert (FIRST_RUN / "cdk.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_the_example_passes_every_pack_without_the_node_banner(example: Path, tmp_path: Path):
    command = Path(sys.executable).with_name("omics-secure")
    environment = {name: value for name, value in os.environ.items() if name != BANNER_VARIABLE}
    completed = subprocess.run([str(command), "check", "--output", str(tmp_path / "cdk.out")], cwd=example,
                               env=environment, capture_output=True, text=True, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output  # 0: every pack ran and nothing is open
    assert "end-of-life" not in output and "!!!!" not in output
