/*
 * Lectern post editor: progressive enhancement only.
 *
 * Without this file the editor works by plain form posts: "Preview" re-renders the page
 * with a preview, and the upload form posts to /admin/uploads and shows the Markdown to
 * paste. With it:
 *   1. the preview follows the body as you type (debounced POST /admin/preview);
 *   2. the "Preview" button updates the preview in place instead of reloading;
 *   3. image uploads happen in the background (with progress) and their Markdown is
 *      inserted at the cursor in the body; images can also be dropped or pasted into it.
 *
 * No framework, no build step, no inline script (the CSP forbids it).
 */
(function () {
  'use strict';

  const PREVIEW_DELAY_MS = 400;

  const editor = document.getElementById('editor');
  const body = document.getElementById('body');
  if (!editor || !body) return;

  const csrf = editor.getAttribute('data-csrf') || '';
  const preview = document.getElementById('preview');
  const previewBody = document.getElementById('preview-body');
  const previewButton = document.getElementById('preview-button');
  const uploadForm = document.getElementById('upload-form');
  const uploadStatus = document.getElementById('upload-status');
  const fileInput = document.getElementById('file');

  /** Best human message for a failed request: the server's own words when it sent JSON. */
  function errorMessage(status, data, fallback) {
    const fromServer = data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
    if (fromServer) {
      const fields = data.error.fields;
      const first = fields && typeof fields === 'object' ? Object.values(fields).find((v) => typeof v === 'string') : '';
      return first && first !== fromServer ? fromServer + ': ' + first : fromServer;
    }
    switch (status) {
      case 0: return 'Could not reach the server. Check your connection and try again.';
      case 401: return 'You have been signed out. Sign in again in another tab, then try again; your text is still here.';
      case 403: return 'The page has expired. Save your work with “Save draft”, then try again.';
      case 413: return 'That file is too large.';
      case 415: return 'That is not an image we accept (PNG, JPEG, GIF, WebP or AVIF).';
      case 422: return 'The server could not use that. Check it and try again.';
      case 429: return 'Too many requests. Wait a minute and try again.';
      default: return fallback;
    }
  }

  /** Parses a response body as JSON when it is JSON; null otherwise. */
  function parseJson(text, contentType) {
    if (!text || !/json/i.test(contentType || '')) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  /* ------------------------------------------------------------ live preview */

  let previewStatus = null;
  let previewTimer = null;
  let previewSeq = 0;
  let lastPreviewed = null;
  let previewController = null;

  function setPreviewStatus(message) {
    if (!preview) return;
    if (!previewStatus) {
      previewStatus = document.createElement('p');
      previewStatus.className = 'hint editor__preview-status';
      previewStatus.setAttribute('role', 'status');
      const heading = preview.querySelector('h2');
      if (heading) heading.after(previewStatus);
      else preview.prepend(previewStatus);
    }
    previewStatus.textContent = message;
    previewStatus.classList.toggle('is-error', Boolean(message));
    previewStatus.hidden = !message;
  }

  /**
   * Renders the body now. Resolves true when the preview shows the current text.
   * Only the newest request may write to the page, so a slow answer never overwrites a
   * newer one.
   */
  async function runPreview({ force = false } = {}) {
    if (previewTimer) {
      clearTimeout(previewTimer);
      previewTimer = null;
    }
    if (!preview || !previewBody) return false;
    const text = body.value;
    if (!force && text === lastPreviewed) return true;

    const seq = ++previewSeq;
    if (previewController) previewController.abort();
    const controller = window.AbortController ? new window.AbortController() : null;
    previewController = controller;
    preview.setAttribute('aria-busy', 'true');

    let status = 0;
    let data = null;
    try {
      const response = await fetch('/admin/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ body: text }),
        credentials: 'same-origin',
        signal: controller ? controller.signal : undefined,
      });
      status = response.status;
      data = parseJson(await response.text(), response.headers.get('content-type'));
    } catch (err) {
      if (err && err.name === 'AbortError') return false;
      status = 0;
    }
    if (seq !== previewSeq) return false; // a newer request owns the preview
    previewController = null;
    preview.removeAttribute('aria-busy');

    if (status >= 200 && status < 300 && data && typeof data.html === 'string') {
      lastPreviewed = text;
      previewBody.innerHTML = data.html; // produced by the server's sanitizer
      preview.hidden = false;
      setPreviewStatus('');
      return true;
    }
    preview.hidden = false;
    setPreviewStatus('Preview not updated. ' + errorMessage(status, data, 'The server could not render it (error ' + status + ').'));
    return false;
  }

  function schedulePreview() {
    if (previewTimer) clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      previewTimer = null;
      runPreview();
    }, PREVIEW_DELAY_MS);
  }

  if (preview && previewBody) {
    // The page may arrive with a server-rendered preview of exactly this text.
    if (!preview.hidden) lastPreviewed = body.value;
    body.addEventListener('input', schedulePreview);

    // "Preview" updates in place; if that fails, the button posts the form as before.
    let bypass = false;
    editor.addEventListener('submit', (event) => {
      if (bypass || !previewButton || event.submitter !== previewButton) return;
      event.preventDefault();
      runPreview({ force: true }).then((ok) => {
        if (ok) {
          preview.scrollIntoView({ block: 'start' });
          preview.setAttribute('tabindex', '-1');
          preview.focus({ preventScroll: true });
        } else if (typeof editor.requestSubmit === 'function') {
          bypass = true;
          editor.requestSubmit(previewButton);
        }
      });
    });
  }

  /* ---------------------------------------------------------- image uploads */

  // Until the writer has put the cursor somewhere, new images go at the end.
  let cursorKnown = false;
  const noteCursor = () => { cursorKnown = true; };
  body.addEventListener('focus', noteCursor);
  body.addEventListener('keyup', noteCursor);
  body.addEventListener('mouseup', noteCursor);

  /** Inserts Markdown at the cursor (replacing any selection) as its own paragraph. */
  function insertAtCursor(snippet) {
    const value = body.value;
    let start = cursorKnown ? body.selectionStart : value.length;
    let end = cursorKnown ? body.selectionEnd : value.length;
    if (typeof start !== 'number' || typeof end !== 'number') start = end = value.length;

    const before = value.slice(0, start);
    const after = value.slice(end);
    const lead = before === '' || /\n\n$/.test(before) ? '' : /\n$/.test(before) ? '\n' : '\n\n';
    const trail = after === '' ? '\n' : /^\n\n/.test(after) ? '' : /^\n/.test(after) ? '\n' : '\n\n';
    const text = lead + snippet + trail;

    body.focus();
    body.setSelectionRange(start, end);
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    let inserted = false;
    try {
      inserted = document.execCommand('insertText', false, text);
    } catch {
      inserted = false;
    }
    if (!inserted || body.value.slice(start, start + text.length) !== text) {
      body.value = value;
      body.setRangeText(text, start, end, 'end');
      body.dispatchEvent(new window.Event('input', { bubbles: true }));
    }
    const caret = start + lead.length + snippet.length;
    body.setSelectionRange(caret, caret);
    cursorKnown = true;
  }

  function setUploadStatus(message, kind) {
    if (!uploadStatus) return;
    uploadStatus.textContent = message;
    uploadStatus.classList.toggle('is-error', kind === 'error');
    uploadStatus.classList.toggle('is-success', kind === 'success');
  }

  /** POSTs one file; resolves {status, data}. XHR, because fetch cannot report upload progress. */
  function sendFile(file, onProgress) {
    return new Promise((resolve) => {
      const data = new FormData();
      data.append('file', file, file.name || 'image');
      const xhr = new window.XMLHttpRequest();
      xhr.open('POST', '/admin/uploads');
      xhr.setRequestHeader('accept', 'application/json');
      xhr.setRequestHeader('x-csrf-token', csrf);
      xhr.withCredentials = true;
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
      });
      xhr.addEventListener('load', () => {
        resolve({ status: xhr.status, data: parseJson(xhr.responseText, xhr.getResponseHeader('content-type')) });
      });
      xhr.addEventListener('error', () => resolve({ status: 0, data: null }));
      xhr.addEventListener('abort', () => resolve({ status: 0, data: null }));
      xhr.send(data);
    });
  }

  let uploading = false;

  async function uploadFiles(files) {
    if (uploading) {
      setUploadStatus('Wait for the current upload to finish.', 'error');
      return;
    }
    const images = Array.from(files).filter(Boolean);
    if (images.length === 0) return;
    uploading = true;
    const submit = uploadForm ? uploadForm.querySelector('[type="submit"]') : null;
    if (submit) submit.disabled = true;
    if (uploadForm) uploadForm.setAttribute('aria-busy', 'true');

    let done = 0;
    let failed = 0;
    for (const file of images) {
      const name = file.name || 'image';
      setUploadStatus('Uploading ' + name + '…', null);
      let lastShown = -1;
      const { status, data } = await sendFile(file, (percent) => {
        // Update at most every 10% so screen readers are not flooded.
        if (percent - lastShown >= 10 || percent === 100) {
          lastShown = percent;
          setUploadStatus('Uploading ' + name + '… ' + percent + '%', null);
        }
      });
      if (status >= 200 && status < 300 && data && typeof data.markdown === 'string') {
        insertAtCursor(data.markdown);
        done++;
      } else {
        failed++;
        setUploadStatus('Could not upload ' + name + '. ' + errorMessage(status, data, 'The server refused it (error ' + status + ').'), 'error');
      }
    }

    uploading = false;
    if (submit) submit.disabled = false;
    if (uploadForm) uploadForm.removeAttribute('aria-busy');
    if (done > 0) {
      runPreview();
      if (failed === 0) {
        setUploadStatus(
          done === 1 ? 'Image uploaded and added to the body at the cursor.' : done + ' images uploaded and added to the body.',
          'success',
        );
        if (uploadForm) uploadForm.reset();
      }
    }
  }

  if (uploadForm && fileInput) {
    uploadForm.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!fileInput.files || fileInput.files.length === 0) {
        setUploadStatus('Choose an image first.', 'error');
        fileInput.focus();
        return;
      }
      uploadFiles(fileInput.files);
    });
  }

  // Images dropped or pasted straight into the body upload the same way.
  const isImage = (file) => file && /^image\//.test(file.type);
  if (uploadForm) {
    body.addEventListener('dragover', (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types || []).includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
      body.classList.add('is-dragover');
    });
    body.addEventListener('dragleave', () => body.classList.remove('is-dragover'));
    body.addEventListener('drop', (event) => {
      body.classList.remove('is-dragover');
      const files = event.dataTransfer ? Array.from(event.dataTransfer.files || []).filter(isImage) : [];
      if (files.length === 0) return;
      event.preventDefault();
      cursorKnown = true;
      uploadFiles(files);
    });
    body.addEventListener('paste', (event) => {
      const files = event.clipboardData ? Array.from(event.clipboardData.files || []).filter(isImage) : [];
      if (files.length === 0) return; // ordinary text paste
      event.preventDefault();
      cursorKnown = true;
      uploadFiles(files);
    });
  }
})();
