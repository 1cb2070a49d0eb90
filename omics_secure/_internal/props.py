"""Props checked against their type hints at every construct's boundary, in one mechanism.

``@checked_props`` on a construct's ``__init__`` (or on a public method) binds the call to the
signature and checks every argument against its annotation before any aws-cdk-lib or project code
sees it: wrong types, a scalar where a list is expected, ``None`` inside a mapping, a bool where a
number is expected, an unknown keyword. Every problem is collected and raised once as
:class:`OmicsSecureConfigError`, naming the prop, a readable value and the fix, so that a mistake
never surfaces as a Python ``TypeError`` or as a jsii error from deep inside aws-cdk-lib.

jsii interfaces (``kms.IKey``, ``s3.IBucket``, ``iam.IRole``, ``ec2.IVpc``, ...) are typing
protocols that are not runtime-checkable, and imported resources are jsii proxies, so they are
checked by duck typing: the value's class must carry every member the interface declares.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import difflib
import functools
import inspect
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from constructs import Construct, IConstruct

from omics_secure._internal.errors import (
    OmicsSecureConfigError,
    Problem,
    ProblemCollector,
    is_unresolved,
    pending,
    readable,
)
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like_name

F = TypeVar("F", bound=Callable[..., Any])
CHECKED_MARK = "__omics_secure_checked_props__"
_NONE = type(None)


def checked_props(function: F) -> F:
    """Check every argument of ``function`` against its type hints; raise one error for all problems."""
    signature = inspect.signature(function)
    hints: dict[str, Any] | None = None
    # A construct's constructor (scope, id, ...): its id is checked first, by value, for every construct alike.
    constructor = function.__name__ == "__init__" and list(signature.parameters)[1:3] == ["scope", "id"]

    @functools.wraps(function)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal hints
        if hints is None:  # resolved on first call: annotations are strings until every module is loaded
            hints = typing.get_type_hints(function)
        label = _label(self, function.__name__, args, kwargs)
        problems = ProblemCollector(label)
        if constructor:
            _check_construct_id(problems, *_scope_and_id(args, kwargs))
        binding: TypeError | None
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as error:
            binding = error
        else:
            binding = None
        if binding is not None:  # raised outside the except block: no chained TypeError in the user's traceback
            _binding_problems(problems, signature, args, kwargs, binding)
            # A constructor called with misspelt props alone is checked without them, so that the error lists the
            # problems of the props it has too (a method's body is not run with props left out).
            known = {name: value for name, value in kwargs.items() if name in signature.parameters}
            rebound = _bind(signature, self, args, known) if constructor and known != kwargs else None
            if rebound is None:
                if problems.problems:
                    raise OmicsSecureConfigError(label, problems.problems) from None
                raise binding
            bound = rebound
        for name, value in list(bound.arguments.items())[1:]:
            hint = hints.get(name, Any)
            if signature.parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
                for index, item in enumerate(value):
                    check_value(problems, f"{name}[{index}]", item, hint)
            else:
                check_value(problems, name, value, hint)
        if not problems.problems:
            with pending([]):  # a call made while another is being checked raises its own problems only
                return function(self, *args, **kwargs)
        # Wrong types or a bad id: run the call's own value checks too, so one error names every problem of the
        # call. Its first ProblemCollector.raise_if_any raises them all, before anything is built. A constructor's
        # checks see each wrong-typed prop that has a default as that default, so that a value of the wrong kind
        # does not trip the checks of the other props (a None tag value, a list where a dict is expected). A check
        # that still trips, or a body with no check, ends in these problems alone, and a construct such a body
        # built is taken out of its scope again.
        scope, construct_id = _scope_and_id(args, kwargs) if constructor else (None, None)
        if constructor:
            _default_wrong_typed(signature, bound, problems.problems)
        before = _child(scope, construct_id)
        with pending(problems.problems):
            try:
                function(*bound.args, **bound.kwargs)
            except OmicsSecureConfigError:
                raise
            except Exception:
                pass
            finally:
                if before is None and isinstance(scope, Construct) and isinstance(construct_id, str) \
                        and _child(scope, construct_id) is not None:
                    scope.node.try_remove_child(construct_id)
        raise OmicsSecureConfigError(label, problems.problems) from None

    setattr(wrapper, CHECKED_MARK, True)
    return typing.cast(F, wrapper)


def _bind(signature: inspect.Signature, self: Any, args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> inspect.BoundArguments | None:
    try:
        return signature.bind(self, *args, **kwargs)
    except TypeError:
        return None


def _default_wrong_typed(signature: inspect.Signature, bound: inspect.BoundArguments,
                         problems: list[Problem]) -> None:
    """Give each wrong-typed prop of ``bound`` that has a default its default (the problem names it already)."""
    for name in {problem.prop.split("[", 1)[0].split(".", 1)[0] for problem in problems}:
        parameter = signature.parameters.get(name)
        if name in bound.arguments and parameter is not None and parameter.default is not inspect.Parameter.empty \
                and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            bound.arguments[name] = parameter.default


def _scope_and_id(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    scope = args[0] if args else kwargs.get("scope")
    construct_id = args[1] if len(args) > 1 else kwargs.get("id")
    return scope, construct_id


def _child(scope: Any, construct_id: Any) -> IConstruct | None:
    if not isinstance(scope, Construct) or not isinstance(construct_id, str) or not construct_id:
        return None
    return scope.node.try_find_child(construct_id)


def _check_construct_id(problems: ProblemCollector, scope: Any, construct_id: Any) -> None:
    """A construct id is a non-empty string, free in its scope, and nothing that looks like PHI: aws-cdk-lib
    refuses the first two with a jsii error, and the id becomes the construct path, the logical ids and the
    names and key aliases derived from them. Its type is checked with the other props."""
    if not isinstance(construct_id, str):
        return
    if not construct_id:
        problems.add("id", construct_id, "pass a non-empty construct id, e.g. 'PhiData': only an App may have an "
                                         "empty id")
        return
    if isinstance(scope, Construct):
        taken = scope.node.try_find_child(construct_id)
        if taken is not None:
            where = f"'{scope.node.path}'" if scope.node.path else "the app"
            problems.add("id", construct_id, f"{where} already has a construct with this id ({readable(taken)}); "
                                             "ids are unique within their scope: choose another id")
    kind = phi_like_name(construct_id)
    if kind is not None:
        problems.add("id", construct_id, f"it looks like PHI ({kind}); the id becomes the construct path, logical "
                                         f"ids and the names and key aliases made from them; {PHI_NAME_FIX}")


def check_value(problems: ProblemCollector, prop: str, value: Any, hint: Any) -> bool:
    """Record a problem unless ``value`` fits ``hint``; True when it fits."""
    found = _mismatch(prop, value, hint)
    if found is None:
        return True
    problems.add(*found)
    return False


def describe_type(hint: Any) -> str:
    """``hint`` in words, for a fix: "a kms.IKey", "a list of KeyService", "True or False"."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return "any value"
    described_as = vars(hint).get("described_as") if isinstance(hint, type) else None
    if isinstance(described_as, str):  # a project class or protocol that names itself for users
        return described_as
    if _is_union(hint):
        members = [m for m in typing.get_args(hint) if m is not _NONE]
        words = " or ".join(describe_type(m) for m in members)
        return words + (" (or None)" if len(members) < len(typing.get_args(hint)) else "")
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        args = typing.get_args(hint)
        if args and isinstance(args[0], type) and issubclass(args[0], Enum):
            names = ", ".join(f"{args[0].__name__}.{m.name}" for m in args[0])
            return f"a list of {args[0].__name__} members ({names})"
        return f"a list of {_plain(args[0])}" if args else "a list"
    if origin in (collections.abc.Mapping, dict):
        key, value = (*typing.get_args(hint), Any, Any)[:2]
        return f"a dict of {_plain(key)} to {_plain(value)}"
    if hint is bool:
        return "True or False"
    if hint is int:
        return "a whole number"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if hint is _NONE:
        return "None"
    if isinstance(hint, type) and issubclass(hint, Enum):
        return f"a member of {hint.__name__} ({', '.join(f'{hint.__name__}.{m.name}' for m in hint)})"
    return _a(_qualified(hint))


