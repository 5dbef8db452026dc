// Countdown's own script: small, and only what htmx does not do.
document.addEventListener("htmx:afterSwap", (event) => {
  // After a swap, move focus to the first error so keyboard and screen reader users hear it.
  // The event fires on the swapped-in content (the new element after an outerHTML swap);
  // event.detail.target is not set on a history restore, and is the old element after outerHTML.
  const swapped = event.target;
  if (!(swapped instanceof Element)) return;
  const invalid = swapped.matches("[aria-invalid='true']")
    ? swapped
    : swapped.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();
});
