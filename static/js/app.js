// Countdown's own script: small, and only what htmx does not do.
document.addEventListener("htmx:afterSwap", (event) => {
  // After a swap, move focus to the first error so keyboard and screen reader users hear it.
  const invalid = event.detail.target.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
