// Stripe's Payment Element: pays a PaymentIntent, or (data-mode="setup") saves a card through a
// SetupIntent. Stripe redirects to our return page afterwards, which asks Stripe what happened.
(function () {
  const form = document.getElementById("stripe-payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey, { locale: form.dataset.locale });
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const confirm = form.dataset.mode === "setup" ? stripe.confirmSetup : stripe.confirmPayment;
    const { error } = await confirm({ elements, confirmParams: { return_url: form.dataset.returnUrl } });
    if (error) {
      document.getElementById("payment-message").textContent = error.message;
      button.disabled = false;
    }
  });
})();
