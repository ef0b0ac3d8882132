"""Reading hand-edited YAML files and explaining their mistakes in people's terms.

Shared by the knowledge base and the survey definitions: both are edited by programme staff, so an error
must name the file, the item (entry, intent, question…) and the field — never just a stack trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same documents, parsed about ten times
# faster — the knowledge base is read at start-up, for every staff edit (twice) and by most tests.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(source: Any) -> Any:
    """`yaml.safe_load`, with libyaml when available."""
    return yaml.load(source, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The parsed file; `error` (naming the file) if it can't be read or isn't YAML."""
    try:
        with path.open(encoding="utf-8") as handle:
            return safe_load(handle)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def describe_location(raw: Any, loc: tuple[Any, ...], items: dict[str, str]) -> str:
    """A pydantic error location as "entry #3 'fact_budget': field examples.lv".

    `items` maps list keys of the file to what one element is called, e.g. {"entries": "entry"}; the element
    is named by its `id` (or `text`) when it has one.
    """
    parts = list(loc)
    where = ""
    if len(parts) >= 2 and parts[0] in items and isinstance(parts[1], int):
        index = parts[1]
        ident = None
        try:
            element = raw[parts[0]][index]
            ident = element.get("id") or element.get("text")
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
        where = f"{items[parts[0]]} #{index + 1}" + (f" '{ident}'" if ident else "") + ": "
        parts = parts[2:]
    field_name = ".".join(str(part) for part in parts) or "(top level)"
    return f"{where}field {field_name}"
