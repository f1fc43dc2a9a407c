/*
 * Like buttons, progressively enhanced.
 *
 * Without this file each Like button is a form: it posts to /posts/<slug>/like or
 * /comments/<id>/like and the page comes back at the same place with the new count. With it,
 * the same button asks the JSON API (/api/v1 followed by the form's address) and updates the count in place;
 * the button becomes a toggle (aria-pressed) that takes the like back on a second press.
 *
 * Pages are cached for every reader alike, so the page cannot say what this browser liked.
 * This script remembers it in localStorage, on this device only, to show pressed buttons;
 * the server's answer always wins (it knows, from the lectern_reader cookie).
 *
 * No framework, no inline script (the CSP forbids it).
 */
(function () {
  'use strict';

  const KEY = 'lectern:liked';
  const MAX_REMEMBERED = 500;

  function remembered() {
    try {
      const list = JSON.parse(window.localStorage.getItem(KEY) || '[]');
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  }

  function remember(api, liked) {
    try {
      const list = remembered().filter((item) => item !== api);
      if (liked) list.push(api);
      window.localStorage.setItem(KEY, JSON.stringify(list.slice(-MAX_REMEMBERED)));
    } catch {
      // Storage may be full or switched off: the buttons still work, unpressed.
    }
  }

  function countText(count) {
    if (count <= 0) return '';
    return count === 1 ? '1 person likes this' : count.toLocaleString('en') + ' people like this';
  }

  function show(form, state) {
    const button = form.querySelector('.like__button');
    const action = form.querySelector('input[name="action"]');
    const count = form.querySelector('.like__count');
    if (button) button.setAttribute('aria-pressed', state.liked ? 'true' : 'false');
    if (action) action.value = state.liked ? 'unlike' : 'like';
    if (count && typeof state.count === 'number') count.textContent = countText(state.count);
  }

  // /posts/<slug>/like → /api/v1/posts/<slug>/like, /comments/<id>/like → /api/v1/comments/<id>/like
  const apiOf = (form) => '/api/v1' + form.getAttribute('action');

  const forms = Array.prototype.slice.call(document.querySelectorAll('form.like'));
  if (forms.length === 0 || !window.fetch) return;

  const liked = new Set(remembered());
  for (const form of forms) {
    // A page rendered for this reader (after a like without script) already knows.
    const button = form.querySelector('.like__button');
    if (button && button.getAttribute('aria-pressed') === 'true') remember(apiOf(form), true);
    else if (liked.has(apiOf(form))) show(form, { liked: true });
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof window.HTMLFormElement) || !form.matches('form.like')) return;
    event.preventDefault();
    const api = apiOf(form);
    const button = form.querySelector('.like__button');
    const unlike = button && button.getAttribute('aria-pressed') === 'true';
    if (button) button.disabled = true;
    window
      .fetch(api, {
        method: unlike ? 'DELETE' : 'POST',
        credentials: 'same-origin',
        headers: unlike ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: unlike ? undefined : '{}',
      })
      .then((res) => res.json().then((body) => ({ ok: res.ok, body: body })))
      .then((result) => {
        if (button) button.disabled = false;
        if (!result.ok || !result.body.like) {
          // Say why (too many likes from this network, or gone) where the count is.
          const count = form.querySelector('.like__count');
          if (count && result.body.error) count.textContent = result.body.error.message;
          return;
        }
        show(form, result.body.like);
        remember(api, result.body.like.liked);
      })
      .catch(() => {
        // Offline or the API is unreachable: send the form the ordinary way.
        if (button) button.disabled = false;
        form.submit();
      });
  });
})();
