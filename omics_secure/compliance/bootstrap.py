"""Run a Python CDK app with every compliance pack registered: ``python -m omics_secure.compliance.bootstrap app.py``.

``omics-secure check`` uses this so that it can check any Python CDK app, not only ones that call
:func:`add_compliance_packs` themselves. Every ``aws_cdk.App`` the script creates gets the packs
(once: an app that registers them itself is not registered twice), and the names of the packs that
ran are written to ``<outdir>/omics-secure.packs.json`` because CDK's validation report leaves out
packs that found nothing.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

from omics_secure._internal.node_runtime import silence_end_of_life_banner

PACKS_FILE = "omics-secure.packs.json"


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m omics_secure.compliance.bootstrap APP.py [ARGS...]")
    silence_end_of_life_banner()
    import aws_cdk as cdk

    from omics_secure.compliance import nag

    apps: list[cdk.App] = []
    original_init = cdk.App.__init__

    def init_with_packs(self: cdk.App, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        nag.add_compliance_packs(self)
        apps.append(self)

    cdk.App.__init__ = init_with_packs  # type: ignore[method-assign]
    sys.argv = list(argv)
    try:
        runpy.run_path(argv[0], run_name="__main__")
    finally:
        cdk.App.__init__ = original_init  # type: ignore[method-assign]
        for app in apps:
            names = [plugin.name for plugin in nag.registered_packs(app)]
            Path(app.outdir).mkdir(parents=True, exist_ok=True)
            (Path(app.outdir) / PACKS_FILE).write_text(json.dumps(names), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
