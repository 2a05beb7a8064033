// The live conversation page: a feed of new messages (server-sent events, resumed by Last-Event-ID),
// the assistant's answer streamed token by token, and forms sent without leaving the page.
// Everything shown comes from the server; text is inserted as text, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const canRate = root.dataset.canRate === "1";
  const csrf = (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
  const answering = new Set();

  function newKey() {
    return self.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  document.querySelectorAll("[data-chat-key]").forEach(function (input) { input.value = newKey(); });

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function safeUrl(url) {
    return typeof url === "string" && (url.startsWith("/") || url.startsWith("https://") || url.startsWith("http://"));
  }

  function feedbackForm(message) {
    const f = el("form", "chat-feedback d-flex flex-wrap gap-2 align-items-center mt-2");
    f.method = "post";
    f.action = root.dataset.feedbackUrl.replace("/0/", "/" + message.id + "/");
    f.append(el("span", "small text-body-secondary", "Was this helpful?"));
    const comment = el("input", "form-control form-control-sm w-auto flex-grow-1");
    comment.name = "comment"; comment.maxLength = 1000; comment.placeholder = "Optional comment";
    comment.setAttribute("aria-label", "Comment");
    f.append(comment);
    [["yes", "Helpful", "btn-outline-success"], ["no", "Not helpful", "btn-outline-danger"]].forEach(function (b) {
      const button = el("button", "btn btn-sm " + b[2], b[1]);
      button.name = "helpful"; button.value = b[0];
      f.append(button);
    });
    f.append(el("span", "chat-feedback-state small",
      message.feedback ? "You said: " + (message.feedback.helpful ? "helpful" : "not helpful") : ""));
    return f;
  }

  function render(message) {
    const node = el("div", "chat-msg chat-" + message.author_kind);
    node.dataset.seq = message.seq;
    node.dataset.id = message.id;
    if (message.reply_to) node.dataset.replyTo = message.reply_to;
    const meta = el("div", "chat-meta small text-body-secondary");
    meta.append(el("strong", "chat-author", message.author_name));
    if (message.author_kind === "assistant") meta.append(" ", el("span", "badge text-bg-info", "AI"));
    if (message.author_kind === "engineer") meta.append(" ", el("span", "badge text-bg-success", "Engineer"));
    meta.append(" · ", el("time", "", new Date(message.created_at).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false })));
    node.append(meta, el("div", "chat-body", message.body));
    if (message.sources && message.sources.length) {
      const sources = el("div", "chat-sources small mt-1");
      sources.append(el("span", "text-body-secondary", "Sources:"));
      // The list is numbered by the markers the answer carries, not by position.
      const list = el("ul", "list-unstyled mb-0");
      message.sources.forEach(function (s) {
        const item = el("li", "", "[" + s.cid + "] ");
        if (safeUrl(s.url)) { const a = el("a", "", s.title); a.href = s.url; item.append(a); }
        else item.append(s.title);
        item.append(" ", el("span", "text-body-secondary", "(" + s.label + ")"));
        if (s.excerpt) item.append(" ", el("q", "chat-source-excerpt", s.excerpt));
        list.append(item);
      });
      sources.append(list);
      node.append(sources);
    }
    if (message.author_kind === "assistant" && canRate) node.append(feedbackForm(message));
    return node;
  }

  // Place a message once, in sequence order; an answer replaces the bubble its tokens streamed into.
  function place(message) {
    const existing = log.querySelector('.chat-msg[data-seq="' + message.seq + '"]');
    if (existing) return existing;
    const node = render(message);
    const streaming = message.reply_to && log.querySelector('.chat-streaming[data-reply-to="' + message.reply_to + '"]');
    if (streaming) {
      // Keep how many pieces arrived live: the page (and its tests) can tell a streamed answer.
      node.dataset.streamedTokens = streaming.dataset.tokens || "0";
      streaming.replaceWith(node);
      scrollDown();
      return node;
    }
    const later = Array.from(log.querySelectorAll(".chat-msg[data-seq]")).find(function (n) {
      return Number(n.dataset.seq) > message.seq;
    });
    log.insertBefore(node, later || null);
    scrollDown();
    return node;
  }

  function streamAnswer(url, questionId) {
    if (!url || answering.has(questionId)) return;
    if (log.querySelector('.chat-msg[data-reply-to="' + questionId + '"]:not(.chat-streaming)')) return;
    answering.add(questionId);
    const bubble = el("div", "chat-msg chat-assistant chat-streaming");
    bubble.dataset.replyTo = questionId;
    const meta = el("div", "chat-meta small text-body-secondary");
    meta.append(el("strong", "chat-author", "Assistant (AI)"), " ", el("span", "badge text-bg-info", "AI"));
    const body = el("div", "chat-body", "");
    bubble.append(meta, body);
    log.append(bubble);
    scrollDown();
    const source = new EventSource(url);
    bubble.dataset.tokens = "0";
    source.addEventListener("token", function (event) {
      bubble.dataset.tokens = String(Number(bubble.dataset.tokens) + 1);
      body.textContent += JSON.parse(event.data).t;
      scrollDown();
    });
    source.addEventListener("done", function (event) {
      source.close();
      answering.delete(questionId);
      const message = JSON.parse(event.data);
      const existing = log.querySelector('.chat-msg[data-seq="' + message.seq + '"]');
      if (existing) {
        existing.dataset.streamedTokens = bubble.dataset.tokens;
        bubble.remove();
      } else {
        place(message);
      }
    });
  }

  function applyState(s) {
    const decide = document.getElementById("chat-decide");
    if (decide) decide.classList.toggle("d-none", !s.assistant_active);
    const label = document.getElementById("chat-state");
    if (label) label.textContent = (s.state === "open" ? "Open" : "Closed") +
      (s.outcome === "deflected" ? " · Solved by the assistant" : s.outcome === "escalated" ? " · Turned into a ticket" : "");
    if (s.state === "closed" && form) form.classList.add("d-none");
    const ticket = document.getElementById("chat-ticket");
    if (ticket && s.ticket_id && !ticket.textContent.trim()) ticket.textContent = " · Ticket #" + s.ticket_id;
  }

  const feed = new EventSource(root.dataset.feedUrl + "?after=" + (root.dataset.lastSeq || "0"));
  feed.addEventListener("message", function (event) { place(JSON.parse(event.data)); });
  feed.addEventListener("state", function (event) { applyState(JSON.parse(event.data)); });
  feed.addEventListener("gone", function () { feed.close(); });

  if (root.dataset.pendingAnswerUrl) streamAnswer(root.dataset.pendingAnswerUrl, Number(root.dataset.pendingQuestion));

  function showError(text) {
    const box = document.getElementById("chat-error");
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  // Every refusal the customer can meet is told as a sentence; the API's JSON is read, never shown.
  async function retryAfter(response) {
    try {
      const seconds = Number((await response.json()).retry_after);
      if (seconds > 0) return seconds;
    } catch (error) { /* not JSON: fall back to the header */ }
    return Number(response.headers.get("Retry-After")) || 10;
  }

  function seconds(n) { return n + (n === 1 ? " second" : " seconds"); }

  const sendButton = form && form.querySelector("button[type=submit]:not([form])");
  let sendAgainAt = 0;
  // The decisions count in the same limit: they wait too, rather than open a page of refusal.
  function waitToSend(wait) {
    const buttons = form.querySelectorAll("button[type=submit]");
    sendAgainAt = Date.now() + wait * 1000;
    buttons.forEach(function (button) { button.disabled = true; });
    (function tick() {
      const left = Math.ceil((sendAgainAt - Date.now()) / 1000);
      if (left <= 0) {
        showError("");
        buttons.forEach(function (button) { button.disabled = false; });
        return;
      }
      showError("You are sending messages quickly. You can send again in " + seconds(left) + ".");
      setTimeout(tick, 250);
    })();
  }

  function failureSentence(status) {
    if (status === 403) return "You were signed out, so your message was not sent. Reload the page, sign in and send it again.";
    if (status === 404) return "This conversation is no longer available, so your message was not sent.";
    return "Something went wrong on our side and your message was not sent. Please press Send again in a moment.";
  }

  const bodyInput = document.getElementById("chat-body");
  const maxLength = bodyInput ? bodyInput.maxLength : -1;
  // A pasted message over the limit would be cut without a word: say how long it is instead.
  if (bodyInput) bodyInput.removeAttribute("maxlength");

  if (form) {
    form.addEventListener("submit", async function (event) {
      if (event.submitter && event.submitter.getAttribute("form")) return;
      event.preventDefault();
      if (Date.now() < sendAgainAt) return;
      showError("");
      document.getElementById("chat-body-error").textContent = "";
      const length = Array.from(bodyInput.value.trim()).length;
      if (maxLength > 0 && length > maxLength) {
        document.getElementById("chat-body-error").textContent = "Your message is " + length +
          " characters long; a message can be at most " + maxLength + " characters. Shorten it or send it in two parts.";
        return;
      }
      sendButton.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": csrf },
        });
        if (response.status === 201) {
          const message = await response.json();
          place(message);
          form.reset();
          form.querySelector("[data-chat-key]").value = newKey();
          if (message.answer_url) streamAnswer(message.answer_url, message.id);
        } else if (response.status === 422) {
          const errors = (await response.json()).errors || {};
          document.getElementById("chat-body-error").textContent = (errors.body || []).join(" ");
          showError((errors.__all__ || []).join(" "));
        } else if (response.status === 429) {
          waitToSend(await retryAfter(response));
        } else {
          showError(failureSentence(response.status));
        }
      } catch (error) {
        // The same client key goes with the retry, so the server keeps one copy.
        showError("Your message was not sent because the connection was lost. Check your connection and press Send again; it will not be sent twice.");
      } finally {
        if (Date.now() >= sendAgainAt) sendButton.disabled = false;
      }
    });
  }

  log.addEventListener("submit", async function (event) {
    const f = event.target.closest(".chat-feedback");
    if (!f) return;
    event.preventDefault();
    const data = new FormData(f);
    if (event.submitter) data.set("helpful", event.submitter.value);
    const stateNode = f.querySelector(".chat-feedback-state");
    let response;
    try {
      response = await fetch(f.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      });
    } catch (error) {
      stateNode.textContent = "The feedback was not saved because the connection was lost. Please try again.";
      return;
    }
    if (response.ok) {
      const saved = await response.json();
      stateNode.textContent = "Thanks! You said: " + (saved.helpful ? "helpful" : "not helpful");
    } else if (response.status === 429) {
      stateNode.textContent = "You are sending feedback quickly. Please try again in " + seconds(await retryAfter(response)) + ".";
    } else {
      stateNode.textContent = "The feedback could not be saved. Please try again in a moment.";
    }
  });
  scrollDown();
})();
