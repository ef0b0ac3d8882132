"""User-facing texts, from `bot/locales/{lv,en,ru}.yaml` — never written in handler code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

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
            path = locales_dir / f"{language}.yaml"
            with path.open(encoding="utf-8") as handle:
                self.texts[language] = _flatten(yaml.safe_load(handle) or {})

    def __call__(self, language: str | None, key: str, **values: Any) -> str:
        """The text `key` in `language` (default language if unknown); placeholders filled with `values`."""
        table = self.texts.get(language or self.default) or self.texts[self.default]
        text = table.get(key) or self.texts[self.default].get(key)
        if text is None:
            raise KeyError(f"no text '{key}' in the locale files")
        return text.format(**values) if values else text
