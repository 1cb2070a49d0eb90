"""``omics-secure access``: who can read, write and administer every data store of an app or template, and what
a change adds (``--baseline``), from the policy evaluator (:mod:`omics_secure.policy`).

Exit codes: 0 the listing was written (and, with ``--baseline``, no PHI store gained a reader, writer or
administrator); 1 a PHI store gained one; 2 the listing could not be made (one line on standard error).
"""

from __future__ import annotations

import argparse
import gc
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.inputs.assembly import StackArtifact, read_assembly
from omics_secure.policy.access import KINDS, Grant, StoreAccess, access
from omics_secure.policy.extract import read_environment

EXIT_LISTED, EXIT_GAINED = 0, 1
NO_STORE = ("No data store found: the input has no S3 bucket, KMS key, HealthOmics sequence or reference store or "
            "HealthLake datastore, the stores access lists. A PHI store is a bucket tagged "
            f"{DATA_CLASSIFICATION_TAG}={PHI} (PhiBucket tags its bucket so), a HealthOmics store or a HealthLake "
            "datastore.")


def add_access_parser(commands: Any, common: argparse.ArgumentParser, epilog: str,
                      add_app_source: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``access`` subcommand's arguments (cli.py wires it)."""
    command = commands.add_parser(
        "access", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
        help="list who can read, write and administer every data store",
        description="Evaluate the app's IAM, bucket, key and access-point policies offline, in AWS's documented "
                    "order, and list for every S3 bucket, KMS key, HealthOmics store and HealthLake datastore who "
                    "can read, write and administer it, with the conditions that still restrict each grant. With "
                    "--baseline, compare with another synthesized app or template and exit 1 when a PHI store "
                    "gained a reader, writer or administrator (the pull-request gate).")
    add_app_source(command)
    command.add_argument("--template", action="append", default=[], metavar="FILE", type=Path,
                         help="a CloudFormation template (JSON or YAML) instead of an app (repeatable: the stacks "
                              "of one input, whose imports and exports link them)")
    command.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                         help="a template parameter's value, over its default (repeatable; with --template)")
    command.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                         help="output format (default: text)")
    command.add_argument("--baseline", type=Path, metavar="PATH",
                         help="a cloud assembly directory or a template file to compare with (the base branch)")


@dataclass(frozen=True)
class Change:
    store: str
    phi: bool
    kind: str
    added: tuple[Grant, ...]
    removed: tuple[Grant, ...]


@dataclass(frozen=True)
class StoreChange:
    """A store only one side has: ``added`` (in the input, not in the baseline) or removed (the other way)."""

    store: str
    type: str
    phi: bool
    added: bool

    def as_json(self) -> dict[str, object]:
        return {"store": self.store, "type": self.type, "phi": self.phi}


def listing(stacks: Sequence[StackArtifact]) -> list[StoreAccess]:
    environment = read_environment(stacks)
    # The stacks and the environment live until the listing is printed: the collector need not walk their
    # millions of objects again at every full collection while the stores are evaluated.
    gc.freeze()
    return access(environment)


def as_json(entries: Sequence[StoreAccess]) -> dict[str, Any]:
    return {"stores": [entry.as_json() for entry in entries]}


def _label(entry: StoreAccess) -> str:
    return f"{entry.store.stack}/{entry.store.logical_id}"


def _portable(entries: Sequence[StoreAccess]) -> Callable[[str], str]:
    """Names that do not depend on where a template file lies: a template's stack is named by its path, and a
    baseline is usually the same file in another checkout, so its directory is left out of the comparison."""
    stacks = sorted({e.store.stack for e in entries} | {c.actor.stack for e in entries
                                                        for c in e.candidates.values() if c.actor is not None},
                    key=len, reverse=True)

    def portable(name: str) -> str:
        for stack in stacks:
            if name == stack or name.startswith(stack + "/"):
                return Path(stack).name + name[len(stack):]
        return name
    return portable


def render_text(entries: Sequence[StoreAccess]) -> str:
    lines = []
    for entry in entries:
        lines.append(f"{_label(entry)} ({entry.store.type}{', PHI' if entry.store.phi else ''})")
        for kind in KINDS:
            grants = entry.grants(kind)
            lines.append(f"  {kind}: {'none' if not grants else ''}".rstrip())
            lines += [f"    {g.principal}" + (f" when {'; '.join(g.conditions)}" if g.conditions else " always")
                      for g in grants]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def render_markdown(entries: Sequence[StoreAccess]) -> str:
    lines = ["# Who can read, write and administer each data store", ""]
    for entry in entries:
        lines += [f"## {_cell(_label(entry))}", "",
                  f"{_cell(entry.store.type)}{', holds PHI' if entry.store.phi else ''}", "",
                  "| access | principal | only when |", "|---|---|---|"]
        rows = [(kind, g) for kind in KINDS for g in entry.grants(kind)]
        lines += [f"| {kind} | {_cell(g.principal)} | {_cell('; '.join(g.conditions) or 'always')} |"
                  for kind, g in rows] or ["| - | nobody | - |"]
        lines.append("")
    return "\n".join(lines)