def _a(noun: str) -> str:
    vowel_sound = noun[:1] in "aeiouAEIOU" or noun.lower().startswith(("s3", "sns", "ssm", "sqs"))
    return f"{'an' if vowel_sound else 'a'} {noun}"


def _mismatch(prop: str, value: Any, hint: Any) -> tuple[str, Any, str] | None:
    """(prop, value, fix) of the first way ``value`` does not fit ``hint``, or None."""
    if hint is Any or hint is object:
        return None
    if _is_union(hint):
        members = typing.get_args(hint)
        if value is None:
            return None if _NONE in members else (prop, value, f"pass {describe_type(hint)}; None is not allowed")
        shaped = [m for m in members if m is not _NONE and _shape_fits(value, m)]
        for member in shaped:
            found = _mismatch(prop, value, member)
            if found is None:
                return None
        if shaped:
            return _mismatch(prop, value, shaped[0])
        return prop, value, _wrong_type_fix(value, hint)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return None if value in allowed else (prop, value, "use one of " + ", ".join(map(repr, allowed)))
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        if not _is_sequence(value):
            return prop, value, _wrong_type_fix(value, hint)
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        item_hint = args[0] if args else Any
        for index, item in enumerate(value):
            found = _mismatch(f"{prop}[{index}]", item, item_hint)
            if found is not None:
                return found
        return None
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, collections.abc.Mapping):
            return prop, value, _wrong_type_fix(value, hint)
        key_hint, value_hint = (*typing.get_args(hint), Any, Any)[:2]
        for key, item in value.items():
            found = _mismatch(f"{prop}[{key!r}]", key, key_hint)
            if found is not None:
                return found[0], key, f"keys must be {describe_type(key_hint)}"
            found = _mismatch(f"{prop}[{key!r}]", item, value_hint)
            if found is not None:
                return found
        return None
    if origin is not None:  # another generic (Callable[...] and the like): check the bare class only
        hint = origin
    if hint is _NONE:
        return None if value is None else (prop, value, "pass None")
    if value is None:
        return prop, value, f"pass {describe_type(hint)}; None is not allowed"
    if hint is bool:
        return None if isinstance(value, bool) else (prop, value, _wrong_type_fix(value, hint))
    if hint in (int, float):
        number = isinstance(value, int) or (hint is float and isinstance(value, float))
        if isinstance(value, bool) or not (number or is_unresolved(value)):
            return prop, value, _wrong_type_fix(value, hint)
        return None
    if hint is str:
        return None if isinstance(value, str) else (prop, value, _wrong_type_fix(value, hint))
    if isinstance(hint, type) and _is_protocol(hint):
        return None if _implements(value, hint) else (prop, value, _wrong_type_fix(value, hint))
    if isinstance(hint, type):
        if hint is datetime.date and isinstance(value, datetime.datetime):
            return prop, value, "pass a datetime.date (a day, not a moment), e.g. datetime.date(2030, 6, 30)"
        if not isinstance(value, hint):
            return prop, value, _wrong_type_fix(value, hint)
        if dataclasses.is_dataclass(hint):
            return _dataclass_mismatch(prop, value, hint)
    return None


