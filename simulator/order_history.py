"""Whether a customer has ordered: the one question about orders that the basket asks
(first-order promotions), answered below both, since orders import the basket.

The order record kind's name lives here for that reason; `simulator.orders` alone writes
those records. Every order of the customer counts, placed or seeded, cancelled or not:
"first order" means the customer never placed one.
"""

from __future__ import annotations

from simulator.store import Store

ORDER = "order"


def has_ordered(store: Store, customer_id: str) -> bool:
    return bool(store.by_owner(ORDER, customer_id))
