"""Run a Python CDK app with every compliance pack registered: ``python -m omics_secure.compliance.bootstrap app.py``
(or ``... bootstrap -m package.module``).

``omics-secure check`` uses this so that it can check any Python CDK app, not only ones that call
``add_compliance_packs`` themselves. Every ``aws_cdk.App`` the script creates gets the packs (once: an
app that registers them itself is not registered twice), and the names of the packs that ran are
written to ``<outdir>/omics-secure.packs.json`` because CDK's validation report leaves out packs that
found nothing. A pack finding something makes ``app.synth()`` raise ``ValidationFailed`` after the
report is written; that is the check's result, not a failure of the app, so it exits 0.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

from omics_secure._internal.node_runtime import silence_end_of_life_banner

PACKS_FILE = "omics-secure.packs.json"


def main(argv: list[str]) -> None:
    if not argv or argv == ["-m"]:
        raise SystemExit("usage: python -m omics_secure.compliance.bootstrap (APP.py | -m MODULE) [ARGS...]")
    silence_end_of_life_banner()
    import aws_cdk as cdk

    try:
        from omics_secure.compliance import nag
    except ImportError as error:  # the app's interpreter has aws-cdk-lib but not cdk-nag
        print(f"omics-secure: cannot register the packs in this interpreter ({error}); install omics-secure "
              "into the app's environment. The app runs without them.", file=sys.stderr)
        _run(argv)
        return

    apps: list[cdk.App] = []
    original_init = cdk.App.__init__

    def init_with_packs(self: cdk.App, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        nag.add_compliance_packs(self)
        apps.append(self)

    cdk.App.__init__ = init_with_packs  # type: ignore[method-assign]
    try:
        _run(argv)
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
    finally:
        cdk.App.__init__ = original_init  # type: ignore[method-assign]
        for app in apps:
            names = [plugin.name for plugin in nag.registered_packs(app)]
            Path(app.outdir).mkdir(parents=True, exist_ok=True)
            (Path(app.outdir) / PACKS_FILE).write_text(json.dumps(names), encoding="utf-8")


def _run(argv: list[str]) -> None:
    if argv[0] == "-m":
        sys.argv = list(argv[1:])
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path.insert(0, str(Path(argv[0]).resolve().parent))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
