// Live updates (the only part of the service that needs JavaScript): when the read model
// changes, fetch this page again and swap in every region marked data-live-region.
// Without JavaScript the page is complete as it is, and a reload refreshes it.
const regions = () => Array.from(document.querySelectorAll("[data-live-region]"));
const status = document.getElementById("live-status");

if (regions().length > 0 && "EventSource" in window) {
  let pending = null;

  const refresh = async () => {
    pending = null;
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "X-Live-Refresh": "1" },
    });
    if (!response.ok || response.redirected) {
      return;
    }
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const region of regions()) {
      const replacement = fresh.getElementById(region.id);
      if (replacement !== null) {
        region.replaceWith(document.importNode(replacement, true));
      }
    }
    if (status !== null) {
      const now = new Date().toLocaleTimeString("en-GB");
      status.textContent = `Updated at ${now}`;
    }
    document.body.dataset.liveRefreshes = String(Number(document.body.dataset.liveRefreshes || 0) + 1);
  };

  const source = new EventSource("/live");
  source.addEventListener("changed", () => {
    if (pending === null) {
      pending = window.setTimeout(refresh, 250);
    }
  });
  source.addEventListener("open", () => {
    document.body.dataset.live = "connected";
  });
}
