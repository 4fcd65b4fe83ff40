"""`make run`: the Procfile's processes under supervisord, so one that crashes is started again.

The Procfile is the one list of processes (`honcho start` still runs it as it is). `python -m bot run`
turns it into a supervisord config in `var/supervisor/supervisord.conf` (rewritten at every start) and
then becomes `supervisord --nodaemon`: each process is restarted when it dies, every process's output
goes to this terminal, and Ctrl+C (SIGINT) or SIGTERM stops them all (SIGTERM, SIGKILL after 15 s).

Environment: what `make` exports reaches every process; a `.env` file in the current directory fills in and
overrides it as it did under honcho (empty values there are ignored). Missing tokens get random ones, as
the Makefile does. `RASA_PORT` / `ACTION_SERVER_PORT` (used by the Procfile) also set `RASA_URL` /
`ACTION_ENDPOINT_URL` unless those are given. `LICHTPUNT_VAR_DIR` moves the runtime files with the databases.

Output: one stream, each line as the process wrote it, supervisord's own lines ("spawned", "exited ... not
expected") in between. Third-party deprecation warnings are dropped: PYTHONWARNINGS cannot do it, because Sanic
(in Rasa and the action server) turns them back on when it is imported, so the processes get a small generated
`sitecustomize` (var/supervisor/python/, text below) that stops showing DeprecationWarnings raised in
site-packages. Every other warning, and any raised in this project's own code, is still shown.

Look at or steer the running processes from another terminal:
  .venv/bin/supervisorctl -c var/supervisor/supervisord.conf status|restart actions|stop telegram
"""
from __future__ import annotations

import fcntl
import os
import re
import secrets
import shlex
import sys
from pathlib import Path
from typing import Dict, List, Mapping, MutableMapping

from bot.settings import ROOT

PROCFILE = ROOT / "Procfile"
OPTIONAL = {"telegram": "TELEGRAM_BOT_TOKEN"}  # started only when this variable is set
# Imported by every Python process `make run` starts (PYTHONPATH): third-party deprecation warnings are not the
# operator's problem. A display hook, not a filter, because Sanic puts its own filter in front of any filter.
SITECUSTOMIZE = """\
# Written by bot/supervise.py for `make run`: third-party deprecation warnings are not shown.
import warnings

_show = warnings.showwarning


def _show_unless_third_party_deprecation(message, category, filename, lineno, file=None, line=None):
    third_party = "site-packages" in filename or "dist-packages" in filename
    if third_party and issubclass(category, (DeprecationWarning, PendingDeprecationWarning)):
        return
    _show(message, category, filename, lineno, file, line)


warnings.showwarning = _show_unless_third_party_deprecation
"""
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$", re.MULTILINE)  # what honcho reads; other lines are comments
VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")  # ${NAME} and ${NAME:-default}, as in the Procfile

PROGRAM_OPTIONS = """\
directory={root}
autorestart=true
startretries=5
stopwaitsecs=15
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""


def procfile(path: Path = PROCFILE) -> Dict[str, str]:
    """name -> command, in the Procfile's order."""
    return {name: command.strip() for name, command in PROCFILE_LINE.findall(path.read_text(encoding="utf-8"))}


def selected(env: Mapping[str, str]) -> List[str]:
    """The processes to start: all of the Procfile's, the optional ones only when their variable is set."""
    return [name for name in procfile() if name not in OPTIONAL or env.get(OPTIONAL[name])]


def prepare_environment(env: MutableMapping[str, str], env_file: Path = Path(".env")) -> MutableMapping[str, str]:
    """The environment every process gets (see the module's docstring); changes `env` in place."""
    if env_file.is_file():
        from dotenv import dotenv_values

        env.update({key: value for key, value in dotenv_values(env_file).items() if value})
    defaults = {
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
        "ACTION_SERVER_TOKEN": secrets.token_hex(16),
        "RASA_API_TOKEN": secrets.token_hex(16),
        "RASA_URL": f"http://127.0.0.1:{env.get('RASA_PORT') or 5005}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{env.get('ACTION_SERVER_PORT') or 5055}/webhook",
        # LICHTPUNT_PROFILE=prod: a Redis lock store (endpoints.prod.yml) and two Sanic workers per Rasa process
        "RASA_ENDPOINTS": "endpoints.prod.yml" if env.get("LICHTPUNT_PROFILE") == "prod" else "endpoints.yml",
        "SANIC_WORKERS": "2" if env.get("LICHTPUNT_PROFILE") == "prod" else "1",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "1",
    }
    for key, value in defaults.items():
        if not env.get(key):
            env[key] = value
    return env


