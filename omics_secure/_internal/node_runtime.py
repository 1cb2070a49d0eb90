"""Keep the jsii runtime's Node.js end-of-life banner out of users' output.

jsii prints a multi-line banner on stderr when the Node.js it runs on is past its end of life
(Node 20 since 2026-10-30). The banner is printed when the first jsii assembly loads, so this
module must be imported before ``aws_cdk``; ``omics_secure/__init__.py`` does that. A value the
user already set is kept.
"""

import os

_SILENCE_VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
_SILENCED_MAJOR_VERSIONS = "20"


def silence_end_of_life_banner() -> None:
    os.environ.setdefault(_SILENCE_VARIABLE, _SILENCED_MAJOR_VERSIONS)
