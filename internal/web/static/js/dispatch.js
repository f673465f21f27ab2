// The dispatch console, live: follows /agent/dispatch/events (Server-Sent
// Events) and, on every event that concerns this page, fetches the page
// again and swaps in its parts marked data-live (by id). Forms are never
// swapped, so nothing being typed is lost. Without this script the page
// still works: forms post, and the list refreshes itself.
(() => {
  'use strict';
  const root = document.querySelector('[data-dispatch-events]');
  if (!root || !('EventSource' in window)) return;
  const ref = root.dataset.ref || '';
  const state = root.querySelector('[data-live-state]');
  const say = (key) => { if (state && state.dataset[key]) state.textContent = state.dataset[key]; };
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(location.pathname, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        for (const el of document.querySelectorAll('[data-live][id]')) {
          const fresh = doc.getElementById(el.id);
          if (fresh) el.replaceWith(fresh);
        }
        document.dispatchEvent(new CustomEvent('dispatch:updated'));
      }
    } catch (_) {
      // The next event, or the refresh link, tries again.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };
  const es = new EventSource(root.dataset.dispatchEvents);
  es.addEventListener('open', () => { root.dataset.live = 'on'; say('on'); });
  es.addEventListener('error', () => { root.dataset.live = 'off'; say('off'); });
  es.addEventListener('alert', (e) => {
    let d = {};
    try { d = JSON.parse(e.data); } catch (_) { return; }
    if (!ref || d.ref === ref) refresh();
  });
})();
