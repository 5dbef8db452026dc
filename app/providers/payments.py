"""Payments providers: Stripe (PaymentIntents, official SDK) and a sandbox where no money moves.

Both speak the same small interface in terms of *intents*: create one for a payment row, fetch it
again, refund it, and read a webhook. The payments service never trusts a payload: it re-fetches
the intent from the provider and applies what the provider says.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import stripe
from flask import Flask

from app.extensions import db
from app.models.payments import Payment, Refund, SandboxIntent


class PaymentError(RuntimeError):
    """The provider refused or could not be reached; ``message`` is safe to log."""


class WebhookError(ValueError):
    """A webhook whose signature, age or body is not acceptable."""


class UnknownIntent(PaymentError):
    """The provider does not know this payment intent (not an outage: asking again won't help)."""


# How far a signed webhook's time may lie in the past (Stripe's own default) or in the future
# (clock skew): beyond either, the event is refused as a replay or a forgery.
WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Intent:
    id: str
    status: str              # Stripe's vocabulary: succeeded, processing, requires_payment_method, ...
    amount_minor: int
    currency: str
    client_secret: str | None = None
    charge_id: str | None = None
    error: str = ""          # the decline reason of the last attempt, if any
    refunded_minor: int = 0
    payment_id: int | None = None  # our payment row, from the intent's metadata

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.status in ("requires_payment_method", "canceled") and bool(self.error)


@dataclass(frozen=True)
class WebhookNotice:
    id: str
    type: str
    object_id: str
    object_type: str


def _short_text(value, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise WebhookError("malformed event")
    return value


def notice_from_event(event) -> WebhookNotice:
    """What a signed event says, checked: a correctly signed body of another shape (no data, an
    object that is not one, ids that are not short text) is refused, not handled half-way."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise WebhookError("malformed event")
    obj = event["data"].get("object")
    if not isinstance(obj, dict):
        raise WebhookError("malformed event")
    return WebhookNotice(
        id=_short_text(event.get("id"), 255), type=_short_text(event.get("type"), 64),
        object_id=_short_text(obj.get("id"), 255), object_type=str(obj.get("object", ""))[:64],
    )


class PaymentsProvider(Protocol):
    name: str

    def create_intent(self, payment: Payment, *, customer_email: str) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent: ...

    def refund(self, payment: Payment, refund: Refund) -> str: ...

    def charge_saved_card(self, payment: Payment, *, card_token: str, customer_id: str | None) -> Intent:
        """Charge a saved card without the tourist present (off-session), for one attempt."""

    def read_webhook(self, payload: bytes, signature: str) -> WebhookNotice: ...


# -- sandbox --------------------------------------------------------------------------------------

SANDBOX_CARDS = {
    "4242424242424242": None,  # succeeds
    "4000000000000002": "Your card was declined.",
    "4000000000009995": "Your card has insufficient funds.",
    "4000000000000069": "Your card has expired.",
}
SANDBOX_AUTHENTICATION_CARD = "4000002760003184"  # saved, but every charge needs the tourist


class SandboxProvider:
    """A visible test checkout. The intent lives in our own table; paying it goes through the
    same event handling as a Stripe webhook."""

    name = "sandbox"

    def create_intent(self, payment: Payment, *, customer_email: str) -> Intent:
        intent = SandboxIntent(
            id=f"pi_sandbox_{secrets.token_hex(12)}", amount_minor=payment.amount_minor,
            currency=payment.currency, metadata_payment_id=payment.id,
        )
        db.session.add(intent)
        db.session.flush()
        return self._intent(intent)

    def retrieve_intent(self, intent_id: str) -> Intent:
        intent = db.session.get(SandboxIntent, intent_id)
        if intent is None:
            raise UnknownIntent(f"no sandbox intent {intent_id[:80]}")
        return self._intent(intent)

    def pay(self, intent_id: str, card_number: str) -> Intent:
        """What the sandbox checkout does with a test card number."""
        intent = db.session.get(SandboxIntent, intent_id)
        if intent is None:
            raise PaymentError(f"no sandbox intent {intent_id}")
        if intent.status == "succeeded":
            return self._intent(intent)
        number = "".join(ch for ch in card_number if ch.isdigit())
        if number == SANDBOX_AUTHENTICATION_CARD:  # paid by hand, the tourist confirms on the spot
            number = "4242424242424242"
        decline = SANDBOX_CARDS.get(number, "Use one of the test card numbers shown on this page.")
        intent.card_last4 = number[-4:] if number else None
        if decline is None:
            intent.status, intent.last_error = "succeeded", ""
        else:
            intent.status, intent.last_error = "requires_payment_method", decline
        db.session.flush()
        return self._intent(intent)

    def save_card(self, card_number: str) -> tuple[str, str]:
        """A sandbox "saved card" is its test number: the token says how charges will go."""
        number = "".join(ch for ch in card_number if ch.isdigit())
        return f"pm_sandbox_{number}", number[-4:]

    def charge_saved_card(self, payment: Payment, *, card_token: str, customer_id: str | None) -> Intent:
        if payment.provider_payment_id is None:
            intent = self.create_intent(payment, customer_email="")
            payment.provider_payment_id = intent.id
        number = card_token.removeprefix("pm_sandbox_")
        if number == SANDBOX_AUTHENTICATION_CARD:
            row = db.session.get(SandboxIntent, payment.provider_payment_id)
            row.status, row.last_error = "requires_action", "Your bank asks you to confirm this payment."
            db.session.flush()
            return self._intent(row)
        return self.pay(payment.provider_payment_id, number)

    def refund(self, payment: Payment, refund: Refund) -> str:
        intent = db.session.get(SandboxIntent, payment.provider_payment_id)
        if intent is None or intent.status != "succeeded":
            raise PaymentError("only a succeeded sandbox payment can be refunded")
        if intent.refunded_minor + refund.amount_minor > intent.amount_minor:
            raise PaymentError("refund exceeds the amount paid")
        intent.refunded_minor += refund.amount_minor
        return f"re_sandbox_{secrets.token_hex(12)}"

    def read_webhook(self, payload: bytes, signature: str) -> WebhookNotice:
        raise WebhookError("the sandbox sends no webhooks")

    @staticmethod
    def _intent(intent: SandboxIntent) -> Intent:
        return Intent(
            id=intent.id, status=intent.status, amount_minor=intent.amount_minor,
            currency=intent.currency, client_secret=None,
            charge_id=f"ch_{intent.id}" if intent.status == "succeeded" else None,
            error=intent.last_error, refunded_minor=intent.refunded_minor,
            payment_id=intent.metadata_payment_id,
        )


# -- Stripe ---------------------------------------------------------------------------------------

class StripeProvider:
    name = "stripe"

    def __init__(self, app: Flask) -> None:
        self._stripe = stripe
        options: dict = {"max_network_retries": 2}
        if app.config["STRIPE_API_BASE"]:  # a local Stripe test server
            options["base_addresses"] = {"api": app.config["STRIPE_API_BASE"]}
            options["max_network_retries"] = 0
        self.client = stripe.StripeClient(app.config["STRIPE_SECRET_KEY"], **options)
        self.webhook_secret = app.config["STRIPE_WEBHOOK_SECRET"]

    def create_intent(self, payment: Payment, *, customer_email: str) -> Intent:
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": payment.amount_minor,
                    "currency": payment.currency.lower(),
                    "payment_method_types": ["card"],
                    "receipt_email": customer_email,
                    "metadata": {"payment_id": str(payment.id), "booking_id": str(payment.booking_id),
                                 "kind": payment.kind.value},
                },
                options={"idempotency_key": payment.idempotency_key},
            )
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the payment intent: {type(exc).__name__}") from exc
        return self._intent(intent)

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        except self._stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise UnknownIntent(f"Stripe does not know {intent_id[:80]}") from exc
            raise PaymentError(f"Stripe could not return {intent_id[:80]}: {type(exc).__name__}") from exc
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not return {intent_id[:80]}: {type(exc).__name__}") from exc
        return self._intent(intent)

    def refund(self, payment: Payment, refund: Refund) -> str:
        try:
            result = self.client.v1.refunds.create(
                params={"payment_intent": payment.provider_payment_id, "amount": refund.amount_minor,
                        "metadata": {"refund_key": refund.idempotency_key}},
                options={"idempotency_key": refund.idempotency_key},
            )
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the refund: {type(exc).__name__}") from exc
        return result.id

    def ensure_customer(self, email: str, name: str, existing: str | None) -> str:
        if existing:
            return existing
        customer = self.client.v1.customers.create(params={"email": email, "name": name})
        return customer.id

    def forget_customer(self, customer_id: str) -> None:
        """Delete the customer at Stripe (their name, email and saved cards) when their data is
        erased; one already gone is done."""
        try:
            self.client.v1.customers.delete(customer_id)
        except self._stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise PaymentError(f"Stripe could not delete {customer_id[:80]}: {type(exc).__name__}") from exc
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not delete {customer_id[:80]}: {type(exc).__name__}") from exc

    def start_card_setup(self, customer_id: str, booking_id: int) -> tuple[str, str]:
        setup = self.client.v1.setup_intents.create(
            params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"],
                    "metadata": {"booking_id": str(booking_id)}},
            options={"idempotency_key": f"countdown-card-setup-{booking_id}-{customer_id}"},
        )
        return setup.id, setup.client_secret

    def finish_card_setup(self, setup_intent_id: str) -> tuple[str, str] | None:
        """The saved card of a finished setup, or ``None`` (not finished, unknown to Stripe, or a
        setup id that is not one: the address the browser came back with is not to be trusted)."""
        if not setup_intent_id.startswith("seti_") or len(setup_intent_id) > 255:
            return None
        setup = self._retrieve(self.client.v1.setup_intents, setup_intent_id)
        if not setup or setup.get("status") != "succeeded" or not setup.get("payment_method"):
            return None
        method_id = setup["payment_method"]
        method_id = method_id if isinstance(method_id, str) else method_id["id"]
        method = self._retrieve(self.client.v1.payment_methods, method_id) or {}
        return method_id, (method.get("card") or {}).get("last4", "")

    def charge_saved_card(self, payment: Payment, *, card_token: str, customer_id: str | None) -> Intent:
        try:
            if payment.provider_payment_id is None:
                intent = self.client.v1.payment_intents.create(
                    params={
                        "amount": payment.amount_minor, "currency": payment.currency.lower(),
                        "customer": customer_id, "payment_method": card_token,
                        "payment_method_types": ["card"], "off_session": True, "confirm": True,
                        "metadata": {"payment_id": str(payment.id), "kind": payment.kind.value},
                    },
                    options={"idempotency_key": payment.attempt_key()},
                )
            else:  # a retry of the same payment: the same intent, confirmed again
                intent = self.client.v1.payment_intents.confirm(
                    payment.provider_payment_id, params={"off_session": True},
                    options={"idempotency_key": payment.attempt_key()},
                )
        except self._stripe.CardError as exc:
            intent = exc.error.payment_intent if exc.error and exc.error.payment_intent else None
            if intent is None:
                raise PaymentError(f"card error without an intent: {exc.code}") from exc
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not charge the card: {type(exc).__name__}") from exc
        return self._intent(intent)

    def read_webhook(self, payload: bytes, signature: str) -> WebhookNotice:
        try:
            event = self._stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
        except (ValueError, self._stripe.SignatureVerificationError) as exc:
            raise WebhookError(type(exc).__name__) from exc
        except (AttributeError, KeyError, TypeError) as exc:  # JSON, but not an object at all
            raise WebhookError("malformed event") from exc
        # The SDK refuses a signature too old; one dated too far ahead is refused here.
        signed_at = dict(part.split("=", 1) for part in signature.split(",") if "=" in part).get("t", "")
        if not signed_at.isdigit() or int(signed_at) > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookError("signature timestamp in the future")
        return notice_from_event(event.to_dict())  # stripe>=15 objects are not dicts: no .get()

    def _retrieve(self, resource, object_id: str) -> dict | None:
        """An object of Stripe's as a dict; ``None`` when Stripe does not have it, PaymentError
        when Stripe cannot answer (the webhook is then asked for again later)."""
        try:
            return resource.retrieve(object_id).to_dict()
        except self._stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise PaymentError(f"Stripe could not return {object_id[:80]}: {type(exc).__name__}") from exc
        except self._stripe.StripeError as exc:
            raise PaymentError(f"Stripe could not return {object_id[:80]}: {type(exc).__name__}") from exc

    def retrieve_charge_payment_intent(self, charge_id: str) -> str | None:
        charge = self._retrieve(self.client.v1.charges, charge_id) or {}
        intent = charge.get("payment_intent")
        return intent if isinstance(intent, str) else None

    def retrieve_dispute_charge(self, dispute_id: str) -> str | None:
        dispute = self._retrieve(self.client.v1.disputes, dispute_id) or {}
        charge = dispute.get("charge")
        return charge if isinstance(charge, str) else (charge or {}).get("id")

    @staticmethod
    def _intent(intent) -> Intent:
        # stripe>=15 objects are not dicts: plain dicts all the way down (expanded latest_charge too)
        intent = intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)
        error = ""
        last = intent.get("last_payment_error")
        if last:
            error = last.get("message") or last.get("code") or "declined"
        charge = intent.get("latest_charge")
        charge_id = charge if isinstance(charge, str) else (charge or {}).get("id") if charge else None
        refunded = 0
        if charge and not isinstance(charge, str):
            refunded = charge.get("amount_refunded") or 0
        raw_payment_id = (intent.get("metadata") or {}).get("payment_id")
        return Intent(
            id=intent["id"], status=intent["status"], amount_minor=intent["amount"],
            currency=intent["currency"].upper(), client_secret=intent.get("client_secret"),
            charge_id=charge_id, error=error, refunded_minor=refunded,
            payment_id=int(raw_payment_id) if str(raw_payment_id or "").isdigit() else None,
        )


def init_payments(app: Flask) -> None:
    provider = StripeProvider(app) if app.config["PAYMENTS_PROVIDER"] == "stripe" else SandboxProvider()
    app.extensions["countdown_payments"] = provider


def payments_provider(app: Flask) -> PaymentsProvider:
    return app.extensions["countdown_payments"]