def _dataclass_mismatch(prop: str, value: Any, cls: type) -> tuple[str, Any, str] | None:
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        found = _mismatch(f"{prop}.{field.name}", getattr(value, field.name), hints.get(field.name, Any))
        if found is not None:
            return found
    return None


def _wrong_type_fix(value: Any, hint: Any) -> str:
    wanted = describe_type(hint)
    sequence = _sequence_member(hint)
    if sequence is not None and not _is_sequence(value) and _mismatch("", value, sequence) is None:
        return f"pass {wanted}, e.g. [{readable(value)}], not a single value"
    enum = _enum_member(hint)
    if enum is not None and isinstance(value, str):
        match = next((m for m in enum if value in (m.name, str(m.value))), None)
        if match is not None:
            return f"pass {enum.__name__}.{match.name}, not the string {value!r}"
    if isinstance(value, str) and value.startswith("arn:") and _wants_object(hint):
        return f"pass {wanted}, not an ARN string; import it first, e.g. {_import_hint(hint)}"
    if isinstance(value, bool) and hint in (int, float):
        return f"pass {wanted}, not True or False"
    classes = [m for m in (typing.get_args(hint) if _is_union(hint) else (hint,)) if isinstance(m, type)]
    example = next((_EXAMPLES[c.__name__] for c in classes if c.__name__ in _EXAMPLES), None)
    if example is not None and isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"pass {wanted}, not {_article(value)}, e.g. {example.format(value=value)}"
    return f"pass {wanted}, not {_article(value)}"


# How to build the object a prop wants from the literal a user passed instead.
_EXAMPLES = {
    "InstanceType": "ec2.InstanceType({value!r})",
    "Duration": "cdk.Duration.days({value!r})",
    "date": "datetime.date(2030, 6, 30)",
}


