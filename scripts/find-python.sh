#!/usr/bin/env bash
# Print the path of a Python interpreter of the wanted minor version (e.g. 3.10), or fail with advice.
# Looks at python3.X on PATH (that really runs), then pyenv's versions folder.
set -euo pipefail
want="$1"
if command -v "python$want" >/dev/null 2>&1 && "python$want" -c 'import sys' >/dev/null 2>&1; then
  command -v "python$want"; exit 0
fi
root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
for candidate in $(ls -d "$root"/versions/"$want".*/bin/python 2>/dev/null | sort -V -r); do
  if "$candidate" -c 'import sys' >/dev/null 2>&1; then echo "$candidate"; exit 0; fi
done
echo "Python $want not found: install it (e.g. 'pyenv install $want') — see README.md" >&2
exit 1
