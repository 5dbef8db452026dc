// Stripe's Payment Element for one PaymentIntent; Stripe redirects to our return page afterwards.
(function () {
  const form = document.getElementById("stripe-payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey, { locale: form.dataset.locale });
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("pay-button");
    button.disabled = true;
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    });
    if (error) {
      document.getElementById("payment-message").textContent = error.message;
      button.disabled = false;
    }
  });
})();
