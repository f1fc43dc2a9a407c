// Keyboard shortcuts for the moderation queue: j/k move, a/r/s act on the current item,
// c claims it, x ticks it for a bulk action, u undoes the action just taken. Everything also works with the mouse and without script.
(function () {
  const items = Array.from(document.querySelectorAll('.queue__item'));
  if (items.length === 0) return;
  let current = -1;

  function focusItem(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((item, i) => item.classList.toggle('queue__item--current', i === current));
    items[current].focus();
  }

  function press(key) {
    const item = items[current];
    if (!item) return;
    const button = item.querySelector('button[data-key="' + key + '"]');
    if (button) button.click();
  }

  document.addEventListener('keydown', function (event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
    if (event.key === 'j') focusItem(current + 1);
    else if (event.key === 'k') focusItem(current - 1);
    else if (event.key === 'a' || event.key === 'r' || event.key === 's' || event.key === 'c') press(event.key);
    else if (event.key === 'u') {
      // Undo the action just taken (the notice at the top of the queue).
      const undo = document.querySelector('.queue__undo button[data-key="u"]');
      if (undo) undo.click();
    }
    else if (event.key === 'x' && items[current]) {
      const box = items[current].querySelector('input[type="checkbox"]');
      if (box) box.checked = !box.checked;
    } else return;
    event.preventDefault();
  });
})();
