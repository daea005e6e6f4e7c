"""Every kind of record the simulator keeps in its store, and the type of its records.

A shared store (Redis) encodes records with `simulator.store.codec`, which needs to
know each kind's type; a new kind of record is added here, and the codec's round-trip
test (tests/store/test_codec.py) covers it from then on.
"""

from __future__ import annotations

from types import MappingProxyType

from simulator.basket.model import BASKET, Basket
from simulator.catalog.model import CATEGORY, PRODUCT, Category, Product
from simulator.checkout.model import BASKET_CHECKOUTS, CHECKOUT, REDIRECT_TOKEN, BasketCheckouts, Checkout, RedirectToken
from simulator.customers.model import (
    ADDRESS,
    AUTH_TOKEN,
    CUSTOMER,
    EMAIL_KEY,
    LOGIN_ADDRESS_ATTEMPTS,
    LOGIN_ATTEMPTS,
    REGISTRATION_COUNT,
    RESET_TOKEN,
    Address,
    AuthToken,
    Customer,
    EmailKey,
    LoginAttempts,
    RegistrationCount,
    ResetToken,
)
from simulator.idempotency import IDEMPOTENCY, IdempotencyRecord
from simulator.mail.outbox import MAIL, Mail
from simulator.orders.model import ORDER, Order
from simulator.promotions.rules import PROMOTION, PROMOTION_USAGE, Promotion, PromotionUsage
from simulator.webhooks.events import DELIVERY, SUBSCRIPTION, Delivery, Subscription
from simulator.webhooks.keys import INTEGRATION_KEY, IntegrationKey

KINDS = MappingProxyType({
    PRODUCT: Product,
    CATEGORY: Category,
    CUSTOMER: Customer,
    EMAIL_KEY: EmailKey,
    ADDRESS: Address,
    AUTH_TOKEN: AuthToken,
    RESET_TOKEN: ResetToken,
    LOGIN_ATTEMPTS: LoginAttempts,
    LOGIN_ADDRESS_ATTEMPTS: LoginAttempts,
    REGISTRATION_COUNT: RegistrationCount,
    BASKET: Basket,
    CHECKOUT: Checkout,
    BASKET_CHECKOUTS: BasketCheckouts,
    REDIRECT_TOKEN: RedirectToken,
    ORDER: Order,
    PROMOTION: Promotion,
    PROMOTION_USAGE: PromotionUsage,
    IDEMPOTENCY: IdempotencyRecord,
    MAIL: Mail,
    SUBSCRIPTION: Subscription,
    DELIVERY: Delivery,
    INTEGRATION_KEY: IntegrationKey,
})

#: Kinds read on most requests and written rarely: a shared store keeps a copy of them in
#: every process, brought up to date by a cheap freshness check (see store/redis.py).
#: Webhook subscriptions are among them: every product or order change asks whether any wants it.
LOCAL_KINDS = (PRODUCT, CATEGORY, PROMOTION, PROMOTION_USAGE, SUBSCRIPTION)
