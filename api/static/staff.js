// Staff console, complaint cases: signs in and talks to the staff API with a bearer token.
(function () {
  "use strict";

  const PAGE_SIZE = 20;
  const options = JSON.parse(document.getElementById("console-options").textContent);
  const statusLabels = Object.fromEntries(options.statuses.map(function (s) { return [s.code, s.label]; }));
  const $ = function (id) { return document.getElementById(id); };

  const views = { login: $("login-view"), forbidden: $("forbidden-view"), cases: $("cases-view") };
  const filters = $("filters");
  const rows = $("case-rows");
  const detail = $("detail");
  const statusForm = $("status-form");
  const answerForm = $("answer-form");
  const extendForm = $("extend-form");
  const assignBox = $("assign-box");

  let page = 1;
  let listRequests = 0; // only the latest list request is shown
  let current = null; // the case shown in the detail panel
  let revealed = null; // {number, contact_phone, customer_name} once revealed

  // --- helpers ----------------------------------------------------------------------------------

  function show(name) { session.show(views, name); }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const dateTime = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const dateOnly = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  });
  function formatTime(iso) { return iso ? dateTime.format(new Date(iso)) : ""; }
  function formatDate(iso) { return iso ? dateOnly.format(new Date(iso)) : ""; }
  const CURRENCY_NAMES = { CNY: "元", USD: "美元", HKD: "港币", EUR: "欧元", JPY: "日元", GBP: "英镑" };
  function formatAmount(value, currency) {
    const text = Number(value).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
    return text + (CURRENCY_NAMES[currency] || " " + (currency || ""));
  }

  function labelOf(item) { return item ? item.label : "未分类"; }


  // Deadline flag as text and colour (never colour alone).
  function flagNode(item) {
    if (item.deadline_flag === "overdue") {
      const late = item.days_left < 0 ? "已逾期 " + (-item.days_left) + " 天" : "已逾期";
      return element("span", "flag flag--overdue", "⚠ " + late);
    }
    if (item.deadline_flag === "due_soon") {
      const left = item.days_left === 0 ? "今天到期" : "剩 " + item.days_left + " 天";
      return element("span", "flag flag--soon", "即将到期 · " + left);
    }
    return null;
  }

  function statusNode(item) {
    return element("span", "badge badge--" + item.status, item.status_label);
  }

  // --- signing in and out (api/static/staff_session.js) ----------------------------------------

  const session = StaffSession({
    signedIn: signedIn,
    signedOut: function () {
      current = null;
      revealed = null;
      show("login");
    },
  });
  const api = session.api;
  const errorMessage = session.errorMessage;

  async function signedIn() {
    show("cases");
    page = 1;
    await loadCases();
  }

  // --- the list ---------------------------------------------------------------------------------

  function listQuery() {
    const data = new FormData(filters);
    const query = new URLSearchParams();
    const status = data.get("status");
    if (status === "open") options.open_statuses.forEach(function (code) { query.append("status", code); });
    else if (status) query.append("status", status);
    ["due", "business", "channel", "reason"].forEach(function (name) {
      if (data.get(name)) query.append(name, data.get(name));
    });
    if (data.get("mine")) query.append("assignee", session.login.staff.username);
    query.append("page", String(page));
    query.append("page_size", String(PAGE_SIZE));
    return query.toString();
  }

  function caseRow(item) {
    const row = element("tr", "case-row");
    row.dataset.number = item.number;
    if (current && current.number === item.number) row.classList.add("case-row--open");

    const numberCell = element("td", "cell-number");
    numberCell.dataset.label = "案件编号";
    const open = element("button", "link", item.number);
    open.type = "button";
    open.addEventListener("click", function (event) { event.stopPropagation(); openCase(item.number); });
    numberCell.appendChild(open);
    numberCell.appendChild(element("div", "summary", item.summary));

    const received = element("td", "cell-nowrap", formatTime(item.received_at));
    received.dataset.label = "受理时间";

    const kinds = element("td", "cell-kinds");
    kinds.dataset.label = "分类";
    kinds.appendChild(element("div", null, labelOf(item.business)));
    // Channel and reason each stay whole where they fit: the line breaks between them, never
    // leaving one character of a label alone on a line.
    const channelAndReason = element("div", "muted");
    channelAndReason.appendChild(element("span", "label-part", labelOf(item.channel)));
    channelAndReason.appendChild(document.createTextNode(" · "));
    channelAndReason.appendChild(element("span", "label-part", labelOf(item.reason)));
    kinds.appendChild(channelAndReason);

    const status = element("td", "cell-nowrap");
    status.dataset.label = "状态";
    status.appendChild(statusNode(item));

    const due = element("td", "cell-due cell-nowrap");
    due.dataset.label = "截止日期";
    due.appendChild(element("div", null, formatDate(item.due_at)));
    const flag = flagNode(item);
    if (flag) due.appendChild(flag);

    const assignee = element("td", item.assignee ? "cell-nowrap" : "cell-nowrap muted", item.assignee_name || item.assignee || "未分派");
    assignee.dataset.label = "处理人";

    [numberCell, received, kinds, status, due, assignee].forEach(function (cell) { row.appendChild(cell); });
    row.addEventListener("click", function () { openCase(item.number); });
    return row;
  }

  async function loadCases() {
    const request = ++listRequests;
    $("list-status").textContent = "正在加载…";
    const result = await api("GET", "/api/staff/cases?" + listQuery());
    if (request !== listRequests) return; // a newer filter choice is on its way
    if (result.status === 401) return;
    if (result.status === 403) {
      $("forbidden-text").textContent = session.forbiddenText(errorMessage(result));
      show("forbidden");
      return;
    }
    if (!result.ok) { $("list-status").textContent = errorMessage(result, "加载失败，请稍后重试。"); return; }
    const data = result.body;
    rows.replaceChildren.apply(rows, data.items.map(caseRow));
    if (!data.items.length) rows.appendChild(emptyRow(6, "暂无符合条件的投诉工单。", "可以调整上方的筛选条件，或点击“重置”查看全部工单。"));
    const pages = Math.max(1, Math.ceil(data.total / data.page_size));
    $("list-status").textContent = "";
    $("page-info").textContent = "第 " + data.page + " / " + pages + " 页，共 " + data.total + " 件";
    $("prev-page").disabled = data.page <= 1;
    $("next-page").disabled = data.page >= pages;
  }

  filters.addEventListener("submit", function (event) { event.preventDefault(); page = 1; loadCases(); });
  filters.addEventListener("reset", function () { setTimeout(function () { page = 1; loadCases(); }, 0); });
  filters.addEventListener("change", function () { page = 1; loadCases(); });
  $("prev-page").addEventListener("click", function () { if (page > 1) { page -= 1; loadCases(); } });
  $("next-page").addEventListener("click", function () { page += 1; loadCases(); });

  // An empty list says so calmly, in the table's place, with what to try next.
  function emptyRow(columns, text, hint) {
    const row = element("tr", "empty-row");
    const cell = element("td");
    cell.colSpan = columns;
    cell.appendChild(element("p", "empty", text));
    cell.appendChild(element("p", "hint", hint));
    row.appendChild(cell);
    return row;
  }

  // --- the detail panel -------------------------------------------------------------------------

  function fact(list, term, value, className) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(element("dt", null, term));
    const description = element("dd", className);
    if (value instanceof Node) description.appendChild(value); else description.textContent = value;
    list.appendChild(description);
  }

  // Staff are shown by their display names (what the header shows), never by login names.
  function staffName(username) {
    return (current && current.staff_names && current.staff_names[username]) || username;
  }

  function actorLabel(event) {
    if (event.actor.indexOf("staff:") === 0) return event.actor_name || staffName(event.actor.slice(6));
    return options.actor_labels[event.actor] || event.actor;
  }

  // Notes of assignments and extensions are written by the service in a fixed form.
  function noteText(event) {
    if (event.action === "assigned") {
      const parts = event.note.split(" -> ");
      if (parts.length === 2) return (parts[0] === "-" ? "未分派" : staffName(parts[0])) + " → " + staffName(parts[1]);
      return event.note;
    }
    if (event.action === "extended") {
      return event.note.replace(/^extension (\d+): /, "第$1次延期：")
        .replace(/ \(approval: ([\s\S]*)\)$/, "（审批意见：$1）");
    }
    return event.note;
  }

  function eventNode(event) {
    const item = element("li", "event");
    item.appendChild(element("time", "event__time", formatTime(event.created_at)));
    let text = actorLabel(event) + " · " + (options.event_labels[event.action] || event.action);
    if (event.to_status) {
      text += "：" + (event.from_status ? statusLabels[event.from_status] + " → " : "") + statusLabels[event.to_status];
    }
    item.appendChild(element("span", "event__what", text));
    if (event.note) item.appendChild(element("div", "event__note", noteText(event)));
    return item;
  }

  function resetForm(form) {
    form.reset();
    form.querySelector(".form-error").textContent = "";
  }

  function renderForms(item) {
    const mine = item.assignee === session.login.staff.username;
    const next = options.next_statuses[item.status] || [];
    // Answering has its own form: it needs the text the customer will read.
    const choices = next.filter(function (code) { return code !== "answered"; });
    const select = statusForm.elements.status;
    select.replaceChildren.apply(select, choices.map(function (code) {
      const label = (item.status === "answered" || item.status === "closed") && code === "in_progress"
        ? statusLabels[code] + "（重新核查）" : statusLabels[code];
      const option = element("option", null, label);
      option.value = code;
      return option;
    }));
    statusForm.closest("details").hidden = choices.length === 0;
    answerForm.closest("details").hidden = next.indexOf("answered") < 0;

    const isOpen = options.open_statuses.indexOf(item.status) >= 0;
    extendForm.closest("details").hidden = !isOpen || item.extension_count >= options.max_extensions;
    const second = item.extension_count >= 1;
    extendForm.querySelector("[data-role=approval]").hidden = !second;
    extendForm.querySelector("[data-role=extend-hint]").textContent = second
      ? "本案已延期一次（期限30天）。再次延期至60天须由客服主管办理并填写审批意见。"
      : "复杂投诉可延期至30天，延期原因会告知客户。";

    assignBox.hidden = item.status === "withdrawn";
    $("assign-text").textContent = "处理人：" + (item.assignee_name || item.assignee || "未分派");
    $("assign-me").hidden = mine || item.status === "withdrawn";
  }

  function renderDetail(item) {
    current = item;
    $("detail-title").textContent = "投诉 " + item.number;

    const flags = $("detail-flags");
    flags.replaceChildren(statusNode(item));
    const flag = flagNode(item);
    if (flag) flags.appendChild(flag);

    const facts = $("detail-facts");
    facts.replaceChildren();
    fact(facts, "客户", item.customer_name_masked || "未留姓名");
    fact(facts, "客户编号", item.customer_id);
    fact(facts, "受理方式", options.intake_labels[item.intake_channel] || item.intake_channel);
    fact(facts, "受理时间", formatTime(item.received_at));
    let days = "";
    if (item.days_left !== null) {
      days = item.days_left >= 0 ? "（剩 " + item.days_left + " 天）" : "（已超 " + (-item.days_left) + " 天）";
    }
    fact(facts, "截止日期", formatDate(item.due_at) + days);
    fact(facts, "业务类型", labelOf(item.business));
    fact(facts, "投诉渠道", labelOf(item.channel));
    fact(facts, "投诉原因", labelOf(item.reason));
    fact(facts, "处理人", item.assignee_name || item.assignee || "未分派");
    fact(facts, "投诉内容", item.description, "text");
    fact(facts, "客户诉求", item.request || "未填写", "text");
    let occurred = item.occurred_when || "未填写";
    if (item.occurred_on) occurred += "（" + formatDate(item.occurred_on) + "）";
    fact(facts, "发生时间", occurred);
    if (item.amount !== null && item.amount !== undefined) {
      fact(facts, "涉及金额", formatAmount(item.amount, item.amount_currency));
    }
    if (item.extension_count) {
      fact(facts, "延期", "已延期 " + item.extension_count + " 次：" + (item.extension_reason || ""), "text");
      fact(facts, "主管审批意见", item.extension_approval_note, "text");
    }
    fact(facts, "答复内容", item.answer_text, "text");
    fact(facts, "答复时间", formatTime(item.answered_at));
    fact(facts, "客户评价", item.satisfaction ? item.satisfaction + " 分（满分5分）" : null);

    const shown = revealed && revealed.number === item.number;
    let contact = item.contact_phone_masked || "未留电话";
    if (shown) {
      contact = (revealed.contact_phone || "未留电话")
        + (revealed.customer_name ? "（" + revealed.customer_name + "）" : "");
    }
    $("contact-phone").textContent = contact;
    $("reveal-contact").hidden = shown || !item.contact_phone_masked;

    $("events").replaceChildren.apply($("events"), item.events.map(eventNode));
    renderForms(item);
    detail.hidden = false;
    $("cases-view").classList.add("workspace--detail");
    document.querySelectorAll(".case-row").forEach(function (row) {
      row.classList.toggle("case-row--open", row.dataset.number === item.number);
    });
  }

  async function openCase(number) {
    $("detail-status").textContent = "";
    [statusForm, answerForm, extendForm].forEach(resetForm);
    if (!current || current.number !== number) {
      document.querySelectorAll("#detail details.action").forEach(function (box) { box.open = false; });
    }
    assignBox.querySelector(".form-error").textContent = "";
    if (!revealed || revealed.number !== number) revealed = null;
    const result = await api("GET", "/api/staff/cases/" + encodeURIComponent(number));
    if (result.status === 401) return;
    if (!result.ok) { $("list-status").textContent = errorMessage(result, "无法打开该投诉。"); return; }
    renderDetail(result.body);
    detail.focus({ preventScroll: true });
    detail.scrollIntoView({ block: "start" });
  }

  // Sends one change; on success shows the new case and refreshes the list.
  async function submitChange(path, body, errorLine, done) {
    errorLine.textContent = "";
    const result = await api("POST", "/api/staff/cases/" + encodeURIComponent(current.number) + path, body);
    if (result.status === 401) return;
    if (!result.ok) { errorLine.textContent = errorMessage(result); return; }
    renderDetail(result.body);
    const box = errorLine.closest("details");
    if (box) box.open = false; // done: the action folds away, the status line says what happened
    $("detail-status").textContent = done;
    await loadCases();
  }

  function onSubmit(form, handler) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try { await handler(form.elements, form.querySelector(".form-error")); } finally { button.disabled = false; }
    });
  }

  onSubmit(statusForm, function (fields, errorLine) {
    const label = statusLabels[fields.status.value];
    return submitChange("/status", { status: fields.status.value, note: fields.note.value.trim() || null },
      errorLine, "状态已变更为「" + label + "」。");
  });
  onSubmit(answerForm, function (fields, errorLine) {
    return submitChange("/answer", { text: fields.text.value }, errorLine, "答复已提交，客户查询时即可看到。");
  });
  onSubmit(extendForm, function (fields, errorLine) {
    const body = { reason: fields.reason.value };
    if (!extendForm.querySelector("[data-role=approval]").hidden) body.approval_note = fields.approval_note.value;
    return submitChange("/extend", body, errorLine, "已延期，新的截止日期见上方。");
  });
  $("assign-me").addEventListener("click", async function () {
    this.disabled = true;
    await submitChange("/assign", { username: session.login.staff.username }, assignBox.querySelector(".form-error"),
      "已分派给您处理。");
    this.disabled = false;
  });

  $("reveal-contact").addEventListener("click", async function () {
    const number = current.number;
    const result = await api("GET", "/api/staff/cases/" + encodeURIComponent(number) + "/contact");
    if (result.status === 401) return;
    if (!result.ok) { $("detail-status").textContent = errorMessage(result); return; }
    revealed = result.body;
    const refreshed = await api("GET", "/api/staff/cases/" + encodeURIComponent(number));
    if (refreshed.ok && current && current.number === number) renderDetail(refreshed.body); // shows the audit row
    $("detail-status").textContent = "已显示完整号码，本次查看已记入审计记录。";
  });

  // One action open at a time, so one primary button is in view.
  document.querySelectorAll("#detail details.action").forEach(function (box) {
    box.addEventListener("toggle", function () {
      if (!box.open) return;
      document.querySelectorAll("#detail details.action").forEach(function (other) { if (other !== box) other.open = false; });
      const first = box.querySelector("select, textarea, input");
      if (first) first.focus();
    });
  });

  $("close-detail").addEventListener("click", function () {
    $("cases-view").classList.remove("workspace--detail");
    detail.hidden = true;
    current = null;
    revealed = null;
    document.querySelectorAll(".case-row--open").forEach(function (row) { row.classList.remove("case-row--open"); });
  });

  // --- start ------------------------------------------------------------------------------------

  session.start();
})();
