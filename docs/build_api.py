"""Build the API reference from the docstrings with pdoc: ``make docs`` (``python docs/build_api.py [OUTDIR]``).

It documents the public packages (what ``__all__`` exports) and fails, listing every problem, on any
warning pdoc gives, on any reference role in a docstring (``:class:`PhiKey```, ``:func:`...```) that names
nothing importable, and on any link between the generated pages whose file or anchor does not exist.
"""

from __future__ import annotations

import functools
import html.parser
import importlib
import inspect
import os
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()
# pdoc hides a default value that equals any environment variable's value, with a warning, in case the default was
# read from a secret; this build fails on warnings, so a CDK user's shell (CDK_DEFAULT_ACCOUNT=111122223333,
# AWS_REGION=us-east-1) failed it. No documented default is read from the environment: each is a literal in the
# code, so the reference shows it, and is the same whatever the shell holds.
os.environ["PDOC_DISPLAY_ENV_VARS"] = "1"

import pdoc  # noqa: E402
import pdoc.doc  # noqa: E402
import pdoc.doc_ast  # noqa: E402
import pdoc.render  # noqa: E402

PUBLIC_MODULES = ("omics_secure", "omics_secure.compliance", "omics_secure.verify", "omics_secure.stacks")
DEFAULT_OUTPUT = Path("build/docs")
_REFERENCE_ROLE = re.compile(r":(?:py:)?(?:mod|func|data|const|class|meth|attr|exc|obj):`~?([^`<]+?)(?:\(\))?`")


@functools.cache
def _source_of_our_code(obj: object) -> str:
    """The source pdoc reads for ``obj``: ours, or none (what pdoc falls back to when it has no source).

    pdoc reads the source of every class in a documented class's MRO for attribute docstrings and
    ``TYPE_CHECKING`` sections; for a subclass of ``cdk.Stack`` that is aws-cdk-lib's generated 2.4 MB
    ``aws_cdk/__init__.py``, half of the build's 26 s. Members inherited from outside the documented
    modules are not rendered (pdoc hides them), so their docstrings were read for nothing.
    """
    module = inspect.getmodule(obj)
    if module is None or module.__name__.partition(".")[0] != "omics_secure":
        return ""
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def build(output: Path) -> list[str]:
    """Write the reference into ``output``; return every problem found (empty when the build is clean)."""
    pdoc.doc_ast._get_source = _source_of_our_code  # type: ignore[assignment]  # see _source_of_our_code
    modules = [importlib.import_module(name) for name in PUBLIC_MODULES]
    for module in modules:
        _resolve_lazy_exports(module)
    pdoc.render.configure(docformat="restructuredtext", show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*PUBLIC_MODULES, output_directory=output)
        broken = [f"broken reference: {where}: {target}" for where, target in _broken_references(modules)]
    _link_unrendered_members_to_their_class(output)
    problems = list(dict.fromkeys(f"warning: {warning.message} ({warning.filename}:{warning.lineno})"
                                  for warning in caught
                                  if not _about_an_unrendered_inherited_member(str(warning.message))))
    problems += broken
    problems += [f"broken link: {page}: {href}" for page, href in _broken_links(output)]
    return problems


_ANNOTATION_WARNING = re.compile(r"Error parsing type annotation .* for ([\w.]+)\. ")


def _about_an_unrendered_inherited_member(message: str) -> bool:
    """Whether pdoc's warning is about the annotation of a member a class inherits from outside this
    package (aws-cdk-lib's ``Resource.env``): pdoc does not render those, and their annotations name
    aliases only aws-cdk-lib's own source defines, which ``_source_of_our_code`` no longer gives pdoc."""
    found = _ANNOTATION_WARNING.search(message)
    if found is None:
        return False
    owner_name, _, member = found.group(1).rpartition(".")
    owner = _object_named(owner_name)
    if not isinstance(owner, type):
        return False
    defining = next((cls for cls in owner.__mro__ if member in vars(cls)), None)
    return defining is not None and not defining.__module__.startswith("omics_secure")


def _resolve_lazy_exports(module: ModuleType) -> None:
    """The packages resolve their exports on first use (PEP 562); pdoc reads only the module's ``__dict__``."""
    for name in getattr(module, "__all__", ()):
        vars(module).setdefault(name, getattr(module, name))


