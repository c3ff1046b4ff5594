"""``wms codes``: reload the customs code tables from CSV (a newer table customs published).

``attach(main)`` adds the group to the ``wms`` command (one line in ``wms/cli.py``).
"""
from __future__ import annotations

from pathlib import Path

import click


@click.group("codes")
def codes() -> None:
    """The customs code tables (countries, currencies, units, trade and transport modes,
    customs offices, provinces)."""


@codes.command("load")
@click.option("--table", "table", metavar="TABLE",
              help="The table to replace; by default the file's name (country.csv: country).")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def load(ctx, table: str | None, path: str | None) -> None:
    """Replace a table with the CSV in PATH (code,name_zh,name_en); without PATH, reload the
    shipped file of TABLE, or of every table when no TABLE is named either."""
    from wms.cli import unit_of_work
    from wms.customs.codes import load_code_table
    from wms.customs.models import CODE_TABLES
    text = None
    if path is not None:
        table = table or Path(path).stem
        text = Path(path).read_text(encoding="utf-8")
    if table is not None and table not in CODE_TABLES:
        raise click.BadParameter(f"{table} is not one of {', '.join(CODE_TABLES)}",
                                 param_hint="--table")
    with unit_of_work(ctx) as session:
        for name in [table] if table else CODE_TABLES:
            click.echo(f"{name}: {load_code_table(session, name, text)} codes")


def attach(main: click.Group) -> None:
    main.add_command(codes)
