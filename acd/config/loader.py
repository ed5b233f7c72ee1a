"""YAML parsing that remembers where every value came from, so errors name file, line and field.

Text in, a validated model out; reading the file is the edge's job (acd/config/files.py)."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from acd.config.schema import FieldProblem
from acd.errors import ConfigError

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
# Limits that keep a hostile file (an alias bomb) from taking the process down; a real center of
# 200,000 agents stays far below them.
MAX_NODES = 5_000_000
MAX_ALIAS_VISITS = 10_000  # collections reached again through an alias


# libyaml's parser when PyYAML has it (the wheels do): the pure-Python scanner takes most of a
# minute over 200,000 agents.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0
        self.seen: set[int] = set()
        self.revisits = 0

    def visit(self, node: yaml.Node) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"too many YAML nodes (over {MAX_NODES:,})", line=node.start_mark.line + 1
            )
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self.seen:
                self.revisits += 1
                if self.revisits > MAX_ALIAS_VISITS:
                    raise ConfigError(
                        f"too many alias expansions (over {MAX_ALIAS_VISITS:,}): refused",
                        line=node.start_mark.line + 1,
                    )
            else:
                self.seen.add(id(node))


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: Loc, lines: dict[Loc, int], budget: _Budget
) -> Any:
    budget.visit(node)
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise ConfigError(
                    "mapping keys must be plain scalars", line=knode.start_mark.line + 1
                )
            if key in out:
                raise ConfigError(
                    f"duplicate key {key!r}",
                    line=knode.start_mark.line + 1,
                    field=_dotted((*path, str(key))),
                )
            out[key] = _build(loader, vnode, (*path, str(key)), lines, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, v, (*path, i), lines, budget) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[Loc, int]]:
    lines: dict[Loc, int] = {}
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = {} if node is None else _build(loader, node, (), lines, _Budget())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deep", file=file) from None
    except ConfigError as exc:
        raise ConfigError(exc.detail, file=file, line=exc.line, field=exc.field) from None
    return data, lines


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:n]))
        if line is not None:
            return line
    return None


def validate(model: type[M], data: Any, lines: dict[Loc, int], file: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        keys = _keys_at(lines)
        for err in exc.errors():
            # pydantic puts union/validator tags in the path; keep the parts that name fields.
            loc = tuple(p for p in err["loc"] if isinstance(p, int) or p in keys)
            problem = (err.get("ctx") or {}).get("error")
            if isinstance(problem, FieldProblem):
                loc = (*loc, *problem.loc)  # a check across fields names the field at fault
            if err["type"] == "missing" and err["loc"]:
                loc = (*loc, err["loc"][-1])  # a missing field is not in the file, name it
            line = line_for(loc, lines)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden" and loc:
                msg = _unknown_key(model, loc)
            problems.append(ConfigError(msg, file=file, line=line, field=_dotted(loc)))
        first = problems[0]
        err_out = ConfigError(first.detail, file=file, line=first.line, field=first.field)
        if len(problems) > 1:
            err_out.message = "\n".join(p.message for p in problems)
            err_out.args = (err_out.message,)
        err_out.problems = problems  # type: ignore[attr-defined]
        raise err_out from None


def _unknown_key(model: type[BaseModel], loc: Loc) -> str:
    """The message for a key the model does not have: the known key it is closest to, if any."""
    key = str(loc[-1])
    known = _fields_at(model, loc[:-1])
    close = difflib.get_close_matches(key, known, n=1) if known else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint}"


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names of the model found by following ``loc`` from ``model`` (none if the
    path does not lead to one)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            tp = field.annotation
        elif origin is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _unwrap(tp: Any) -> Any:
    """Through ``Annotated`` and ``X | None`` to the type inside."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            # A model validated lazily (adapter.asterisk) names itself on its validator.
            lazy = [getattr(getattr(m, "func", None), "model", None) for m in get_args(tp)[1:]]
            tp = next((f() for f in lazy if f is not None), get_args(tp)[0])
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(args) == 1:
                tp = args[0]
            elif len(models) == 1:
                tp = models[0]
            else:
                return tp
        else:
            return tp


def _keys_at(lines: dict[Loc, int]) -> set[str | int]:
    return {p for loc in lines for p in loc}


def parse_config_text(model: type[M], text: str, file: str) -> M:
    """A whole config document: the top level must be a mapping."""
    data, lines = parse_yaml(text, file)
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping", file=file, line=1)
    return validate(model, data, lines, file)
