/*
 * Klachtenhub web chat widget: one script tag on any page.
 *   <script src="https://hub.example.nl/chat/widget.js" data-lang="nl" defer></script>
 * data-lang: "nl" or "en" (default: the browser's language, Dutch unless English).
 * data-mode="page": the chat fills its container instead of opening from a button (GET /chat).
 * Everything shown is set with textContent: what anyone types stays text.
 * An email address or phone number given at the start is confirmed with the code the hub sends
 * there; error codes from the API are shown in the page's own language.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var hub = new URL(script.src, location.href).origin;
  var lang = (script.getAttribute('data-lang') || navigator.language || 'nl').slice(0, 2).toLowerCase() === 'en' ? 'en' : 'nl';
  var inline = script.getAttribute('data-mode') === 'page';
  var T = {
    nl: {
      open: 'Chat met ons', close: 'Chat sluiten', title: 'Klantenservice', intro: 'Vertel ons wat er mis is. Had u al eerder contact? Geef dan uw e-mailadres of telefoonnummer: we sturen er een code heen, en met die code ziet de medewerker uw verhaal meteen.',
      name: 'Naam', email: 'E-mail (niet verplicht)', phone: 'Telefoon (niet verplicht)', start: 'Start de chat', message: 'Uw bericht', send: 'Versturen',
      reference: 'Klachtnummer', callMe: 'Bel mij terug', rate: 'Hoe tevreden bent u?', score: function (n) { return n + ' van 5'; },
      you: 'U', agent: 'Klantenservice', joined: 'Uw bericht is toegevoegd aan uw lopende klacht.', failed: 'Versturen lukte niet. Probeer het opnieuw.', reconnecting: 'Verbinding verbroken, opnieuw verbinden…',
      codeSent: function (to) { return 'We hebben een code gestuurd naar ' + to + '. Typ de code hieronder.'; },
      code: 'Code', confirm: 'Bevestigen', resend: 'Stuur een nieuwe code', resent: 'Er is een nieuwe code verstuurd. Eerdere codes werken niet meer.',
      confirmed: function (value) { return 'Bevestigd: ' + value; },
      problems: {
        wrong_code: 'Deze code klopt niet. Probeer het opnieuw.', code_expired: 'Deze code is verlopen. Vraag een nieuwe code aan.',
        too_many_tries: 'Te vaak een verkeerde code. Vraag een nieuwe code aan.', no_code: 'Er wacht geen code. Vraag een nieuwe code aan.',
        rate_limited: 'Er zijn het afgelopen uur al drie codes verstuurd. Probeer het later opnieuw.',
        opted_out: 'Dit nummer heeft sms van ons afgemeld (STOP). Stuur START om weer een code te krijgen.',
        send_failed: 'De code kon niet worden verstuurd. Probeer het zo opnieuw.', invalid_request: 'Een code heeft 6 cijfers.',
        nothing_to_verify: 'Uw gegevens zijn al bevestigd.'
      }
    },
    en: {
      open: 'Chat with us', close: 'Close the chat', title: 'Customer service', intro: 'Tell us what went wrong. Contacted us before? Then give your email address or phone number: we send a code there, and with that code the agent sees your story at once.',
      name: 'Name', email: 'Email (optional)', phone: 'Phone (optional)', start: 'Start the chat', message: 'Your message', send: 'Send',
      reference: 'Reference', callMe: 'Call me back', rate: 'How satisfied are you?', score: function (n) { return n + ' out of 5'; },
      you: 'You', agent: 'Customer service', joined: 'Your message was added to your open complaint.', failed: 'Sending failed. Please try again.', reconnecting: 'Connection lost, reconnecting…',
      codeSent: function (to) { return 'We have sent a code to ' + to + '. Type the code below.'; },
      code: 'Code', confirm: 'Confirm', resend: 'Send a new code', resent: 'A new code has been sent. Earlier codes no longer work.',
      confirmed: function (value) { return 'Confirmed: ' + value; },
      problems: {
        wrong_code: 'That code is not right. Please try again.', code_expired: 'This code has expired. Ask for a new code.',
        too_many_tries: 'Too many wrong codes. Ask for a new code.', no_code: 'No code is waiting. Ask for a new code.',
        rate_limited: 'Three codes have been sent in the past hour already. Please try again later.',
        opted_out: 'This number has opted out of our text messages (STOP). Text START to get a code again.',
        send_failed: 'The code could not be sent. Please try again shortly.', invalid_request: 'A code has 6 digits.',
        nothing_to_verify: 'Your details are already confirmed.'
      }
    }
  }[lang];
  var storeKey = 'klachtenhub-chat:' + hub;
  var state = read();
  var seen = {};
  var source = null;
  var uid = 0;

  var css = el('link', { rel: 'stylesheet', href: hub + '/chat/widget.css' });
  document.head.appendChild(css);

  var root = el('div', { className: 'kh-chat' + (inline ? ' kh-chat--page' : '') });
  var panelId = 'kh-chat-panel-' + Math.random().toString(36).slice(2);
  var launcher = el('button', { type: 'button', className: 'kh-chat__launcher', textContent: T.open });
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', panelId);

  var panel = el('section', { id: panelId, className: 'kh-chat__panel' });
  var titleId = panelId + '-title';
  panel.setAttribute('aria-labelledby', titleId);
  var header = el('header', { className: 'kh-chat__header' });
  header.appendChild(el('h2', { id: titleId, textContent: T.title }));
  var referenceLine = el('p', { className: 'kh-chat__reference' });
  header.appendChild(referenceLine);
  if (!inline) {
    var closer = el('button', { type: 'button', className: 'kh-chat__close', textContent: '×' });
    closer.setAttribute('aria-label', T.close);
    closer.addEventListener('click', function () { toggle(false); });
    header.appendChild(closer);
  }
  panel.appendChild(header);

  // Confirming a typed address: what was sent where, the code field, and how it went.
  var verifyBox = el('div', { className: 'kh-chat__verify', hidden: true });
  var verifyNote = el('p', { className: 'kh-chat__verify-note' });
  verifyNote.setAttribute('role', 'status');
  var verifyIntro = el('p', { className: 'kh-chat__verify-intro' });
  var verifyForm = el('form', { className: 'kh-chat__verify-form' });
  var codeInput = field(verifyForm, 'code', T.code, 'text', 'one-time-code');
  codeInput.inputMode = 'numeric';
  codeInput.maxLength = 7;
  verifyForm.appendChild(el('button', { type: 'submit', textContent: T.confirm }));
  var resendButton = el('button', { type: 'button', className: 'kh-chat__resend', textContent: T.resend });
  [verifyNote, verifyIntro, verifyForm, resendButton].forEach(function (node) { verifyBox.appendChild(node); });
  panel.appendChild(verifyBox);

  var startForm = el('form', { className: 'kh-chat__start' });
  startForm.appendChild(el('p', { textContent: T.intro }));
  var nameInput = field(startForm, 'name', T.name, 'text', 'name');
  var emailInput = field(startForm, 'email', T.email, 'email', 'email');
  var phoneInput = field(startForm, 'phone', T.phone, 'tel', 'tel');
  startForm.appendChild(el('button', { type: 'submit', textContent: T.start }));
  panel.appendChild(startForm);

  var log = el('div', { className: 'kh-chat__log' });
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', T.title);
  panel.appendChild(log);

  var status = el('p', { className: 'kh-chat__status' });
  status.setAttribute('role', 'status');
  panel.appendChild(status);

  var callMe = el('button', { type: 'button', className: 'kh-chat__callme', textContent: T.callMe });
  callMe.addEventListener('click', function () { post('/callback-offer', {}); });
  panel.appendChild(callMe);

  var messageForm = el('form', { className: 'kh-chat__compose' });
  var messageInput = field(messageForm, 'message', T.message, 'textarea');
  messageInput.maxLength = 2000;
  messageForm.appendChild(el('button', { type: 'submit', textContent: T.send }));
  panel.appendChild(messageForm);

  root.appendChild(panel);
  if (!inline) root.appendChild(launcher);
  (inline ? script.parentNode : document.body).appendChild(root);

  launcher.addEventListener('click', function () { toggle(panel.hidden); });
  startForm.addEventListener('submit', function (event) {
    event.preventDefault();
    request('POST', '/chat/sessions', { name: nameInput.value, email: emailInput.value, phone: phoneInput.value, language: lang }).then(function (answer) {
      if (!answer.ok) return say(answer.message);
      state = { sessionId: answer.body.sessionId, token: answer.body.token, reference: null };
      pending(answer.body);
      showChat();
    });
  });
  verifyForm.addEventListener('submit', function (event) {
    event.preventDefault();
    request('POST', sessionPath('/verify'), { code: codeInput.value }, state.token).then(function (answer) {
      // Selected, so the next try replaces it.
      if (!answer.ok) { codeInput.select(); return showVerification(problem(answer), true); }
      codeInput.value = '';
      if (answer.body.reference) { state.reference = answer.body.reference; showReference(); }
      pending(answer.body);
      showVerification(T.confirmed(answer.body.verified.value), false);
      (state.verification ? codeInput : messageInput).focus();
    });
  });
  resendButton.addEventListener('click', function () {
    request('POST', sessionPath('/verification'), {}, state.token).then(function (answer) {
      if (!answer.ok) return showVerification(problem(answer), true);
      pending(answer.body);
      showVerification(T.resent, false);
      codeInput.value = '';
      codeInput.focus();
    });
  });
  messageInput.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); messageForm.requestSubmit(); }
  });
  messageForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = messageInput.value.trim();
    if (!text) return;
    var clientMessageId = 'm' + Date.now().toString(36) + (uid++).toString(36) + Math.random().toString(36).slice(2, 8);
    post('/messages', { text: text, clientMessageId: clientMessageId }).then(function (answer) {
      if (!answer.ok) return;
      messageInput.value = '';
      if (answer.body.seq) show({ seq: answer.body.seq, kind: 'customer', text: text, at: Date.now() });
      if (answer.body.reference) { state.reference = answer.body.reference; save(); showReference(); }
      if (answer.body.joinedExisting && !state.joinedNoticeShown) { state.joinedNoticeShown = true; save(); say(T.joined); }
    });
  });

  toggle(inline || Boolean(state));
  if (state) showChat();

  function showChat() {
    startForm.hidden = true;
    log.hidden = false;
    messageForm.hidden = false;
    callMe.hidden = false;
    showReference();
    showVerification('', false);
    connect();
    (state.verification ? codeInput : messageInput).focus();
  }

  /** Keeps which address waits for its code, or why none could be sent (`verificationRefused`), across reloads. */
  function pending(body) {
    state.verification = body.verification || null;
    state.refused = body.verificationRefused || null;
    save();
  }

  function showVerification(note, isError) {
    var waiting = state && state.verification;
    var refused = state && state.refused;
    verifyNote.textContent = note;
    verifyNote.className = 'kh-chat__verify-note' + (isError ? ' kh-chat__verify-note--error' : '');
    verifyIntro.textContent = waiting ? T.codeSent(waiting.to) : refused ? T.problems[refused.reason] || T.failed : '';
    verifyForm.hidden = !waiting;
    resendButton.hidden = !(waiting || refused);
    verifyBox.hidden = !(waiting || refused || note);
  }

  function problem(answer) {
    return T.problems[answer.code] || T.failed;
  }

  function showReference() {
    referenceLine.textContent = state && state.reference ? T.reference + ': ' + state.reference : '';
  }

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open && !state) { startForm.hidden = false; verifyBox.hidden = true; log.hidden = true; messageForm.hidden = true; callMe.hidden = true; nameInput.focus(); }
  }

  function connect() {
    if (source) source.close();
    // EventSource cannot send headers: the token goes in the query. It resends Last-Event-ID itself on reconnect.
    source = new EventSource(hub + '/chat/sessions/' + encodeURIComponent(state.sessionId) + '/events?token=' + encodeURIComponent(state.token));
    source.onmessage = function (message) { show(JSON.parse(message.data)); say(''); };
    source.onerror = function () { say(T.reconnecting); };
  }

  function show(event) {
    if (seen[event.seq]) return;
    seen[event.seq] = true;
    var mine = event.kind === 'customer';
    var item = el('div', { className: 'kh-chat__message kh-chat__message--' + event.kind });
    item.setAttribute('data-seq', String(event.seq));
    item.appendChild(el('span', { className: 'kh-chat__who', textContent: mine ? T.you : T.agent }));
    item.appendChild(el('p', { textContent: event.text }));
    if (event.kind === 'offer' && event.data && event.data.slots) {
      var choices = el('div', { className: 'kh-chat__choices' });
      event.data.slots.forEach(function (slot) {
        var button = el('button', { type: 'button', textContent: slot.label });
        button.addEventListener('click', function () {
          disable(choices);
          post('/callbacks', { start: slot.start });
        });
        choices.appendChild(button);
      });
      item.appendChild(choices);
    }
    if (event.kind === 'satisfaction') {
      var scores = el('div', { className: 'kh-chat__choices kh-chat__choices--scores' });
      scores.setAttribute('role', 'group');
      scores.setAttribute('aria-label', T.rate);
      [1, 2, 3, 4, 5].forEach(function (n) {
        var button = el('button', { type: 'button', textContent: String(n) });
        button.setAttribute('aria-label', T.score(n));
        button.addEventListener('click', function () { disable(scores); post('/satisfaction', { score: n }); });
        scores.appendChild(button);
      });
      item.appendChild(scores);
    }
    var items = log.querySelectorAll('[data-seq]');
    var after = null;
    for (var i = 0; i < items.length; i++) if (Number(items[i].getAttribute('data-seq')) > event.seq) { after = items[i]; break; }
    log.insertBefore(item, after);
    log.scrollTop = log.scrollHeight;
  }

  function disable(group) {
    var buttons = group.querySelectorAll('button');
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
  }

  function sessionPath(path) {
    return '/chat/sessions/' + encodeURIComponent(state.sessionId) + path;
  }

  function post(path, body) {
    return request('POST', sessionPath(path), body, state.token).then(function (answer) {
      if (!answer.ok && answer.status !== 409) say(answer.message);
      return answer;
    });
  }

  function request(method, path, body, token) {
    var headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(hub + path, { method: method, headers: headers, body: JSON.stringify(body) }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { ok: response.ok, status: response.status, body: json, code: json.error && json.error.code, message: (json.error && json.error.message) || T.failed };
      });
    }, function () { return { ok: false, status: 0, body: {}, code: null, message: T.failed }; });
  }

  function say(text) { status.textContent = text; }

  function field(form, name, label, type, autocomplete) {
    var id = panelId + '-' + name;
    form.appendChild(el('label', { htmlFor: id, textContent: label }));
    var input = type === 'textarea' ? el('textarea', { id: id, name: name, rows: 2 }) : el('input', { id: id, name: name, type: type });
    if (autocomplete) input.autocomplete = autocomplete;
    form.appendChild(input);
    return input;
  }

  function el(tag, props) {
    var node = document.createElement(tag);
    for (var key in props) node[key] = props[key];
    return node;
  }

  function read() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || 'null'); } catch (error) { return null; }
  }

  function save() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (error) { /* private mode: the chat lasts as long as the page */ }
  }
})();
