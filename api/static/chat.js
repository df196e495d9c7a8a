// Customer chat page: talks to the public chat API exactly as the mobile app does.
(function () {
  "use strict";

  const STORAGE_KEY = "bank-chat-conversation";
  const DEMO_KEY = "bank-chat-demo-customer";
  const demoPicker = document.getElementById("demo-customer"); // only in demo mode
  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const sendButton = document.getElementById("send");
  const counter = document.getElementById("counter");
  const statusLine = document.getElementById("status");
  const maxChars = Number(input.dataset.max || 1000);
  const buttonTitles = new Map(); // payload -> title, to show clicked buttons by their words
  let conversation = null;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function timeOf(iso) {
    const date = iso ? new Date(iso) : new Date();
    return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function render(message) {
    const item = document.createElement("li");
    item.className = "msg msg--" + message.sender;
    const bubble = document.createElement("div");
    bubble.className = "msg__bubble";
    bubble.textContent = message.sender === "customer" && buttonTitles.has(message.text)
      ? buttonTitles.get(message.text) : message.text;
    item.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      const row = document.createElement("div");
      row.className = "msg__buttons";
      message.buttons.forEach(function (button) {
        buttonTitles.set(button.payload, button.title);
        const element = document.createElement("button");
        element.type = "button";
        element.textContent = button.title;
        element.addEventListener("click", function () { send(button.payload, button.title); });
        row.appendChild(element);
      });
      item.appendChild(row);
    }
    const meta = document.createElement("span");
    meta.className = "msg__meta";
    meta.textContent = (message.sender === "customer" ? "我" : "智能助手") + " · " + timeOf(message.created_at);
    item.appendChild(meta);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  async function api(path, options) {
    const headers = { "Content-Type": "application/json" };
    if (conversation) headers.Authorization = "Bearer " + conversation.token;
    let response;
    try {
      response = await fetch(path, Object.assign({ headers: headers }, options));
    } catch (error) {
      return { ok: false, status: 0, body: { error: { message: "网络连接异常，请检查网络后重试。" } } };
    }
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    return { ok: response.ok, status: response.status, body: body };
  }

  // Demo mode: the API signs an identity token for the chosen demo customer, as the bank's
  // web site would for a logged-in customer.
  async function demoIdentity() {
    const customerId = demoPicker ? demoPicker.value : "";
    if (!customerId) return null;
    const result = await api("/api/demo/identity", { method: "POST", body: JSON.stringify({ customer_id: customerId }) });
    return result.ok ? result.body.identity_token : null;
  }

  async function loadDemoCustomers() {
    if (!demoPicker) return;
    const result = await api("/api/demo/customers", { method: "GET" });
    if (!result.ok) return;
    result.body.forEach(function (customer) {
      const option = document.createElement("option");
      option.value = customer.id;
      option.textContent = customer.name + "（" + customer.note + "）";
      demoPicker.appendChild(option);
    });
    demoPicker.value = sessionStorage.getItem(DEMO_KEY) || "";
    demoPicker.addEventListener("change", async function () {
      sessionStorage.setItem(DEMO_KEY, demoPicker.value);
      sessionStorage.removeItem(STORAGE_KEY);
      conversation = null;
      list.innerHTML = "";
      await begin();
    });
  }

  async function openConversation() {
    const session = { channel: "web" };
    const identityToken = await demoIdentity();
    if (identityToken) session.identity_token = identityToken;
    const result = await api("/api/chat/sessions", { method: "POST", body: JSON.stringify(session) });
    if (!result.ok) throw new Error((result.body && result.body.error && result.body.error.message) || "无法连接客服");
    conversation = result.body;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(conversation));
  }

  async function restore() {
    const saved = sessionStorage.getItem(STORAGE_KEY);
    if (!saved) return false;
    conversation = JSON.parse(saved);
    const result = await api("/api/chat/" + conversation.conversation_id + "/messages", { method: "GET" });
    if (!result.ok) { conversation = null; sessionStorage.removeItem(STORAGE_KEY); return false; }
    result.body.messages.forEach(render);
    return true;
  }

  function markFailed(item, text, display, clientId) {
    item.classList.add("msg--failed");
    const retry = document.createElement("button");
    retry.type = "button";
    retry.textContent = "重新发送";
    retry.className = "msg__retry";
    retry.addEventListener("click", function () { item.remove(); send(text, display, clientId); });
    const row = document.createElement("div");
    row.className = "msg__buttons";
    row.appendChild(retry);
    item.appendChild(row);
  }

  async function send(text, display, clientId) {
    clientId = clientId || newId();
    const item = render({ sender: "customer", text: display || text });
    sendButton.disabled = true;
    setStatus("智能助手正在输入…");
    const result = await api("/api/chat/" + conversation.conversation_id + "/messages", {
      method: "POST",
      body: JSON.stringify({ text: text, client_message_id: clientId }),
    });
    sendButton.disabled = false;
    if (result.ok) {
      setStatus("");
      result.body.replies.forEach(render);
      return;
    }
    const error = result.body && result.body.error;
    setStatus((error && error.message) || "发送失败，请稍后重试。");
    if (result.status === 0 || result.status >= 500 || result.status === 409) {
      markFailed(item, text, display, clientId);
    } else {
      item.remove();
    }
  }

  function updateCounter() {
    if (input.value.length > maxChars) input.value = input.value.slice(0, maxChars); // pasted text
    const length = input.value.length;
    counter.textContent = length + "/" + maxChars;
    counter.classList.toggle("chat__counter--over", length >= maxChars);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { setStatus("请输入您想咨询的内容。"); return; }
    if (!conversation) { setStatus("正在连接客服，请稍候再发送。"); return; } // text stays in the box
    if (sendButton.disabled) return; // Enter pressed while the previous message is being sent
    input.value = "";
    updateCounter();
    send(text);
  });
  input.addEventListener("input", updateCounter);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function begin() {
    sendButton.disabled = true; // nothing can be sent before the conversation exists
    try {
      if (!(await restore())) {
        await openConversation();
        render({ sender: "assistant", text: "您好！我是智能客服助手，请问有什么可以帮您？" });
      }
      setStatus("");
      sendButton.disabled = false;
    } catch (error) {
      setStatus(error.message || "暂时无法连接客服，请稍后刷新页面重试。");
    }
  }

  (async function start() {
    await loadDemoCustomers();
    await begin();
  })();
})();
