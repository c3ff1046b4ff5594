"""The outbound doors under their old address, for the callers outside outbound that still
import them from here (wms/demo.py, wms/returns/demo.py, wms/returns/services.py).

New code imports the rooms: ``intake`` (orders), ``declare`` (customs), ``fulfilment``
(waves, picks, packing, shipping), ``overseas`` (9810 arrival), ``queries`` (reads).
"""
from .fulfilment import confirm_pick, create_wave, pack_order, ship_order
from .intake import LimitExceeded, OrderResult, cancel_order, receive_order, receive_orders
from .overseas import arrive_overseas
from .queries import buyer_year_total, get_order, orders_query, wave_moves

__all__ = ["LimitExceeded", "OrderResult", "arrive_overseas", "buyer_year_total",
           "cancel_order", "confirm_pick", "create_wave", "get_order", "orders_query",
           "pack_order", "receive_order", "receive_orders", "ship_order", "wave_moves"]