def program_command(command: str, env: Mapping[str, str]) -> str:
    """A Procfile command for supervisord: variables filled in, the program's path made absolute.

    Set variables become supervisord's own `%(ENV_NAME)s`, so tokens are read from the environment, not
    written into the config file.
    """
    def fill(match: "re.Match[str]") -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return f"%(ENV_{name})s"
        if default is None:
            raise SystemExit(f"The Procfile needs {name}, which is not set (make run sets it; see README).")
        return default.replace("%", "%%")

    program, _, rest = command.partition(" ")
    if "/" in program and not program.startswith("/"):
        program = shlex.quote(str(ROOT / program))
    return VARIABLE.sub(fill, f"{program} {rest}".strip())


def runtime_dir(var_dir: Path) -> Path:
    return var_dir / "supervisor"


def config_text(names: List[str], env: Mapping[str, str], runtime: Path) -> str:
    """supervisord's configuration: quiet itself, its socket for supervisorctl, one [program] per process."""
    password = secrets.token_hex(16)  # supervisorctl reads it from this file (mode 0600)
    lines = [
        "; Written by `python -m bot run` from the Procfile at every start: edit the Procfile, not this file.",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={runtime / 'supervisord.log'}",
        "logfile_maxbytes=1MB",
        "logfile_backups=1",
        "loglevel=info",
        f"pidfile={runtime / 'supervisord.pid'}",
        f"childlogdir={runtime}",
        f"user={os.getuid()}",
        "",
        "[unix_http_server]",
        f"file={runtime / 'supervisor.sock'}",
        "chmod=0700",
        "username=lichtpunt",
        f"password={password}",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{runtime / 'supervisor.sock'}",
        "username=lichtpunt",
        f"password={password}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    commands = procfile()
    for name in names:
        lines += ["", f"[program:{name}]", f"command={program_command(commands[name], env)}"]
        lines.append(PROGRAM_OPTIONS.format(root=ROOT).rstrip("\n"))
    return "\n".join(lines) + "\n"


def write_config(names: List[str], env: MutableMapping[str, str], var_dir: Path) -> Path:
    """The runtime files: supervisord's config and the processes' sitecustomize (added to PYTHONPATH in `env`)."""
    runtime = runtime_dir(var_dir)
    (runtime / "python").mkdir(parents=True, exist_ok=True)
    (runtime / "python" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(runtime / "python"), env.get("PYTHONPATH")]))
    path = runtime / "supervisord.conf"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(config_text(names, env, runtime), encoding="utf-8")
    return path


def _short(path: Path) -> str:
    """A path as people type it here: relative to the current directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _append_to_stdout() -> None:
    """supervisord writes its lines to its stdout and the processes' lines to /dev/stdout opened anew: when
    stdout is a file (`make run > run.log`), both must append or they write over each other."""
    try:
        fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_APPEND)
    except OSError:
        pass


def run() -> int:
    """Write the config and become supervisord (foreground): its pid is this process's pid."""
    env = prepare_environment(dict(os.environ))
    os.environ.update(env)  # the settings below read the same environment the processes get
    from bot.settings import get_settings

    var_dir = get_settings().var_dir.resolve()
    names = selected(env)
    if "telegram" not in names:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge is not started.", file=sys.stderr)
    config = write_config(names, env, var_dir)
    _append_to_stdout()
    supervisord = Path(sys.executable).with_name("supervisord")
    print(f"Supervised (a process that stops is started again): {', '.join(names)}. "
          f"Status: {_short(supervisord.with_name('supervisorctl'))} -c {_short(config)} status", flush=True)
    os.execve(supervisord, [str(supervisord), "--nodaemon", "--configuration", str(config)], env)
    return 1  # not reached
