"""The ``wms`` command: database, demo data, users, tokens, serving.

The command line is a composition root like the web app: it sets the acting user
(``--as LOGIN``) so that audit trails name who ran a command, runs one use case in one
transaction, and never imports Flask (``wms run`` starts gunicorn in its own process).
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from wms.core.context import SYSTEM, acting_as
from wms.core.db import database_url, make_engine, make_session_factory
from wms.core.errors import DomainError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


@contextlib.contextmanager
def unit_of_work(ctx: click.Context):
    """One session, acting as ``--as``; committed if the block succeeds, else rolled back."""
    from wms.accounts.services import actor_for, get_user
    session = make_session_factory(make_engine())()
    try:
        actor = SYSTEM
        login = ctx.find_root().params.get("as_user")
        if login:
            actor = actor_for(get_user(session, login))
        with acting_as(actor):
            yield session
            session.commit()
    except DomainError as exc:
        session.rollback()
        where = f" [{exc.field}]" if exc.field else ""
        raise click.ClickException(f"{exc.message}{where}") from exc
    finally:
        session.close()


@click.group()
@click.option("--as", "as_user", metavar="LOGIN", help="Act as this user (for the audit trail).")
def main(as_user: str | None) -> None:
    """Lanzhou bonded warehouse WMS."""


@main.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database (default: to the newest revision)."""
    from alembic import command
    command.upgrade(alembic_config(), revision)
    click.echo(f"database at {revision}: {_safe_url(database_url())}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ('base' removes every table)."""
    from alembic import command
    command.downgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")


@db.command()
def current() -> None:
    """Show the revision the database is at."""
    from alembic import command
    command.current(alembic_config())


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@main.group()
def demo() -> None:
    """Demonstration data that looks like Lanzhou."""


@demo.command("load")
@click.pass_context
def demo_load(ctx: click.Context) -> None:
    """Load the demo data; running it again adds only what is missing."""
    from wms.demo import load_demo
    with unit_of_work(ctx) as session:
        created = load_demo(session, progress=_progress)
    click.echo(f"demo data: {created} new records" if created else "demo data already loaded")


def _progress(items, label: str):
    return click.progressbar(items, label=label, file=sys.stderr)


@main.command("check-ledger")
@click.pass_context
def check_ledger_command(ctx: click.Context) -> None:
    """Recompute every quant from the moves and check the ledger's invariants, and the
    account book against bonded stock."""
    from wms.accountbook.checks import account_book_report
    from wms.inventory.ledger import check_ledger
    with unit_of_work(ctx) as session:
        book_problems, book_notes = account_book_report(session)
        problems = check_ledger(session) + book_problems
    for problem in book_notes + problems:
        click.echo(problem)
    if problems:
        click.echo(f"ledger: {len(problems)} problem(s)", err=True)
        ctx.exit(1)
    click.echo("ledger clean")


@main.group()
def user() -> None:
    """Users who log in."""


@user.command("add")
@click.argument("login")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, supervisor, operator, dispatcher, returns_clerk, customs_clerk "
                   "or owner_viewer; repeat for several.")
@click.option("--owner", "owners", multiple=True, metavar="CODE",
              help="Customs code of an owner this user may see; repeat for several.")
@click.option("--name", "display_name", help="Name shown on pages.")
@click.option("--locale", default="zh_CN", show_default=True, type=click.Choice(["zh_CN", "en"]))
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (never from the command line).")
@click.pass_context
def user_add(ctx, login, roles, owners, display_name, locale, password_stdin) -> None:
    """Add a user."""
    from wms.accounts.services import create_user
    password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work(ctx) as session:
        created = create_user(session, login=login, password=password, roles=roles,
                              owner_codes=owners, display_name=display_name, locale=locale)
        click.echo(f"user {created.login} added with roles {', '.join(sorted(created.roles))}")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("login")
@click.option("--label", help="What the token is for.")
@click.pass_context
def token_create(ctx, login: str, label: str | None) -> None:
    """Create an API token for LOGIN and print it once."""
    from wms.accounts.services import create_token, get_user
    with unit_of_work(ctx) as session:
        secret = create_token(session, get_user(session, login), label)
    click.echo(secret)


def _labels_help() -> str:
    from labels import describe_kinds
    blocks = describe_kinds().split("\n\n")  # \b keeps click from re-wrapping each block
    return ("Render labels of KIND from a JSON file holding one object or a list, into one "
            "PDF (or ZPL) file.\n\n" + "\n\n".join("\b\n" + b for b in blocks))


