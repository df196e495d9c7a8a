// The bank's chat widget: one <script> tag embeds it on any page.
//
//   <script src="https://bank.example/static/widget.js" data-api-url="https://bank.example"
//           data-identity-token="<signed customer identity, optional>" data-lang="zh-CN" defer></script>
//
// Options (data attributes, or window.BankChatConfig): api-url (default: where the script came
// from), identity-token, lang, mode ("launcher": a button opening a panel; "page": fills its
// container, for the /chat page and app web views), demo ("true": the demo-customer picker).
//
// Real time over the chat WebSocket, falling back to REST polling when WebSockets are blocked.
// Every message has a client_message_id and stays in an outbox (localStorage) until the server
// acknowledges it; after a reload or a network drop the widget resumes the same conversation,
// re-sends what was not acknowledged (the server deduplicates by client_message_id) and fetches
// what it missed. window.BankChat exposes open(), close() and restart(identityToken).
//
// Privacy on shared devices: what the widget stores belongs to one identity (the customer the
// identity token names, or "anonymous"). Another or no identity finds nothing of it: the stored
// conversation and unsent messages are discarded, and the server is asked first (POST …/resume)
// whether the signed-in customer may continue a stored conversation. restart() — which the host
// page calls on logout — ends the conversation on the server (its token stops working) and
// forgets it here. An expired conversation (idle or too old) starts a new one with a notice.
(function () {
  "use strict";

  const script = document.currentScript;
  const dataset = (script && script.dataset) || {};
  const config = Object.assign({
    apiUrl: dataset.apiUrl || (script ? new URL(script.src, location.href).origin : location.origin),
    identityToken: dataset.identityToken || "",
    lang: dataset.lang || "zh-CN",
    mode: dataset.mode || "launcher",
    demo: dataset.demo === "true",
  }, window.BankChatConfig || {});
  const API = config.apiUrl.replace(/\/$/, "");
  const MAX_CHARS = 1000;
  const STORE = "bankchat:" + API; // {owner, conversation, outbox, demoCustomer}: one identity's
  const PING_MS = 25000;
  const POLL_MS = 2000;
  // Phones and tablets: no focus on open (the keyboard would cover the conversation at once), the
  // Return key makes a new line (the 发送 button sends), and the placeholder says nothing of keys.
  const TOUCH = Boolean(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  const WELCOME = "您好！我是智能客服助手，请问有什么可以帮您？";

  // --- state kept across reloads ----------------------------------------------------------------

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (error) { return {}; }
  }
  let state = load(); // {owner, conversation: {conversation_id, token}, outbox: [...], demoCustomer}
  state.outbox = state.outbox || [];
  function save() { localStorage.setItem(STORE, JSON.stringify(state)); }

  // Whose stored state this is: a hash of the customer id the identity token names (read from
  // the JWT payload; the server verifies the token itself), or "anonymous".
  function ownerOf(identityToken) {
    let subject = "";
    try {
      const part = (identityToken || "").split(".")[1] || "";
      const json = atob(part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4));
      subject = String(JSON.parse(json).sub || "");
    } catch (error) { subject = ""; }
    if (!subject) return "anonymous";
    let hash = 0x811c9dc5; // FNV-1a: keeps the customer id itself out of the browser's storage
    for (let i = 0; i < subject.length; i += 1) {
      hash ^= subject.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return "c" + hash.toString(16) + subject.length;
  }

  // Anything stored for another identity is dropped before it can be shown or sent.
  function claimStore() {
    const owner = ownerOf(config.identityToken);
    if (state.owner !== owner) state = { owner: owner, outbox: [], demoCustomer: state.demoCustomer };
    save();
  }

  // --- DOM (in a shadow root, so the host page's styles neither leak in nor out) ----------------

  const host = document.createElement("div");
  host.id = "bankchat";
  const root = host.attachShadow({ mode: "open" });
  const styles = document.createElement("link");
  styles.rel = "stylesheet";
  styles.href = API + "/static/widget.css";
  root.appendChild(styles);
  const pageMode = config.mode === "page";
  if (!pageMode) { // its own landmark on the host page, so the launcher is not loose content
    host.setAttribute("role", "region");
    host.setAttribute("aria-label", "在线客服");
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "className") node.className = attributes[key];
      else node.setAttribute(key, attributes[key]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const launcher = el("button", { className: "launcher", type: "button", "aria-haspopup": "dialog",
    "aria-expanded": "false" }, "在线客服");
  const panel = el("section", { className: "panel" + (pageMode ? " panel--page" : ""), role: pageMode ? "region" : "dialog",
    "aria-label": "在线客服对话", tabindex: "-1" });
  const header = el("div", { className: "panel__header" });
  const title = el("h2", { className: "panel__title" }, "在线客服");
  const subtitle = el("p", { className: "panel__subtitle" }, "智能客服助手为您服务");
  const badge = el("p", { id: "agent-badge", className: "badge", role: "status" });
  badge.hidden = true;
  const closeButton = el("button", { className: "panel__close", type: "button", "aria-label": "关闭对话窗口", title: "关闭" }, "×");
  header.append(title, subtitle, badge);
  if (!pageMode) header.appendChild(closeButton);
  let picker = null;
  if (config.demo) {
    const label = el("label", { className: "demo" }, "演示身份");
    picker = el("select", { id: "demo-customer", "aria-label": "选择演示客户" });
    picker.appendChild(el("option", { value: "" }, "匿名访客（未登录）"));
    label.appendChild(picker);
    header.appendChild(label);
  }
  const list = el("ol", { id: "messages", className: "messages", "aria-live": "polite", "aria-label": "对话记录" });
  const typing = el("p", { className: "typing", "aria-live": "polite" });
  typing.hidden = true;
  const status = el("p", { id: "status", className: "status", role: "status" });
  const form = el("form", { id: "composer", className: "composer", autocomplete: "off" });
  const inputLabel = el("label", { for: "input", className: "visually-hidden" }, "输入您的问题");
  const input = el("textarea", { id: "input", rows: "1", maxlength: String(MAX_CHARS),
    placeholder: TOUCH ? "请输入您的问题" : "请输入您的问题，按回车发送", "aria-describedby": "counter",
    enterkeyhint: TOUCH ? "enter" : "send" });
  const field = el("div", { className: "composer__field" });
  const counter = el("span", { id: "counter", className: "counter", "aria-live": "polite" }, "0/" + MAX_CHARS);
  const sendButton = el("button", { id: "send", type: "submit" }, "发送");
  field.append(input, counter);
  form.append(inputLabel, field, sendButton);
  panel.append(header, list, typing, status, form);
  if (!pageMode) {
    panel.hidden = true;
    root.appendChild(launcher);
  }
  root.appendChild(panel);

  function mount() {
    const target = pageMode ? (document.getElementById("bankchat-page") || document.body) : document.body;
    target.appendChild(host);
  }

  // --- rendering --------------------------------------------------------------------------------

  const shown = new Set(); // server message ids on screen
  const pending = new Map(); // client_message_id -> the customer's bubble awaiting its ack
  const buttonTitles = new Map(); // payload -> title: clicked buttons show their words

  function clock(iso) {
    const date = iso ? new Date(iso) : new Date();
    return date.toLocaleTimeString(config.lang, { hour: "2-digit", minute: "2-digit" });
  }

  function senderLabel(message) {
    if (message.sender === "customer") return "我";
    if (message.sender === "agent") return "人工客服 " + (message.agent_name || "");
    if (message.sender === "system") return "系统通知";
    return "智能助手";
  }

  // Text with safe links, tap-to-call numbers and simple lists: "1. …" lines are a numbered
  // list (the numbers are steps: "1." stays 1), "• …" / "- …" lines a bulleted one.
  function richText(text, calls) {
    const box = el("div", { className: "msg__bubble" });
    let listNode = null;
    (text || "").split("\n").forEach(function (line) {
      const numbered = line.match(/^\s*(\d+)[.、]\s*(.+)$/);
      const bullet = !numbered && line.match(/^\s*[•\-·]\s*(.+)$/);
      let target = box;
      if (numbered || bullet) {
        const tag = numbered ? "ol" : "ul";
        if (!listNode || listNode.tagName.toLowerCase() !== tag) {
          listNode = el(tag, { className: "msg__list msg__list--" + (numbered ? "steps" : "bullets") });
          if (numbered) listNode.start = Number(numbered[1]);
          box.appendChild(listNode);
        }
        target = el("li");
        listNode.appendChild(target);
        line = numbered ? numbered[2] : bullet[1];
      } else {
        listNode = null;
        if (box.childNodes.length) box.appendChild(document.createElement("br"));
      }
      line.split(/(https?:\/\/[^\s，。；！？）)]+)/).forEach(function (part, index) {
        if (index % 2 === 1) {
          const link = el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part);
          target.appendChild(link);
        } else if (part) {
          appendCalls(target, part, calls);
        }
      });
    });
    return box;
  }

  // The phone numbers the server found in the text (message.calls) become tel: links.
  function appendCalls(target, text, calls) {
    if (!calls || !calls.length) { target.appendChild(document.createTextNode(text)); return; }
    const escaped = calls.map(function (number) { return number.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    const pattern = new RegExp("(?<![\\d\\-])(" + escaped.join("|") + ")(?![\\d\\-]|元|块|万|分钟|天|%)");
    text.split(pattern).forEach(function (part, index) {
      if (index % 2 === 1) {
        target.appendChild(el("a", { href: "tel:" + part.replace(/[^\d+]/g, ""), className: "tel",
                                     "aria-label": "拨打 " + part }, part));
      } else if (part) {
        target.appendChild(document.createTextNode(part));
      }
    });
  }

  // While a person serves the conversation the badge names them and replaces the assistant's
  // subtitle; when they leave (hand-back, close, rating prompt) the subtitle comes back.
  // A filed complaint's number on a card of its own, with a button that copies it.
  function caseCard(text, number) {
    const card = el("div", { className: "msg__bubble case-card" });
    card.appendChild(el("p", { className: "case-card__lead" }, text.replace(number, "").replace(/[：:，,。\s]+$/, "")));
    card.appendChild(el("p", { className: "case-card__number" }, number));
    const copy = el("button", { type: "button", className: "case-card__copy" }, "复制编号");
    const done = el("span", { className: "case-card__done", role: "status" });
    copy.addEventListener("click", async function () {
      let copied = false;
      try { await navigator.clipboard.writeText(number); copied = true; } catch (error) { copied = false; }
      if (!copied) {  // no clipboard access: select the number so the customer can copy it
        const range = document.createRange();
        range.selectNodeContents(card.querySelector(".case-card__number"));
        const selection = root.getSelection ? root.getSelection() : window.getSelection();
        selection.removeAllRanges(); selection.addRange(range);
      }
      done.textContent = copied ? "已复制" : "请长按编号复制";
    });
    card.append(copy, done);
    return card;
  }

  function updateBadge(message) {
    if (message.kind === "handoff_started") {
      badge.textContent = "人工客服 " + (message.agent_name || "") + " 正在为您服务";
      badge.hidden = false;
      subtitle.hidden = true;
    } else if (message.kind === "handoff_ended" || message.kind === "rating") {
      badge.hidden = true;
      subtitle.hidden = false;
    }
  }

  function buttonsOf(message) {
    const row = el("div", { className: "msg__buttons" });
    if (message.kind === "rating") {
      row.classList.add("stars");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", "为本次服务评分");
    }
    message.buttons.forEach(function (button, index) {
      buttonTitles.set(button.payload, button.title);
      const star = message.kind === "rating";
      const node = el("button", { type: "button" }, star ? "★" : button.title);
      if (star) {
        node.setAttribute("aria-label", (index + 1) + "星（" + button.title + "）");
        node.addEventListener("mouseenter", function () { highlight(row, index); });
        node.addEventListener("focus", function () { highlight(row, index); });
      }
      node.addEventListener("click", function () {
        if (star) { highlight(row, index); row.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }
        send(button.payload, button.title);
      });
      row.appendChild(node);
    });
    return row;
  }

  function highlight(row, upTo) {
    row.querySelectorAll("button").forEach(function (button, index) { button.classList.toggle("on", index <= upTo); });
  }

  // Once the customer answers a turn (a click or a typed message) or a newer turn of the
  // assistant, an agent or a notice arrives, the buttons of earlier turns answer nothing any more:
  // they are disabled (out of the tab order, announced as unavailable) and look it. Focus on one
  // of them moves to the newest buttons, or to the input until the reply brings new buttons.
  // (Buttons left live while a reply is on its way let a slow reply's welcome or earlier offer be
  // clicked as if it were the newest one.) The messages of one reply are one turn: an answer's
  // topic buttons stay live under the "您还问到了……" offer that follows it (`siblings`).
  let focusParked = false; // focus left a retired button for the input; the next buttons get it
  function retirePastButtons(newest, siblings) {
    let hadFocus = false;
    list.querySelectorAll(".msg__buttons:not(.msg__buttons--past)").forEach(function (row) {
      if (newest && newest.contains(row)) return;
      if (siblings && siblings.some(function (item) { return item.contains(row); })) return;
      row.classList.add("msg__buttons--past");
      row.querySelectorAll("button").forEach(function (button) {
        if (root.activeElement === button) hadFocus = true;
        button.disabled = true;
        button.title = "此选项已过期，请使用最新消息中的选项或直接输入";
      });
    });
    let next = null;
    if (hadFocus || (focusParked && newest && (root.activeElement === input || root.activeElement === panel)
                     && !input.value)) {
      next = newest && newest.querySelector(".msg__buttons button:not([disabled])");
    }
    if (next) { next.focus(); focusParked = false; return; }
    if (!hadFocus) return;
    focusParked = true;
    if (!TOUCH) input.focus(); else panel.focus();
  }

  function render(message, siblings) {
    if (message.id) {
      if (shown.has(message.id)) return null;
      shown.add(message.id);
    }
    updateBadge(message);
    const kind = message.kind && message.kind !== "text" ? " msg--" + message.kind : "";
    const item = el("li", { className: "msg msg--" + message.sender + kind });
    const text = message.sender === "customer" && buttonTitles.has(message.text) ? buttonTitles.get(message.text) : message.text;
    const caseNumber = message.kind === "case_number" && (text || "").match(/TS\d{14}/);
    item.appendChild(caseNumber ? caseCard(text, caseNumber[0]) : richText(text, message.calls));
    if (message.buttons && message.buttons.length) item.appendChild(buttonsOf(message));
    const meta = el("span", { className: "msg__meta" }, senderLabel(message) + " · " + clock(message.created_at));
    item.appendChild(meta);
    list.appendChild(item);
    if (message.sender !== "customer") retirePastButtons(item, siblings);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  // The messages of one reply, rendered as one turn (none retires another's buttons).
  function renderReply(replies) {
    const siblings = [];
    replies.forEach(function (reply) {
      const item = render(reply, siblings);
      if (item) siblings.push(item);
    });
  }

  // A server copy of a customer message we already show (sent from this page) is not repeated.
  function renderFromServer(message) {
    if (message.sender === "customer" && message.client_message_id && pending.has(message.client_message_id)) {
      acknowledged(message.client_message_id, message.id);
      return;
    }
    if (message.sender === "customer" && message.client_message_id && sentHere.has(message.client_message_id)) {
      shown.add(message.id);
      return;
    }
    render(message);
  }

  function setStatus(text) { status.textContent = text || ""; }
  function setTyping(on) {
    typing.hidden = !on;
    typing.textContent = on ? (badge.hidden ? "智能助手正在输入…" : "消息已送达人工客服") : "";
  }

  // --- the conversation -------------------------------------------------------------------------

  async function request(method, path, body, conversation, keepalive) {
    const headers = { "Content-Type": "application/json" };
    const holder = conversation || state.conversation;
    if (holder) headers.Authorization = "Bearer " + holder.token;
    let response;
    try {
      response = await fetch(API + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                                           keepalive: Boolean(keepalive) });
    } catch (error) {
      return { ok: false, status: 0, body: null, retryAfter: 0 };
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    return { ok: response.ok, status: response.status, body: data,
             retryAfter: Number(response.headers.get("Retry-After") || 0) };
  }

  function errorText(result, fallback) {
    return (result.body && result.body.error && result.body.error.message) || fallback;
  }

  async function openConversation() {
    const body = { channel: "web" };
    if (config.identityToken) body.identity_token = config.identityToken;
    const result = await request("POST", "/api/chat/sessions", body);
    if (!result.ok) throw new Error(errorText(result, "暂时无法连接在线客服，请稍后再试。"));
    state.conversation = { conversation_id: result.body.conversation_id, token: result.body.token };
    state.outbox = [];
    save();
    // The greeting with a few common questions as buttons (bot/conversations/welcome.yml).
    const welcome = result.body.welcome || {};
    render({ sender: "assistant", text: welcome.text || WELCOME, buttons: welcome.buttons || [] });
  }

  // May the customer signed in now continue the stored conversation? The server decides:
  // true (yes), "expired", or false (another identity, revoked, gone: start afresh silently).
  async function resumeConversation() {
    const body = config.identityToken ? { identity_token: config.identityToken } : {};
    const result = await request("POST", "/api/chat/" + state.conversation.conversation_id + "/resume", body);
    if (result.ok) return true;
    if (result.status === 0 || result.status >= 500) throw new Error("暂时无法连接在线客服，请稍后再试。");
    if (result.body && result.body.error && result.body.error.code === "conversation_expired") return "expired";
    return false;
  }

  const EXPIRED_NOTICE = "由于长时间未操作，之前的会话已结束。已为您开始新的会话，请重新描述您的问题。";

  // Everything after the last message on screen (the whole conversation after a reload).
  async function catchUp() {
    if (!state.conversation) return false;
    for (let page = 0; page < 50; page += 1) {
      const path = "/api/chat/" + state.conversation.conversation_id + "/messages?limit=200&after_id=" + catchUpFrom;
      const result = await request("GET", path);
      if (result.status === 401 && result.body && result.body.error && result.body.error.code === "conversation_expired") return "expired";
      if (result.status === 401 || result.status === 403 || result.status === 404) return null; // the conversation is gone
      if (!result.ok) return false;
      result.body.messages.forEach(function (message) {
        renderFromServer(message);
        catchUpFrom = Math.max(catchUpFrom, message.id);
      });
      if (result.body.messages.length < 200) return true;
    }
    return true;
  }
  let catchUpFrom = 0;
  const sentHere = new Set(); // client ids sent from this page

  // --- sending: the outbox ----------------------------------------------------------------------

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function send(text, display) {
    // Not while a conversation is being opened or replaced: the text stays in the box.
    if (!state.conversation || sendButton.disabled) { setStatus("正在连接在线客服，请稍候再发送。"); return false; }
    const entry = { client_message_id: newId(), text: text, display: display || text };
    state.outbox.push(entry);
    save();
    showPending(entry);
    retirePastButtons(null); // answered: the buttons on screen belong to a past turn now
    flush();
    return true;
  }

  function showPending(entry) {
    sentHere.add(entry.client_message_id);
    const item = render({ sender: "customer", text: entry.display });
    item.classList.add("msg--pending");
    item.querySelector(".msg__meta").textContent = "我 · 发送中…";
    pending.set(entry.client_message_id, item);
    setTyping(true);
  }

  function acknowledged(clientId, messageId) {
    const item = pending.get(clientId);
    if (item) {
      item.classList.remove("msg--pending");
      item.querySelector(".msg__meta").textContent = "我 · " + clock() + " · 已送达";
      pending.delete(clientId);
    }
    if (messageId) {
      shown.add(messageId);
      catchUpFrom = Math.max(catchUpFrom, messageId);
    }
    state.outbox = state.outbox.filter(function (entry) { return entry.client_message_id !== clientId; });
    save();
  }

  function dropFromOutbox(clientId, message) {
    const item = pending.get(clientId);
    if (item) { item.classList.add("msg--failed"); item.querySelector(".msg__meta").textContent = "我 · 未发送"; }
    pending.delete(clientId);
    state.outbox = state.outbox.filter(function (entry) { return entry.client_message_id !== clientId; });
    save();
    setTyping(false);
    setStatus(message);
  }

  let inFlight = new Set();
  let retryTimer = null;
  function retryLater(seconds) {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; inFlight.clear(); flush(); }, Math.max(1, seconds) * 1000);
  }

  function flush() {
    state.outbox.forEach(function (entry) {
      if (inFlight.has(entry.client_message_id)) return;
      if (transport.mode === "ws" && transport.socket && transport.ready && transport.socket.readyState === WebSocket.OPEN) {
        inFlight.add(entry.client_message_id);
        transport.socket.send(JSON.stringify({ type: "message", text: entry.text, client_message_id: entry.client_message_id }));
      } else if (transport.mode === "rest") {
        inFlight.add(entry.client_message_id);
        sendRest(entry);
      }
    });
  }

  async function sendRest(entry) {
    const result = await request("POST", "/api/chat/" + state.conversation.conversation_id + "/messages",
      { text: entry.text, client_message_id: entry.client_message_id });
    inFlight.delete(entry.client_message_id);
    if (result.ok) {
      acknowledged(entry.client_message_id, result.body.message_id);
      renderReply(result.body.replies);
      setTyping(false);
      setStatus("");
      return;
    }
    handleError(entry.client_message_id, result.status, result.body && result.body.error, result.retryAfter);
  }

  function handleError(clientId, statusCode, error, retryAfter) {
    const code = error && error.code;
    const message = (error && error.message) || "";
    if (statusCode === 0 || statusCode === 409 || statusCode >= 500 || code === "assistant_unavailable" || code === "message_in_progress") {
      setStatus(statusCode === 0 ? "网络连接中断，恢复后会自动重发。" : (message || "暂时无法回复，稍后会自动重发。"));
      retryLater(retryAfter || 5);
      return;
    }
    if (statusCode === 429 || code === "rate_limited") {
      setStatus(message || "您发送得太快了，请稍后。");
      retryLater(retryAfter || (error && error.retry_after_seconds) || 10);
      return;
    }
    if (code === "conversation_expired") { expired(); return; }
    if (statusCode === 401 || statusCode === 403 || statusCode === 404) { // the conversation cannot be used
      restart(config.identityToken);
      return;
    }
    dropFromOutbox(clientId, message || "消息未能发送，请修改后重试。");
  }

  // --- the transport: WebSocket first, REST polling when WebSockets are blocked ------------------

  const transport = { mode: "ws", socket: null, ready: false, failures: 0, opened: false, pingTimer: null, pollTimer: null };

  function connect() {
    if (!state.conversation) return;
    const conversation = state.conversation;
    // The token travels in the first frame, never in the URL (URLs end up in logs).
    const url = API.replace(/^http/, "ws") + "/api/chat/" + conversation.conversation_id + "/ws";
    let socket;
    try { socket = new WebSocket(url); } catch (error) { socketFailed(); return; }
    transport.socket = socket;
    transport.ready = false;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "auth", token: conversation.token, after_id: catchUpFrom }));
    };
    async function ready() {
      transport.failures = 0;
      transport.opened = true;
      transport.ready = true;
      setStatus("");
      inFlight.clear();
      await catchUp(); // what was missed while away
      flush(); // what the server has not acknowledged
      transport.pingTimer = setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_MS);
    }
    socket.onmessage = function (event) {
      let frame = null;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (state.conversation !== conversation) return;
      if (frame.type === "ready") ready();
      else if (frame.type === "ack") acknowledged(frame.client_message_id, frame.message_id);
      else if (frame.type === "replies") {
        inFlight.delete(frame.client_message_id);
        renderReply(frame.replies);
        setTyping(false);
      } else if (frame.type === "push") render(frame.message);
      else if (frame.type === "error") {
        if (frame.client_message_id) inFlight.delete(frame.client_message_id);
        const code = frame.error && frame.error.code;
        const statusCode = code === "rate_limited" ? 429 : code === "assistant_unavailable" ? 503 : 422;
        if (code === "conversation_expired") expired();
        else if (frame.client_message_id) handleError(frame.client_message_id, statusCode, frame.error, frame.error.retry_after_seconds);
      }
    };
    socket.onclose = function (event) {
      clearInterval(transport.pingTimer);
      transport.socket = null;
      transport.ready = false;
      inFlight.clear();
      if (state.conversation !== conversation) return;
      if (event.code === 4401 && event.reason === "conversation_expired") { expired(); return; }
      if (event.code === 4401 || event.code === 4403 || event.code === 4404) { restart(config.identityToken); return; }
      if (event.code === 4429) { setStatus("您打开的对话窗口太多了，请关闭其他窗口后刷新页面。"); usePolling(); return; }
      socketFailed();
    };
  }

  function socketFailed() {
    transport.failures += 1;
    if (state.outbox.length) { setTyping(false); setStatus("网络连接中断，恢复后会自动重发。"); }
    // Never opened three times in a row: WebSockets are blocked here; poll over REST instead.
    if (!transport.opened && transport.failures >= 3) { usePolling(); return; }
    setTimeout(connect, Math.min(10000, 1000 * Math.pow(2, transport.failures - 1)));
  }

  function usePolling() {
    transport.mode = "rest";
    if (transport.pollTimer) return;
    transport.pollTimer = setInterval(async function () {
      const result = await catchUp();
      if (result === "expired") { expired(); return; }
      if (result === null) { restart(config.identityToken); return; }
      if (result === true && state.outbox.length) flush();
      if (result === false && state.outbox.length) setStatus("网络连接中断，恢复后会自动重发。");
      if (result === true && !state.outbox.length && status.textContent.indexOf("网络") === 0) setStatus("");
    }, POLL_MS);
    flush();
  }

  window.addEventListener("online", function () {
    setStatus("");
    if (transport.mode === "ws" && !transport.socket) { transport.failures = 0; connect(); }
    inFlight.clear();
    flush();
  });
  window.addEventListener("offline", function () {
    setTyping(false);
    setStatus("网络连接中断，恢复后会自动重发。");
  });

  // --- start, restart, open and close -----------------------------------------------------------

  async function begin() {
    sendButton.disabled = true;
    claimStore();
    try {
      let notice = null;
      if (state.conversation) {
        const resumed = await resumeConversation();
        if (resumed === true) {
          const restored = await catchUp();
          if (restored === null || restored === "expired") { state.conversation = null; state.outbox = []; save(); }
        } else {
          if (resumed === "expired") notice = EXPIRED_NOTICE;
          state.conversation = null;
          state.outbox = []; // never sent into another conversation
          save();
        }
      }
      if (!state.conversation) await openConversation();
      if (notice) render({ sender: "system", text: notice });
      // Messages left unacknowledged by an earlier page: shown again and re-sent.
      state.outbox.forEach(function (entry) { if (!pending.has(entry.client_message_id)) showPending(entry); });
      setStatus("");
      sendButton.disabled = false;
      if (transport.mode === "ws" && window.WebSocket) connect(); else usePolling();
    } catch (error) {
      setStatus(error.message || "暂时无法连接在线客服，请稍后再试。");
      setTimeout(begin, 5000);
    }
  }

  function forget() {
    if (transport.socket) { transport.socket.onclose = null; transport.socket.close(); transport.socket = null; }
    transport.ready = false;
    shown.clear(); pending.clear(); inFlight.clear(); sentHere.clear();
    focusParked = false;
    catchUpFrom = 0;
    list.innerHTML = "";
    badge.hidden = true;
    subtitle.hidden = false;
  }

  // A new start for whoever uses the page now (the host page calls it on logout and login):
  // the current conversation is ended on the server, so its token is useless to anyone who
  // copied it, and nothing of it stays here.
  function restart(identityToken) {
    const previous = state.conversation;
    if (previous) request("POST", "/api/chat/" + previous.conversation_id + "/end", null, previous, true);
    forget();
    config.identityToken = identityToken || "";
    state = { owner: ownerOf(config.identityToken), outbox: [], demoCustomer: state.demoCustomer };
    save();
    return begin();
  }

  // The conversation's token expired (idle too long, or too old): a clean new start, same customer.
  async function expired() {
    if (expiring) return;
    expiring = true;
    forget();
    state.conversation = null;
    state.outbox = [];
    save();
    await begin();
    render({ sender: "system", text: EXPIRED_NOTICE });
    expiring = false;
  }
  let expiring = false;

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    // Keyboards get the input; touch screens get the panel, so no on-screen keyboard pops up.
    if (TOUCH) panel.focus(); else input.focus();
  }

  function close() {
    if (pageMode) return;
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });

  function updateCounter() {
    if (input.value.length > MAX_CHARS) input.value = input.value.slice(0, MAX_CHARS); // pasted text
    counter.textContent = input.value.length + "/" + MAX_CHARS;
    counter.classList.toggle("counter--full", input.value.length >= MAX_CHARS);
  }
  input.addEventListener("input", updateCounter);
  input.addEventListener("keydown", function (event) {
    if (TOUCH) return; // Return makes a new line; the 发送 button sends
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  // The box grows with what is typed, up to four lines, then scrolls.
  function fitInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 4 * 24 + 18) + "px";
  }
  input.addEventListener("input", fitInput);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { setStatus("请输入您想咨询的内容。"); return; }
    if (send(text)) { input.value = ""; updateCounter(); fitInput(); }
  });

  // Demo mode: the API signs an identity for the chosen demo customer, as the bank's site would
  // for a signed-in customer.
  async function setUpDemo() {
    if (!picker) return;
    const result = await request("GET", "/api/demo/customers");
    if (!result.ok) return;
    result.body.forEach(function (customer) {
      picker.appendChild(el("option", { value: customer.id }, customer.name + "（" + customer.note + "）"));
    });
    picker.value = state.demoCustomer || "";
    picker.addEventListener("change", async function () {
      const customerId = picker.value;
      const chosen = picker.options[picker.selectedIndex] ? picker.options[picker.selectedIndex].textContent : "";
      // From now on a message belongs to the next conversation, so none is sent until it is open.
      sendButton.disabled = true;
      setStatus("正在切换演示身份，请稍候…");
      let token = "";
      if (customerId) {
        const signed = await request("POST", "/api/demo/identity", { customer_id: customerId });
        token = signed.ok ? signed.body.identity_token : "";
      }
      state.demoCustomer = customerId;
      await restart(token);
      // Say what happened instead of silently showing an empty conversation.
      render({ sender: "system", text: "已切换演示身份为“" + chosen + "”。之前的对话已结束，"
        + "不再显示；已为您开始新的会话。" });
    });
    if (state.demoCustomer && !config.identityToken) {
      const signed = await request("POST", "/api/demo/identity", { customer_id: state.demoCustomer });
      if (signed.ok) config.identityToken = signed.body.identity_token;
    }
  }

  window.BankChat = { open: open, close: close, restart: restart };

  function start() {
    mount();
    if (pageMode) panel.hidden = false;
    setUpDemo().then(begin);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
