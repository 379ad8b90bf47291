"""Which payment provider a request uses: shared by the billing API and the sign-up and account pages."""

from __future__ import annotations

from starlette.requests import Request

from airwave.billing.providers import PaymentProvider
from airwave.billing.providers.manual import ManualProvider
from airwave.billing.providers.stripe import StripeProvider
from airwave.web.deps import get_runtime


def provider_for(request: Request) -> PaymentProvider:
    """Stripe when a secret key is configured, else the manual provider (invoices an admin marks paid).

    Tests (and embedders) may set ``app.state.payment_provider``.
    """
    override: PaymentProvider | None = getattr(request.app.state, "payment_provider", None)
    if override is not None:
        return override
    runtime = get_runtime(request)
    key = runtime.settings.stripe_secret_key
    return StripeProvider.from_key(key) if key else ManualProvider(runtime.clock)


def stripe_for(request: Request) -> StripeProvider | None:
    """The Stripe provider that changes Stripe-billed subscriptions, or None when Stripe is not configured."""
    override = getattr(request.app.state, "payment_provider", None)
    if isinstance(override, StripeProvider):
        return override
    key = get_runtime(request).settings.stripe_secret_key
    return StripeProvider.from_key(key) if key else None
