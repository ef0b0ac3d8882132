"""User-facing texts, from `bot/locales/<lv|en|ru>/*.yaml` — never written in handler code.

Each feature keeps its texts in its own file (qa.yaml, surveys.yaml, staff.yaml…); the files of a language
are merged, and a key defined twice is an error (two features must not fight over one text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge.yamlio import safe_load

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES: tuple[str, ...] = ("lv", "en", "ru")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


class Translator:
    def __init__(self, locales_dir: Path = LOCALES_DIR, default: str = "lv") -> None:
        self.default = default
        self.texts: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            merged: dict[str, str] = {}
            for path in sorted((locales_dir / language).glob("*.yaml")):
                try:
                    with path.open(encoding="utf-8") as handle:
                        texts = _flatten(safe_load(handle) or {})
                except yaml.YAMLError as exc:
                    raise ValueError(f"{path}: not valid YAML: {exc}") from exc
                clash = set(texts) & set(merged)
                if clash:
                    raise ValueError(f"{path}: keys defined in another locale file too: {', '.join(sorted(clash))}")
                merged.update(texts)
            self.texts[language] = merged

    def __call__(self, language: str | None, key: str, **values: Any) -> str:
        """The text `key` in `language` (default language if unknown); placeholders filled with `values`."""
        table = self.texts.get(language or self.default) or self.texts[self.default]
        text = table.get(key) or self.texts[self.default].get(key)
        if text is None:
            raise KeyError(f"no text '{key}' in the locale files")
        return text.format(**values) if values else text
