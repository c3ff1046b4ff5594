"""The dispatcher's command for transfers between legs: ``wms transfer SHIPMENT LEG`` plans
the transfer before leg LEG (air to air, rail to air) with its minimum connection time and
an optional transit customs step, through the same door the pages would call
(``wms.logistics.transfers.plan_transfer``). ``attach(main)`` adds it (one line in cli.py).
"""
from __future__ import annotations

import click


@click.command("transfer")
@click.argument("shipment")
@click.argument("leg")
@click.option("--connection", "connection", default=None,
              help="Minimum connection time at the hub, in minutes (default by the modes).")
@click.option("--transit-customs", is_flag=True, help="The goods pass transit customs there.")
@click.option("--customs", "customs", default=None,
              help="Minutes the transit customs step takes (default 240).")
@click.pass_context
def transfer(ctx, shipment: str, leg: str, connection: str | None, transit_customs: bool,
             customs: str | None) -> None:
    """Plan the transfer before LEG (its number) of SHIPMENT (name, reference or id)."""
    from wms.cli import unit_of_work
    from wms.logistics.shipments import resolve_shipment
    from wms.logistics.transfers import plan_transfer
    with unit_of_work(ctx) as session:
        found = resolve_shipment(session, shipment)
        planned = plan_transfer(session, found, leg, min_connection_minutes=connection,
                                transit_customs=transit_customs, customs_minutes=customs)
        click.echo(f"{found.name} leg {planned.leg.seq}: transfer at {planned.hub.code}, "
                   f"ready {int(planned.ready_after.total_seconds() // 60)} min after arrival")


def attach(main: click.Group) -> None:
    main.add_command(transfer)
