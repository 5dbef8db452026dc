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

// Launch-day countdowns: each <time data-countdown datetime="..."> shows "T-1 d 02:13:45" to its
// moment, then "T+..." after it, ticking every second. The server-rendered text stays for readers
// without JavaScript; the element is not a live region (a screen reader would hear every second).
function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("time[data-countdown]")) {
    const at = Date.parse(el.getAttribute("datetime"));
    if (Number.isNaN(at)) continue;
    let seconds = Math.round((at - now) / 1000);
    const sign = seconds >= 0 ? "T-" : "T+";
    seconds = Math.abs(seconds);
    const days = Math.floor(seconds / 86400);
    const pad = (n) => String(n).padStart(2, "0");
    const clock = `${pad(Math.floor((seconds % 86400) / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
    el.textContent = `${sign}${days ? `${days} d ` : ""}${clock}`;
  }
}
setInterval(tick, 1000);
document.addEventListener("DOMContentLoaded", tick);
document.addEventListener("htmx:afterSwap", tick);
