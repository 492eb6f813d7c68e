/*
 * Progressive enhancement for the console; every page works without it.
 * - "nog 2 u 15 min" clocks tick every 30 s from their data-due time.
 * - Parts marked data-refresh="<seconds>" are re-read from the server (the inbox, the dossier's
 *   timeline), so new contacts show up without a reload. The server's HTML is already escaped;
 *   it is parsed with DOMParser and moved in as nodes.
 */
(function () {
  'use strict';
  function span(minutes) {
    if (minutes >= 1440) return Math.floor(minutes / 1440) + ' d ' + Math.floor((minutes % 1440) / 60) + ' u';
    if (minutes >= 60) return Math.floor(minutes / 60) + ' u ' + (minutes % 60) + ' min';
    return minutes + ' min';
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('[data-due]').forEach(function (node) {
      var due = Number(node.getAttribute('data-due'));
      var minutes = Math.round(Math.abs(due - now) / 60000);
      node.textContent = due >= now ? 'nog ' + span(minutes) : span(minutes) + ' te laat';
      node.classList.toggle('late', due < now);
    });
  }
  function refresh(node, index) {
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelectorAll('[data-refresh]')[index];
        if (fresh && fresh.innerHTML !== node.innerHTML) node.replaceChildren.apply(node, Array.prototype.slice.call(fresh.childNodes));
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  document.addEventListener('DOMContentLoaded', function () {
    setInterval(tick, 30000);
    document.querySelectorAll('[data-refresh]').forEach(function (node, index) {
      setInterval(function () { refresh(node, index); }, Number(node.getAttribute('data-refresh')) * 1000);
    });
  });
})();
