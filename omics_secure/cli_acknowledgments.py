"""The command's acknowledgments: the ``--acknowledgments FILE`` option of ``check``, ``report`` and
``acknowledgments``, where the file is found without it, and the ``omics-secure acknowledgments`` listing.

Without ``--acknowledgments``, ``omics-secure.acknowledgments.yaml`` is read from beside ``cdk.json`` (the
working directory, where the app is synthesized; the directory holding an ``--assembly``) or beside each
``--template`` (where it applies to the templates of that directory only). Whichever file is read is named on
standard error, so a check never passes on a file nobody knew it read.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from omics_secure._internal.clock import TODAY_VARIABLE, pinned_today, today
from omics_secure.compliance.acknowledgments import AcknowledgmentBook, listing
from omics_secure.compliance.check import CheckOutcome
from omics_secure.inputs.acknowledgments import (
    ACKNOWLEDGMENTS_FILE,
    Acknowledgment,
    AcknowledgmentsFileError,
    find_acknowledgments_file,
    read_acknowledgments_file,
)
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.reporting.acknowledgments import as_json, as_markdown

DESCRIPTION = (
    "List every acknowledgment of a CDK app, an assembly or templates (the app's acknowledge() calls and "
    "Validations acknowledgments, omics-secure's own constructs', and the acknowledgments file): the rule, where it "
    "applies, who accepted it under which record, its age, until when it is in force, and whether it matched a "
    "finding. The packs run as in 'check' to tell which findings each one hides. Exits 0 when the list is "
    "written, 2 when it cannot be.")


def add_acknowledgments_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--acknowledgments", type=Path, metavar="FILE",
        help=f"the acknowledgments file (YAML; default: {ACKNOWLEDGMENTS_FILE} beside cdk.json, the assembly "
             "directory or each template, when there is one)")


def add_format_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=("markdown", "json"), default="markdown",
                         help="output format (default: markdown)")


def acknowledgment_book(args: argparse.Namespace, stacks: Sequence[StackArtifact], progress: TextIO
                        ) -> AcknowledgmentBook:
    """The acknowledgments of the input and of its acknowledgments file, judged as of today."""
    day = today()
    if pinned_today():
        print(f"omics-secure: judging acknowledgments as of {day.isoformat()} ({TODAY_VARIABLE}), not today",
              file=progress)
    found: list[Acknowledgment] = []
    for path, scope in _files(args, stacks):
        read = read_acknowledgments_file(path, today=day, stacks=scope)
        print(f"omics-secure: {len(read.acknowledgments)} acknowledgment(s) from {path}", file=progress)
        found += read.acknowledgments
    return AcknowledgmentBook(stacks, found, today=day)


def _files(args: argparse.Namespace, stacks: Sequence[StackArtifact]) -> list[tuple[Path, frozenset[str] | None]]:
    """The acknowledgments files to read, each with the stacks it applies to (None: every stack)."""
    given: Path | None = getattr(args, "acknowledgments", None)
    if given is not None:
        if not given.is_file():
            raise AcknowledgmentsFileError(f"--acknowledgments {given} is not a file; pass the YAML file of "
                                           f"acknowledgments (see {ACKNOWLEDGMENTS_FILE} in the README)")
        return [(given, None)]
    templates: list[Path] = list(getattr(args, "template", None) or [])
    if not templates:
        assembly: Path | None = getattr(args, "assembly", None)
        found = find_acknowledgments_file(Path() if assembly is None else _parent(assembly))
        return [(found, None)] if found else []
    by_directory: dict[Path, list[Path]] = {}
    for template in templates:
        by_directory.setdefault(template.parent, []).append(template)
    files: list[tuple[Path, frozenset[str] | None]] = []
    for directory, members in by_directory.items():
        found = find_acknowledgments_file(directory)
        if found is not None:
            names = {str(template) for template in members}
            scope = frozenset(s.name for s in stacks if s.name in names or any(
                s.name.startswith(name + "/") for name in names))
            files.append((found, scope))
    return files


def _parent(directory: Path) -> Path:
    """The directory holding ``directory``, as written when it can be (``cdk.out`` -> ``.``)."""
    return directory.parent if directory.name not in ("", ".", "..") else directory.resolve().parent


def render_listing(outcome: CheckOutcome, *, output_format: str) -> str:
    """Every acknowledgment the check decided, as JSON or Markdown."""
    book = outcome.book
    assert book is not None
    listed = listing(book, outcome.acknowledgments)
    return as_json(listed, today=book.today) if output_format == "json" else as_markdown(listed, today=book.today)
