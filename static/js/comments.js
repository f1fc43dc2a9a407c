/*
 * Replying to a comment, progressively enhanced.
 *
 * Without this file a comment's "Reply" link loads /posts/<slug>?replytocom=<id>#respond,
 * where the form at the end of the thread is set to reply to that comment. With it, Reply
 * moves that same form right under the comment, sets its parent and puts the cursor in the
 * comment box; "Cancel reply" puts it back. Nothing is sent differently.
 *
 * No framework, no inline script (the CSP forbids it).
 */
(function () {
  'use strict';

  const respond = document.getElementById('respond');
  const form = respond && respond.querySelector('form');
  const parent = form && form.querySelector('input[name="parent_id"]');
  const title = document.getElementById('reply-title');
  const box = form && form.querySelector('textarea[name="body"]');
  if (!respond || !form || !parent || !title || !box) return;

  // Where the form lives when it replies to nobody.
  const home = document.createComment(' comment form ');
  respond.before(home);

  let note = null;
  let replyingTo = null;

  function removeNote() {
    // The server's own "You are replying to…" line (on a ?replytocom page) or ours.
    respond.querySelectorAll('.comment-form__replying').forEach((el) => el.remove());
    note = null;
  }

  function cancel() {
    const from = replyingTo;
    removeNote();
    home.after(respond);
    parent.value = '';
    title.textContent = 'Leave a Reply';
    replyingTo = null;
    const link = from && document.querySelector('a[data-reply-to="' + from + '"]');
    if (link) link.focus();
  }

  function open(id, author) {
    const comment = document.getElementById('comment-' + id);
    const inner = comment && comment.querySelector(':scope > .comment__inner');
    if (!inner) return false;
    removeNote();
    inner.after(respond);
    parent.value = id;
    replyingTo = id;
    title.textContent = 'Reply to ' + author;

    note = document.createElement('p');
    note.className = 'comment-form__replying';
    note.append('You are replying to ' + author + '’s comment. ');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button button--small button--quiet';
    button.textContent = 'Cancel reply';
    button.addEventListener('click', cancel);
    note.append(button);
    title.after(note);

    box.focus();
    return true;
  }

  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof window.Element ? event.target.closest('a[data-reply-to]') : null;
    if (!link) return;
    const author = link.getAttribute('data-reply-author') || 'this comment';
    if (open(link.getAttribute('data-reply-to'), author)) event.preventDefault();
  });

  // A ?replytocom page keeps the server's Cancel link; script makes it cancel in place.
  respond.addEventListener('click', (event) => {
    const link = event.target instanceof window.Element ? event.target.closest('.comment-form__replying a[href$="#respond"]') : null;
    if (!link || event.button !== 0) return;
    event.preventDefault();
    cancel();
  });
})();