@main.group()
def labels() -> None:
    """Barcode labels as PDF or ZPL."""


class _LabelsRender(click.Command):
    def get_help(self, ctx):  # the kinds' fields, listed from the label package itself
        self.help = _labels_help()
        return super().get_help(ctx)


@labels.command("render", cls=_LabelsRender)
@click.argument("kind")
@click.option("--data", "data_file", required=True, type=click.File("rb"),
              help="JSON file: one label's fields, or a list of them ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "zpl"]), default="pdf",
              show_default=True)
@click.option("--stock", help="Page stock, e.g. 100x150, 100x50, a4-sheet, a4-landscape.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write ('-' for stdout).")
def labels_render(kind: str, data_file, fmt: str, stock: str | None, output: str) -> None:
    import json
    from labels import LabelDataError, render_pdf, render_zpl
    try:
        data = json.load(data_file)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{data_file.name}: not JSON: {exc}") from exc
    records = data if isinstance(data, list) else [data]
    try:
        if fmt == "pdf":
            content = render_pdf(kind, records, stock)
        else:
            content = render_zpl(kind, records, stock).encode()
    except LabelDataError as exc:
        raise click.ClickException(f"[{exc.field}] {exc.message}") from exc
    with click.open_file(output, "wb") as fh:
        fh.write(content)
    if output != "-":
        click.echo(f"{len(records)} {kind} label(s) written to {output}", err=True)


@main.command()
@click.option("--workers", default=2, show_default=True, type=int,
              help="Worker threads of this consumer; run more consumers on more hosts.")
@click.option("--once", is_flag=True,
              help="Run what is queued and every due job once, then exit (cron, tests).")
def worker(workers: int, once: bool) -> None:
    """Run the background jobs: the huey consumer on the configured queue."""
    import logging
    from wms.jobs import tasks
    from wms.jobs.queries import queue_backend
    from wms.jobs.queue import configure, huey
    settings = configure()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if once:
        done = tasks.run_once()
        failed = False
        for name, result in sorted(done["jobs"].items()):
            counts = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items()))
            error = f" {result.error}" if result.error else ""
            click.echo(f"{name}: {result.outcome} {counts}{error}")
            failed = failed or result.outcome == "failed"
        click.echo(f"{done['queued']} queued task(s), {len(done['jobs'])} due job(s) run")
        sys.exit(1 if failed else 0)
    click.echo(f"worker on the {queue_backend(settings)} queue, {workers} thread(s)",
               err=True)
    try:
        tasks.enqueue_due()  # at start, not only at the next minute's tick
    except Exception as exc:  # the queue is down: the consumer retries connecting
        click.echo(f"could not enqueue the due jobs yet: {exc}", err=True)
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                         check_worker_health=True).run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=int(os.environ.get("WEB_CONCURRENCY", 2)), show_default=True,
              type=int)
@click.option("--with-worker/--no-worker", default=True, show_default=True,
              help="Also run a background consumer (the embedded default); production web "
                   "hosts say --no-worker and run `wms worker` separately.")
def run(host: str, port: int, workers: int, with_worker: bool) -> None:
    """Serve the web app with gunicorn, and a background consumer beside it."""
    import signal
    import subprocess
    click.echo(f"serving on http://{host}:{port}", err=True)
    web = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
           f"{host}:{port}", "--access-logfile", "-", "--chdir", str(PROJECT_ROOT),
           "wsgi:app"]
    if not with_worker:
        os.execv(sys.executable, web)
    consumer = subprocess.Popen([sys.executable, "-m", "wms.cli", "worker", "--workers", "2"])
    server = subprocess.Popen(web)

    def stop(signum, _frame):
        for process in (server, consumer):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Whichever ends first (a crash, a signal) takes the other with it.
    while server.poll() is None and consumer.poll() is None:
        try:
            server.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
    stop(None, None)
    for process in (server, consumer):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(server.returncode or 0)


from wms.cli_admin import attach  # noqa: E402 - backup, restore, check-config, account
attach(main)
from wms.cli_codes import attach as attach_codes  # noqa: E402 - wms codes load
attach_codes(main)
from wms.cli_corridor import attach as attach_corridor  # noqa: E402 - transfer
attach_corridor(main)

if __name__ == "__main__":
    main()