def _binding_problems(problems: ProblemCollector, signature: inspect.Signature, args: tuple[Any, ...],
                      kwargs: dict[str, Any], error: TypeError) -> None:
    known = [name for name in list(signature.parameters)[1:]]
    unknown = [name for name in kwargs if name not in signature.parameters]
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        suggestion = f"did you mean {close[0]!r}? " if close else ""
        problems.add(name, kwargs[name], f"no such prop; {suggestion}props are: {', '.join(known)}")
    if not unknown:
        parameters = list(signature.parameters.values())[1:]
        positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        given = set(positional[:len(args)]) | set(kwargs)
        missing = [p.name for p in parameters if p.default is inspect.Parameter.empty and p.name not in given
                   and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for name in missing:
            how = f"pass it by position ({', '.join(positional)})" if name in positional else "pass it by keyword"
            problems.add(name, None, f"this is required; {how}")
        if not missing:
            problems.add("arguments", f"{len(args)} positional",
                         f"pass {', '.join(positional) or 'nothing'} by position and every prop by keyword "
                         f"({' '.join(str(error).split())})")


def _label(self: Any, function_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    cls = type(self).__name__
    if function_name == "__init__":
        construct_id = args[1] if len(args) > 1 else kwargs.get("id")
        return f"{cls} {construct_id!r}" if isinstance(construct_id, str) else cls
    node = getattr(self, "node", None)
    return f"{cls} {node.id!r}.{function_name}" if node is not None else f"{cls}.{function_name}"


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str | bytes | bytearray)


def _shape_fits(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the outer shape of ``hint`` (a list for Sequence[...], a dict for Mapping[...])."""
    origin = typing.get_origin(hint)
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        return _is_sequence(value)
    if origin in (collections.abc.Mapping, dict):
        return isinstance(value, collections.abc.Mapping)
    if isinstance(hint, type) and not _is_protocol(hint) and hint not in (bool, int, float, str):
        return isinstance(value, hint)  # a dataclass of the right class is checked field by field
    return _mismatch("", value, hint) is None


def _is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


@functools.cache
def _protocol_members(cls: type) -> frozenset[str]:
    members: set[str] = set()
    for base in cls.__mro__:
        if base in (object, typing.Protocol, typing.Generic) or not _is_protocol(base):
            continue
        members.update(name for name in vars(base) if not name.startswith("_") and name != "described_as")
    return frozenset(members)


def _implements(value: Any, protocol: type) -> bool:
    """Duck-typed isinstance for a jsii interface: the value's class declares all of its members."""
    if isinstance(value, str | bytes | int | float | bool | collections.abc.Mapping) or value is None:
        return False
    cls = type(value)
    # Classes declare their members; jsii's proxies of imported resources answer them per instance.
    return all(hasattr(cls, name) or hasattr(value, name) for name in _protocol_members(protocol))


def _sequence_member(hint: Any) -> Any:
    for member in (typing.get_args(hint) if _is_union(hint) else (hint,)):
        if typing.get_origin(member) in (collections.abc.Sequence, list, tuple):
            args = typing.get_args(member)
            return args[0] if args else Any
    return None


def _enum_member(hint: Any) -> type[Enum] | None:
    for member in (typing.get_args(hint) if _is_union(hint) else (hint,)):
        if isinstance(member, type) and issubclass(member, Enum):
            return member
    return None


def _wants_object(hint: Any) -> bool:
    members = typing.get_args(hint) if _is_union(hint) else (hint,)
    # Only aws-cdk-lib types have from_..._arn importers; the project's constructs are created, not imported.
    return any(isinstance(m, type) and getattr(m, "__module__", "").startswith("aws_cdk") for m in members)


def _import_hint(hint: Any) -> str:
    words = describe_type(hint)
    for needle, example in (("IKey", "kms.Key.from_key_arn(self, 'Key', arn)"),
                            ("IBucket", "s3.Bucket.from_bucket_arn(self, 'Bucket', arn)"),
                            ("IRole", "iam.Role.from_role_arn(self, 'Role', arn)"),
                            ("IPrincipal", "iam.ArnPrincipal(arn)"),
                            ("IGrantable", "iam.Role.from_role_arn(self, 'Role', arn)"),
                            ("IRepository", "ecr.Repository.from_repository_arn(self, 'Repo', arn)"),
                            ("IFunction", "lambda_.Function.from_function_arn(self, 'Fn', arn)")):
        if needle in words:
            return example
    return "with the matching from_..._arn method of aws-cdk-lib"


def _plain(hint: Any) -> str:
    words = describe_type(hint)
    for article in ("a ", "an "):
        if words.startswith(article):
            return words[len(article):]
    return words


def _qualified(cls: Any) -> str:
    module = getattr(cls, "__module__", "")
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", None) or str(cls)
    if module.startswith("aws_cdk.aws_"):
        return f"{module.removeprefix('aws_cdk.aws_')}.{name}"
    if module == "aws_cdk":
        return f"cdk.{name}"
    if module.startswith("datetime"):
        return f"datetime.{name}"
    return name


def _article(value: Any) -> str:
    if isinstance(value, bool):
        return f"the bool {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return f"the number {value}"
    if _is_sequence(value):
        return "a list"
    if isinstance(value, collections.abc.Mapping):
        return "a dict"
    return _a(_qualified(type(value)))
