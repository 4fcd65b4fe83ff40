#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs Python 3.8-3.10), or explain and fail.
set -u
candidates=("${PYTHON310:-}" python3.10)
if command -v pyenv >/dev/null 2>&1; then
  candidates+=("$(pyenv root)"/versions/3.10*/bin/python)
fi
candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10)
for candidate in "${candidates[@]}"; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
Lichtpunt runs on Rasa 3.6, which needs Python 3.8-3.10 (this project uses 3.10).
No Python 3.10 was found. Install it, for example:
  pyenv install 3.10.13          (then run make again)
  apt-get install python3.10 python3.10-venv
or point to one: make setup PYTHON310=/path/to/python3.10
MSG
exit 1
