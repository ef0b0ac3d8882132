"""One number for "which knowledge base is this": a hash of the YAML files under the data folder.

Standard library only, so the NLU serving gateway (which runs in Rasa's venv, without pydantic 2) computes the
same value as the bot: the gateway reports the hash its model was trained from in `/status`, the bot compares it
with the hash of the knowledge base it has loaded, and so knows when the model answering has learnt what staff
taught it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_hash(data_dir: Path | str) -> str:
    """sha256 (16 hex digits) over the relative paths and bytes of every *.yaml under `data_dir`, in path order.
    Temporary and hidden files (an edit in progress: `.<name>.tmp`) are not part of it."""
    root = Path(data_dir)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