def _documented(module: ModuleType) -> Iterator[tuple[pdoc.doc.Doc[object], pdoc.doc.Class | None]]:
    """Every documented object of the module's page, with the class it belongs to."""
    pending: list[tuple[pdoc.doc.Doc[object], pdoc.doc.Class | None]] = [(pdoc.doc.Module(module), None)]
    while pending:
        doc, owner = pending.pop()
        yield doc, owner
        if isinstance(doc, pdoc.doc.Class):
            pending.extend((member, doc) for member in doc.own_members)
        elif isinstance(doc, pdoc.doc.Module):
            pending.extend((member, None) for member in doc.members.values())


def _broken_references(modules: list[ModuleType]) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for module in modules:
        for doc, owner in _documented(module):
            for target in _REFERENCE_ROLE.findall(doc.docstring):
                key = (doc.fullname, target)
                if key not in seen and not _resolves(target, doc, owner, module):
                    seen.add(key)
                    yield key


def _resolves(target: str, doc: pdoc.doc.Doc[object], owner: pdoc.doc.Class | None, page: ModuleType) -> bool:
    """Whether ``target`` names something: in the enclosing class (an attribute its ``__init__`` assigns
    counts), on the page's module, in the defining module, or as an absolute dotted name."""
    cls = doc if isinstance(doc, pdoc.doc.Class) else owner
    scopes: list[object] = [page]
    defining = inspect.getmodule(doc.obj)
    if defining is not None:
        scopes.append(defining)
    parts = target.split(".")
    if cls is not None:
        scopes.insert(0, cls.obj)
        if len(parts) == 1 and _assigned_in_init(cls.obj, parts[0]):
            return True
    if any(_lookup(scope, parts) is not None for scope in scopes):
        return True
    return _object_named(target) is not None


def _object_named(dotted: str) -> object | None:
    """The object an absolute dotted name names: the longest importable module, then attributes in it."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        return _lookup(module, parts[split:])
    return None


def _assigned_in_init(cls: object, name: str) -> bool:
    init = getattr(cls, "__init__", None)
    try:
        source = inspect.getsource(init) if init is not None else ""
    except (OSError, TypeError):
        return False
    return re.search(rf"\bself\.{re.escape(name)}\s*[:=]", source) is not None


def _lookup(scope: object, names: list[str]) -> object | None:
    for name in names:
        try:
            scope = getattr(scope, name)
        except AttributeError:
            return None
    return scope


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name == "href" and value and tag == "a":
                self.hrefs.append(value)


def _link_unrendered_members_to_their_class(output: Path) -> None:
    """pdoc links ``name`` in a docstring to ``#Class.name`` when ``name`` is a member the class inherits,
    but renders no anchor for members inherited from an undocumented base (a private module's, or
    aws-cdk-lib's ``Stack``); point those links at the class itself."""
    for page in output.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        parser = _Anchors()
        parser.feed(text)

        def repoint(match: re.Match[str], ids: set[str] = parser.ids) -> str:
            cls, member = match.group(1), match.group(2)
            return match.group(0) if f"{cls}.{member}" in ids or cls not in ids else f'href="#{cls}"'

        page.write_text(re.sub(r'href="#([A-Za-z_][\w]*)\.([\w.]+)"', repoint, text), encoding="utf-8")


def _broken_links(output: Path) -> Iterator[tuple[str, str]]:
    pages: dict[Path, _Anchors] = {}
    for page in sorted(output.rglob("*.html")):
        parser = _Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    for page, parser in pages.items():
        for href in parser.hrefs:
            if re.match(r"[a-z][a-z0-9+.-]*:", href):  # https:, mailto:: outside the reference
                continue
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve() if path else page
            if target not in pages or (anchor and anchor not in pages[target].ids):
                yield str(page.relative_to(output.resolve())), href


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    problems = build(output)
    for problem in problems:
        print(f"make docs: {problem}", file=sys.stderr)
    if problems:
        print(f"make docs: {len(problems)} problem(s); the reference in {output} is incomplete", file=sys.stderr)
        return 1
    print(f"make docs: API reference of {', '.join(PUBLIC_MODULES)} written to {output}/index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