def _gained(new: Grant, old: Sequence[Grant]) -> bool:
    """A grant is new unless the baseline granted the same principal under no more conditions."""
    return not any(o.principal == new.principal and set(o.conditions) <= set(new.conditions) for o in old)


def compare(before: Sequence[StoreAccess], after: Sequence[StoreAccess]) -> list[Change]:
    """What changed per store and kind of access: grants added and removed."""
    old_name, new_name = _portable(before), _portable(after)
    old = {old_name(_label(e)): e for e in before}

    def grants(entry: StoreAccess, kind: str, name: Callable[[str], str]) -> tuple[Grant, ...]:
        return tuple(Grant(name(g.principal), g.conditions) for g in entry.grants(kind))

    changes = []
    for entry in after:
        previous = old.get(new_name(_label(entry)))
        for kind in KINDS:
            now = grants(entry, kind, new_name)
            then = grants(previous, kind, old_name) if previous is not None else ()
            added = tuple(g for g in now if _gained(g, then))
            removed = tuple(g for g in then if _gained(g, now))
            if added or removed:
                changes.append(Change(new_name(_label(entry)), entry.store.phi, kind, added, removed))
    return changes


def compare_stores(before: Sequence[StoreAccess], after: Sequence[StoreAccess]) -> list[StoreChange]:
    """The stores the input added and those it removed, compared with the baseline (removed first)."""
    old_name, new_name = _portable(before), _portable(after)
    old = {old_name(_label(e)): e for e in before}
    new = {new_name(_label(e)): e for e in after}
    return ([StoreChange(name, e.store.type, e.store.phi, added=False) for name, e in old.items() if name not in new]
            + [StoreChange(name, e.store.type, e.store.phi, added=True) for name, e in new.items() if name not in old])


def render_changes(changes: Sequence[Change], stores: Sequence[StoreChange] = ()) -> str:
    lines = [f"{c.store} ({c.type}{', PHI' if c.phi else ''}): "
             + ("added (not in the baseline)" if c.added else "REMOVED (in the baseline, not in this input)")
             for c in stores]
    if not changes:
        other = "other " if stores else ""
        return "\n".join([*lines, f"No {other}store gained or lost a reader, writer or administrator."])
    for change in changes:
        lines.append(f"{change.store}{' (PHI)' if change.phi else ''}: {change.kind}")
        lines += [f"  + {g.principal}" + (f" when {'; '.join(g.conditions)}" if g.conditions else " always")
                  for g in change.added]
        lines += [f"  - {g.principal}" + (f" when {'; '.join(g.conditions)}" if g.conditions else " always")
                  for g in change.removed]
    return "\n".join(lines)


def run_access(args: argparse.Namespace, stacks: Sequence[StackArtifact],
               baseline: Callable[[Path], Sequence[StackArtifact]], out: TextIO) -> int:
    entries = listing(stacks)
    if args.baseline is not None:
        before = listing(baseline(args.baseline))
        changes, stores = compare(before, entries), compare_stores(before, entries)
        if args.format == "json":
            print(json.dumps({"changes": [{"store": c.store, "phi": c.phi, "kind": c.kind,
                                           "added": [g.as_json() for g in c.added],
                                           "removed": [g.as_json() for g in c.removed]} for c in changes],
                              "stores_added": [c.as_json() for c in stores if c.added],
                              "stores_removed": [c.as_json() for c in stores if not c.added]},
                             indent=2), file=out)
        else:
            print(render_changes(changes, stores), file=out)
        return EXIT_GAINED if any(c.phi and c.added for c in changes) else EXIT_LISTED
    if args.format == "json":
        print(json.dumps(as_json(entries), indent=2), file=out)
    elif not entries:
        print(NO_STORE if args.format == "text" else f"# Who can read, write and administer each data store\n\n"
              f"{NO_STORE}", file=out)
    elif args.format == "markdown":
        print(render_markdown(entries), file=out)
    else:
        print(render_text(entries), file=out)
    return EXIT_LISTED


def baseline_stacks(path: Path, parameters: dict[str, str]) -> list[StackArtifact]:
    """The stacks of ``--baseline``: a cloud assembly directory, or one template file."""
    from omics_secure.inputs.templates import load_templates

    if path.is_dir():
        return read_assembly(path)
    return load_templates([path], parameters)
