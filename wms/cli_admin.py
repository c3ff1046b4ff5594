"""The operator's commands: backup and restore, the settings check, and account safety.

``attach(main)`` adds them to the ``wms`` command (one line in ``wms/cli.py``) and puts the
settings check in front of ``wms run`` and ``wms worker``, so a wrong setting stops the
start with one line naming it instead of surfacing as a 500 later.
"""
from __future__ import annotations

import functools
import sys

import click

from wms.core.errors import DomainError


def _unit_of_work(ctx):
    from wms.cli import unit_of_work
    return unit_of_work(ctx)


def require_valid_settings() -> None:
    """Stop with every wrong setting, one line each (``SETTING: what is wrong``)."""
    from wms.core.settings_check import check_settings
    problems = check_settings()
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(problems)} setting(s) wrong; nothing started")


@click.command("check-config")
def check_config() -> None:
    """Check the settings (database, CEB schemas, customs gateway, queue) and reach the
    database; exit 1 with one line per problem."""
    from wms.core.db import database_url, make_engine
    from wms.core.settings_check import check_settings, probe_database
    problems = check_settings()
    if not any(p.startswith("WMS_DATABASE_URL") for p in problems):
        engine = make_engine(database_url())
        unreachable = probe_database(engine)
        engine.dispose()
        if unreachable:
            problems.append(unreachable)
    for line in problems:
        click.echo(line, err=True)
    if problems:
        sys.exit(1)
    click.echo("settings ok")


def _print_fingerprint(prints: dict) -> None:
    for table, (rows, digest) in prints.items():
        click.echo(f"{table}: {rows} rows sha256 {digest[:16]}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Back the database up into the new file PATH (safe while the app serves)."""
    from wms import backup
    from wms.core.db import database_url, make_engine
    url = database_url()
    try:
        backup.backup(url, path)
    except (backup.BackupError, DomainError) as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(url)
    _print_fingerprint(backup.fingerprint_of(engine))
    engine.dispose()
    click.echo(f"backup written to {path}", err=True)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask: the database is replaced.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the database with the backup in PATH. Stop the app and the worker first."""
    from wms import backup
    from wms.core.db import database_url, make_engine
    if not yes:
        click.confirm("This replaces the whole database with the backup. Go on?", abort=True)
    url = database_url()
    try:
        backup.restore(url, path)
    except (backup.BackupError, DomainError) as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(url)
    _print_fingerprint(backup.fingerprint_of(engine))
    engine.dispose()
    click.echo(f"database restored from {path}", err=True)


@click.group("account")
def account() -> None:
    """Lock, unlock, reset passwords and end sessions."""


@account.command("lock")
@click.argument("login")
@click.pass_context
def account_lock(ctx, login: str) -> None:
    """Deactivate LOGIN: every session ends, API tokens stop working."""
    from wms.accounts.services import get_user, lock_user
    with _unit_of_work(ctx) as session:
        lock_user(session, get_user(session, login))
    click.echo(f"{login} locked; every session ended")


@account.command("unlock")
@click.argument("login")
@click.pass_context
def account_unlock(ctx, login: str) -> None:
    """Activate LOGIN again and clear its failed logins."""
    from wms.accounts.services import get_user, unlock_user
    with _unit_of_work(ctx) as session:
        unlock_user(session, get_user(session, login))
    click.echo(f"{login} unlocked")


@account.command("password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the new password from standard input.")
@click.pass_context
def account_password(ctx, login: str, password_stdin: bool) -> None:
    """Set a new password for LOGIN; every session of LOGIN ends."""
    from wms.accounts.services import get_user, set_password
    password = sys.stdin.readline().rstrip("\r\n")
    with _unit_of_work(ctx) as session:
        set_password(session, get_user(session, login), password)
    click.echo(f"password of {login} set; every session ended")


@account.command("end-sessions")
@click.argument("login")
@click.pass_context
def account_end_sessions(ctx, login: str) -> None:
    """Log LOGIN out everywhere (a lost handheld, a shared screen)."""
    from wms.accounts.services import end_sessions, get_user
    with _unit_of_work(ctx) as session:
        end_sessions(session, get_user(session, login))
    click.echo(f"every session of {login} ended")


COMMANDS = (check_config, backup_command, restore_command, account)
CHECKED_AT_START = ("run", "worker")


def attach(main: click.Group) -> None:
    """Add the commands to ``wms`` and check the settings before ``run`` and ``worker``."""
    for command in COMMANDS:
        main.add_command(command)
    for name in CHECKED_AT_START:
        command = main.commands.get(name)
        if command is not None and not getattr(command.callback, "settings_checked", False):
            command.callback = _checked(command.callback)


def _checked(callback):
    @functools.wraps(callback)
    def start(*args, **kwargs):
        require_valid_settings()
        return callback(*args, **kwargs)
    start.settings_checked = True
    return start
