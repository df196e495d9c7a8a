// Agent console: sign in, presence heartbeat, the queue, live chat with the customer (WebSocket,
// falling back to polling), quick replies, hand-back / close, and the context pane.
(function () {
  "use strict";

  const $ = function (id) { return document.getElementById(id); };
  const views = { login: $("login-view"), forbidden: $("forbidden-view"), agent: $("agent-view") };

  let current = null; // the handoff shown in the chat pane
  let socket = null;
  let pollTimer = null;
  let lastId = 0;
  let socketFailures = 0;
  const shown = new Set();
  const timers = [];

  // --- helpers ----------------------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Full dates with the year (an assessment valid "至 11/04" would look expired in December).
  const clock = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dateOnly = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  });
  function formatTime(iso) { return iso ? clock.format(new Date(iso)) : ""; }
  function formatDate(iso) { return iso ? dateOnly.format(new Date(iso)) : ""; }
  function minutesSince(iso) { return Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000)); }


  function show(name) {
    session.show(views, name);
    $("tabs").hidden = name !== "agent";
  }

  // --- signing in and out (api/static/staff_session.js) ----------------------------------------

  function stopEverything() {
    timers.splice(0).forEach(clearInterval);
    closeSocket();
    seenQueue = null;
    updateTitle(0);
  }

  // --- new customers in the queue: title badge, a short tone, an optional notification ---------

  const PAGE_TITLE = document.title;
  let seenQueue = null; // ids of the queue items already announced (null: first load)
  let audio = null;

  function updateTitle(waiting) { document.title = (waiting ? "（" + waiting + "）" : "") + PAGE_TITLE; }

  // A two-note tone made in the browser (Web Audio): no sound file is downloaded.
  function chime() {
    if (!$("alert-sound").checked) return;
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    try {
      audio = audio || new AudioContextClass();
      if (audio.state === "suspended") audio.resume();
      [880, 1175].forEach(function (frequency, index) {
        const start = audio.currentTime + index * 0.18;
        const tone = audio.createOscillator();
        const volume = audio.createGain();
        tone.type = "sine";
        tone.frequency.value = frequency;
        volume.gain.setValueAtTime(0.0001, start);
        volume.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
        volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.16);
        tone.connect(volume).connect(audio.destination);
        tone.start(start);
        tone.stop(start + 0.17);
      });
    } catch (error) { /* no sound is no reason to stop serving customers */ }
  }

  function announceNewCustomers(queue) {
    const ids = queue.items.map(function (item) { return item.id; });
    updateTitle(ids.length);
    if (seenQueue === null) { seenQueue = new Set(ids); return; } // what was waiting before sign-in
    const fresh = queue.items.filter(function (item) { return !seenQueue.has(item.id); });
    seenQueue = new Set(ids);
    if (!fresh.length) return;
    const urgent = fresh.some(function (item) { return item.priority === 0; });
    const text = "有 " + fresh.length + " 位新客户在排队" + (urgent ? "（含优先处理的客户）" : "") + "：" +
      fresh.map(function (item) { return item.reason_label; }).join("、");
    $("queue-alert").textContent = text;
    chime();
    // A desktop notification only when the console is out of sight (another tab or window).
    if (window.Notification && Notification.permission === "granted" && (document.hidden || !document.hasFocus())) {
      try { new Notification("人工坐席工作台", { body: text, tag: "bank-agent-queue" }); } catch (error) { /* ignored */ }
    }
  }

  // Desktop notifications are asked for only when the agent clicks the button (a user gesture).
  function showNotificationState() {
    const button = $("enable-notifications");
    if (!window.Notification) { button.hidden = true; return; }
    button.hidden = Notification.permission === "granted";
    $("notification-state").textContent = Notification.permission === "granted" ? "桌面通知已开启"
      : Notification.permission === "denied" ? "桌面通知已被浏览器禁止，可在浏览器设置中开启" : "";
  }
  $("enable-notifications").addEventListener("click", async function () {
    if (!window.Notification) return;
    try { await Notification.requestPermission(); } catch (error) { /* old browsers: callback form */ }
    showNotificationState();
  });
  // Browsers start sound only after a gesture on the page: the first click unlocks it.
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") audio.resume();
  }, { once: true });

  const session = StaffSession({
    signedIn: signedIn,
    signedOut: function () {
      stopEverything();
      current = null;
      show("login");
    },
    beforeLogout: function () { return setPresence("offline"); },
  });
  const api = session.api;
  const errorMessage = session.errorMessage;

  async function signedIn() {
    showNotificationState();
    const presence = await setPresence($("presence").value || "online");
    if (presence.status === 403) {
      $("forbidden-text").textContent = "您好，" + session.login.staff.display_name + "。" + errorMessage(presence);
      show("forbidden");
      return;
    }
    if (!presence.ok) return;
    show("agent");
    const quick = await api("GET", "/api/agent/quick-replies");
    renderQuickReplies(quick.ok ? quick.body : []);
    await refreshLists();
    timers.push(setInterval(refreshLists, 3000));
    // Presence expires unless repeated; the heartbeat keeps the chosen status.
    timers.push(setInterval(function () { setPresence($("presence").value); }, 60000));
  }

  async function setPresence(status) {
    return api("PUT", "/api/agent/presence", { status: status });
  }
  $("presence").addEventListener("change", async function () {
    const result = await setPresence($("presence").value);
    $("queue-info").textContent = result.ok
      ? (result.body.status === "online" ? "您已在线，可以接待客户。" : "您当前不接收新的客户。")
      : errorMessage(result);
  });

  // --- the queue, my conversations, call-backs --------------------------------------------------

  function urgentText(item) { return item.priority === 0 ? "【优先】" : ""; }

  function renderQueue(queue) {
    const list = $("queue");
    list.innerHTML = "";
    $("queue-count").textContent = "（" + queue.items.length + "）";
    const state = queue.service_open ? "服务时间内" : "当前为非服务时间";
    $("queue-info").textContent = state + "，在线坐席 " + queue.agents_online + " 位。";
    if (!queue.items.length) list.appendChild(element("li", "items__empty", "暂无排队客户。"));
    announceNewCustomers(queue);
    queue.items.forEach(function (item) {
      const row = element("li", "item" + (item.priority === 0 ? " item--urgent" : ""));
      const title = element("p", "item__title", urgentText(item) + item.reason_label + " · 第" + item.position + "位");
      const meta = element("p", "item__meta",
        "已等待 " + minutesSince(item.requested_at) + " 分钟 · " + (item.customer_id ? "客户 " + item.customer_id : "未登录客户"));
      const claim = element("button", "button", "接入");
      claim.type = "button";
      // The visible word starts the accessible name (speech users say what they see).
      claim.setAttribute("aria-label", "接入 " + item.reason_label + "客户（第" + item.position + "位）");
      claim.addEventListener("click", async function () {
        claim.disabled = true;
        const result = await api("POST", "/api/agent/handoffs/" + item.id + "/claim");
        if (!result.ok) {
          $("lists-error").textContent = errorMessage(result);
          await refreshLists();
          return;
        }
        $("lists-error").textContent = "";
        await refreshLists();
        await openHandoff(result.body);
      });
      row.append(title, meta, claim);
      list.appendChild(row);
    });
  }

  function renderMine(items) {
    const list = $("mine");
    list.innerHTML = "";
    if (!items.length) list.appendChild(element("li", "items__empty", "暂无接待中的会话。"));
    items.forEach(function (item) {
      const row = element("li", "item" + (current && current.id === item.id ? " item--current" : ""));
      const open = element("button", "link", item.reason_label + " · " + (item.customer_id || "未登录客户"));
      open.type = "button";
      open.addEventListener("click", function () { openHandoff(item); });
      row.append(open, element("p", "item__meta", "接入于 " + formatTime(item.claimed_at)));
      list.appendChild(row);
    });
  }

  function renderCallbacks(items) {
    const list = $("callbacks");
    list.innerHTML = "";
    if (!items.length) list.appendChild(element("li", "items__empty", "暂无待回电请求。"));
    items.forEach(function (item) {
      const row = element("li", "item" + (item.reason === "fraud" || item.reason === "distress" ? " item--urgent" : ""));
      row.id = "callback-" + item.id;
      row.appendChild(element("p", "item__title", item.reason_label + " · " + (item.customer_id ? "客户 " + item.customer_id : "未登录客户")));
      const phone = element("p", "item__meta", "电话 " + item.phone_masked + " · 方便时间：" + (item.preferred_time || "尽快"));
      const reveal = element("button", "button button--light", "查看完整号码");
      reveal.type = "button";
      reveal.addEventListener("click", async function () {
        const result = await api("POST", "/api/agent/callbacks/" + item.id + "/phone");
        phone.textContent = result.ok ? result.body.phone + "（查看已记录）" : errorMessage(result);
      });
      const done = element("button", "button", "已回电");
      done.type = "button";
      done.addEventListener("click", async function () {
        const result = await api("POST", "/api/agent/callbacks/" + item.id + "/done");
        if (!result.ok) $("lists-error").textContent = errorMessage(result);
        await refreshLists();
      });
      row.append(phone, element("p", "item__meta", "登记于 " + formatTime(item.created_at)));
      if (item.conversation_url) {
        const link = element("a", "link", "查看对话");
        link.href = item.conversation_url;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          history.replaceState(null, "", item.conversation_url);
          openCallback(item);
        });
        row.appendChild(link);
      }
      const buttons = element("div", "item__actions");
      buttons.append(reveal, done);
      row.appendChild(buttons);
      list.appendChild(row);
    });
  }

  let refreshing = false;
  async function refreshLists() {
    if (!session.login || refreshing) return;
    refreshing = true;
    try {
      const [queue, mine, callbacks] = await Promise.all([
        api("GET", "/api/agent/queue"), api("GET", "/api/agent/handoffs/mine"), api("GET", "/api/agent/callbacks"),
      ]);
      if (queue.ok) renderQueue(queue.body);
      if (mine.ok) renderMine(mine.body);
      if (callbacks.ok) {
        renderCallbacks(callbacks.body);
        openLinkedCallback(callbacks.body);
      }
    } finally {
      refreshing = false;
    }
  }

  // --- the chat pane ----------------------------------------------------------------------------

  const SENDER_LABELS = { customer: "客户", assistant: "智能助手", system: "系统通知" };

  function senderOf(message) {
    if (message.sender === "agent") return "人工客服 " + (message.agent_name || "");
    return SENDER_LABELS[message.sender] || message.sender;
  }

  function renderMessage(message) {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    lastId = Math.max(lastId, message.id);
    const item = element("li", "line line--" + message.sender);
    item.append(element("span", "line__who", senderOf(message) + " · " + formatTime(message.created_at)),
      element("p", "line__text", message.text));
    if (message.buttons && message.buttons.length) {
      item.appendChild(element("p", "line__buttons", "按钮：" + message.buttons.map(function (b) { return b.title; }).join(" / ")));
    }
    const log = $("log");
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function setState(handoff) {
    current = Object.assign({}, current || {}, handoff);
    const live = handoff.status === "claimed";
    $("chat-state").textContent = handoff.reason_label + " · " + handoff.status_label
      + (handoff.customer_id ? " · 客户 " + handoff.customer_id : " · 未登录客户");
    $("reply").disabled = !live;
    $("send").disabled = !live;
    $("hand-back").disabled = !live;
    $("close").disabled = !live;
    if (!live) $("reply-error").textContent = "该会话已结束，无法继续回复。";
  }

  function closeSocket() {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  async function poll() {
    if (!current) return;
    const result = await api("GET", "/api/agent/handoffs/" + current.id + "/messages?after_id=" + lastId);
    if (!result.ok) return;
    setState(result.body.handoff);
    result.body.messages.forEach(renderMessage);
  }

  function connect(handoffId) {
    if (!current || current.id !== handoffId) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    // The staff token goes in the first frame, never in the URL (URLs end up in logs).
    const url = scheme + location.host + "/api/agent/handoffs/" + handoffId + "/ws";
    let refusal = null;
    socket = new WebSocket(url);
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "auth", token: session.login.token, after_id: lastId }));
    };
    socket.onmessage = function (event) {
      let frame = null;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (!current || current.id !== handoffId) return;
      if (frame.type === "ready") socketFailures = 0;
      if (frame.type === "message") renderMessage(frame.message);
      if (frame.type === "handoff") { setState(frame.handoff); refreshLists(); }
      if (frame.type === "error") refusal = frame.error;
    };
    socket.onclose = function (event) {
      socket = null;
      // The server re-checks the login and the right to follow the conversation every round.
      if (event.code === 4401) { session.signOut((refusal && refusal.message) || "登录已失效，请重新登录。"); return; }
      if (event.code === 4410) { refreshLists(); return; } // the service ended; the log stays
      if (event.code === 4403 || event.code === 4404 || event.code === 4429) {
        $("reply-error").textContent = (refusal && refusal.message) || "无法继续查看该会话。";
        $("reply").disabled = true;
        $("send").disabled = true;
        refreshLists();
        return;
      }
      socketFailures += 1;
      if (socketFailures >= 3) { // WebSockets blocked: keep the conversation going by polling
        if (!pollTimer) pollTimer = setInterval(poll, 2000);
        return;
      }
      setTimeout(function () { connect(handoffId); }, 1000 * socketFailures);
    };
  }

  async function openHandoff(handoff) {
    closeSocket();
    current = handoff;
    shown.clear();
    lastId = 0;
    socketFailures = 0;
    $("log").innerHTML = "";
    $("reply-error").textContent = "";
    $("chat-empty").hidden = true;
    $("chat-box").hidden = false;
    switchTab("chat");
    await poll(); // the conversation so far, then live
    connect(handoff.id);
    loadContext(handoff.id);
    $("reply").focus();
  }

  // A call-back's conversation, read-only: what the customer said before asking to be called.
  async function openCallback(item) {
    closeSocket();
    current = null;
    shown.clear();
    lastId = 0;
    $("log").innerHTML = "";
    $("reply-error").textContent = "";
    $("chat-empty").hidden = true;
    $("chat-box").hidden = false;
    switchTab("chat");
    ["reply", "send", "hand-back", "close"].forEach(function (id) { $(id).disabled = true; });
    $("chat-state").textContent = "回电请求 · " + item.reason_label + " · "
      + (item.customer_id ? "客户 " + item.customer_id : "未登录客户") + " · 电话 " + item.phone_masked + "（只读）";
    const result = await api("GET", "/api/agent/callbacks/" + item.id + "/messages");
    if (!result.ok) { $("reply-error").textContent = errorMessage(result); return; }
    result.body.messages.forEach(renderMessage);
    if (!result.body.messages.length) $("log").appendChild(element("li", "line line--system", "没有可显示的对话记录。"));
    $("context").replaceChildren(element("p", "hint", "这是回电请求前的对话（只读），个人信息已脱敏。"));
  }

  // /agent#callback-<id>: the link of a call-back item opens its conversation.
  let linkedCallbackOpened = false;
  function openLinkedCallback(items) {
    const match = /^#callback-(\d+)$/.exec(location.hash);
    if (!match || linkedCallbackOpened) return;
    const item = items.find(function (candidate) { return String(candidate.id) === match[1]; });
    if (!item) return;
    linkedCallbackOpened = true;
    openCallback(item);
  }

  function renderQuickReplies(replies) {
    const box = $("quick-replies");
    box.innerHTML = "";
    replies.forEach(function (text) {
      // The chip shows the start of the reply; its name is the whole reply, which starts with what
      // is shown (speech users say what they see).
      const button = element("button", "chip", text.length > 14 ? text.slice(0, 14) + "…" : text);
      button.type = "button";
      button.title = "填入快捷回复：" + text;
      button.setAttribute("aria-label", text);
      button.addEventListener("click", function () {
        $("reply").value = text;
        updateCounter();
        $("reply").focus();
      });
      box.appendChild(button);
    });
  }

  function updateCounter() { $("reply-counter").textContent = $("reply").value.length + "/1000"; }
  $("reply").addEventListener("input", updateCounter);
  $("reply").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  $("reply-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!current || !text) { $("reply-error").textContent = "请输入要发送的内容。"; return; }
    $("send").disabled = true;
    const result = await api("POST", "/api/agent/handoffs/" + current.id + "/messages", { text: text });
    $("send").disabled = false;
    if (!result.ok) { $("reply-error").textContent = errorMessage(result, "发送失败，请重试。"); return; }
    $("reply-error").textContent = "";
    $("reply").value = "";
    updateCounter();
    renderMessage(result.body);
  });

  // An in-page confirmation (not the browser's confirm): labelled, focus kept inside, Esc cancels,
  // focus returns to the button that asked. Resolves true when confirmed.
  function confirmInPage(title, text, confirmLabel) {
    const dialog = $("confirm-dialog");
    const opener = document.activeElement;
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = confirmLabel;
    return new Promise(function (resolve) {
      function finish() {
        dialog.removeEventListener("close", finish);
        dialog.removeEventListener("keydown", trap);
        if (opener && opener.focus) opener.focus();
        resolve(dialog.returnValue === "confirm");
      }
      function trap(event) {
        if (event.key !== "Tab") return;
        const focusable = Array.from(dialog.querySelectorAll("button:not([disabled])"));
        const first = focusable[0], last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
        else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      }
      dialog.returnValue = "";
      dialog.addEventListener("close", finish);
      dialog.addEventListener("keydown", trap);
      dialog.showModal(); // modal: the rest of the page is inert; Esc closes it (a cancel)
      $("confirm-cancel").focus();
    });
  }
  $("confirm-ok").addEventListener("click", function () { $("confirm-dialog").close("confirm"); });
  $("confirm-cancel").addEventListener("click", function () { $("confirm-dialog").close("cancel"); });

  async function end(action, question) {
    if (!current) return;
    if (question && !(await confirmInPage("结束会话", question, "结束会话"))) return;
    const result = await api("POST", "/api/agent/handoffs/" + current.id + "/" + action);
    if (!result.ok) { $("reply-error").textContent = errorMessage(result); return; }
    setState(result.body);
    await poll();
    await refreshLists();
  }
  $("hand-back").addEventListener("click", function () { end("hand-back", null); });
  $("close").addEventListener("click", function () { end("close", "结束会话后，客户将被邀请为本次服务评分。确定结束吗？"); });

  // --- the context pane -------------------------------------------------------------------------

  function section(title) {
    const box = element("section", "ctx");
    box.appendChild(element("h3", null, title));
    return box;
  }

  function pairs(box, rows) {
    const list = element("dl", "pairs");
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") return;
      list.append(element("dt", null, row[0]), element("dd", null, String(row[1])));
    });
    box.appendChild(list);
  }

  const DRAFT_LABELS = {
    description: "经过", business: "业务类型", channel: "渠道", reason: "原因", request: "诉求",
    occurred: "发生时间", amount: "涉及金额", phone: "联系电话", name: "姓名",
  };

  async function loadContext(handoffId) {
    const pane = $("context");
    pane.innerHTML = "";
    pane.appendChild(element("p", "hint", "正在加载…"));
    const result = await api("GET", "/api/agent/handoffs/" + handoffId + "/context");
    if (!current || current.id !== handoffId) return;
    pane.innerHTML = "";
    if (!result.ok) { pane.appendChild(element("p", "form-error", errorMessage(result))); return; }
    const body = result.body;

    const who = section("客户");
    pairs(who, [["客户号", body.customer_id || "未登录客户"], ["转人工原因", body.handoff.reason_label],
      ["请求时间", formatTime(body.handoff.requested_at)]]);
    pane.appendChild(who);

    const collected = body.handoff.context || {};
    if (collected.complaint_draft) {
      const draft = section("未完成的投诉（客户已说明，已脱敏）");
      pairs(draft, Object.keys(DRAFT_LABELS).map(function (key) { return [DRAFT_LABELS[key], collected.complaint_draft[key]]; }));
      pane.appendChild(draft);
    }
    if (collected.questionnaire) {
      const progress = section("风险测评进度");
      pairs(progress, [["问卷版本", "第" + collected.questionnaire + "版"], ["已答题数", collected.answered]]);
      pane.appendChild(progress);
    }

    const assessment = section("最近一次风险测评");
    if (body.assessment) {
      pairs(assessment, [["等级", body.assessment.level], ["状态", body.assessment.status_label],
        ["测评时间", formatTime(body.assessment.taken_at)], ["有效期至", formatDate(body.assessment.expires_at)]]);
    } else {
      assessment.appendChild(element("p", "hint", body.customer_id ? "暂无测评记录。" : "未登录客户，无法查询。"));
    }
    pane.appendChild(assessment);

    const cases = section("投诉工单");
    if (!body.cases.length) cases.appendChild(element("p", "hint", "暂无投诉工单。"));
    body.cases.forEach(function (item) {
      pairs(cases, [["编号", item.number], ["状态", item.status_label], ["业务", item.business],
        ["截止", formatDate(item.due_at)], ["内容", item.description]]);
    });
    pane.appendChild(cases);

    const understanding = section("智能助手识别");
    if (!body.understanding) {
      understanding.appendChild(element("p", "hint", "智能助手的识别信息暂时无法获取。"));
    } else {
      const turns = element("ol", "turns");
      body.understanding.turns.forEach(function (turn) {
        const confidence = Math.round(turn.confidence * 100) + "%";
        const label = (turn.intent_label || turn.intent || "未识别") + (turn.intent ? "（" + turn.intent + "）" : "");
        const item = element("li", null, "“" + turn.text + "” → " + label + " · " + confidence);
        if (turn.entities && turn.entities.length) {
          const found = element("ul", "entities");
          found.setAttribute("aria-label", "识别出的信息");
          turn.entities.forEach(function (entity) {
            found.appendChild(element("li", "entity", entity.label + "：" + entity.display));
          });
          item.appendChild(found);
        }
        turns.appendChild(item);
      });
      understanding.appendChild(turns);
      const slots = Object.keys(body.understanding.slots).map(function (name) { return [name, body.understanding.slots[name]]; });
      if (slots.length) pairs(understanding, slots);
    }
    pane.appendChild(understanding);
  }

  // --- phone-sized screens: one pane at a time --------------------------------------------------

  function switchTab(name) {
    document.querySelectorAll("#tabs button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.tab === name));
    });
    document.querySelectorAll("[data-pane]").forEach(function (pane) {
      pane.classList.toggle("pane--active", pane.dataset.pane === name);
    });
  }
  document.querySelectorAll("#tabs button").forEach(function (button) {
    button.addEventListener("click", function () { switchTab(button.dataset.tab); });
  });
  switchTab("lists");

  // --- start ------------------------------------------------------------------------------------

  session.start();
})();
