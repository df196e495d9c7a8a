// Analyst console: signs in like the staff console and reads the analyst API with a bearer token.
// Transcripts arrive masked; nothing here ever asks for unmasked text.
(function () {
  "use strict";

  const PAGE_SIZE = 20;
  const LOW_CONFIDENCE = 0.6; // highlighted when no threshold is chosen
  const SVG = "http://www.w3.org/2000/svg";
  const options = JSON.parse(document.getElementById("console-options").textContent);
  const $ = function (id) { return document.getElementById(id); };

  // Where the analyst API lives. Exports are links of their own so the browser streams them.
  const API = {
    conversations: "/api/analyst/conversations",
    conversation: function (id) { return "/api/analyst/conversations/" + encodeURIComponent(id); },
    tags: function (id) { return API.conversation(id) + "/tags"; },
    tag: function (id, tag) { return API.tags(id) + "/" + encodeURIComponent(tag); },
    annotations: function (id) { return API.conversation(id) + "/annotations"; },
    story: function (id) { return API.conversation(id) + "/story"; },
    dashboard: "/api/analyst/dashboard",
    tagList: "/api/analyst/tags",
    entityList: "/api/analyst/entities",
    exports: {
      csv: { path: "/api/analyst/export/conversations.csv", file: "conversations.csv", label: "CSV" },
      jsonl: { path: "/api/analyst/export/conversations.jsonl", file: "conversations.jsonl", label: "JSONL" },
      nlu: { path: "/api/analyst/export/nlu-corrections", file: "nlu_corrections.yml", label: "NLU 纠正数据" },
    },
  };
  const FILTERS = ["date_from", "date_to", "channel", "intent", "max_confidence", "fallback", "handed_off",
    "complaint_filed", "assessment_done", "satisfaction", "tag", "entity", "entity_value", "q", "outcome",
    "customer_spoke", "answer_version_id", "sort"];
  const MISSING_TOPIC = "missing_topic"; // an annotation: no knowledge-base topic covers this

  const views = { login: $("login-view"), forbidden: $("forbidden-view"), analyst: $("analyst-view") };
  const filters = $("filters");
  const rows = $("conversation-rows");
  const detail = $("detail");

  let page = 1;
  let listRequests = 0; // only the latest list request is shown
  let dashboardRequests = 0;
  let current = null; // the conversation shown in the detail panel
  let tab = "list";

  // --- helpers ----------------------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  const dateTime = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  const timeOnly = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  function formatTime(iso) { return iso ? dateTime.format(new Date(iso)) : ""; }
  function formatClock(iso) { return iso ? timeOnly.format(new Date(iso)) : ""; }
  function percent(value) {
    return value === null || value === undefined || isNaN(value) ? "—" : (Number(value) * 100).toFixed(1) + "%";
  }
  function confidenceText(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2);
  }
  function first() { // the first argument that is neither undefined nor null
    for (let i = 0; i < arguments.length; i += 1) {
      if (arguments[i] !== undefined && arguments[i] !== null) return arguments[i];
    }
    return null;
  }
  function tagName(tag) { return typeof tag === "string" ? tag : first(tag.tag, tag.name, tag.label, ""); }

  // --- signing in and out (api/static/staff_session.js) ----------------------------------------

  function show(name) { session.show(views, name); }

  function forbidden(message) {
    $("forbidden-text").textContent = session.forbiddenText(message);
    show("forbidden");
  }

  const session = StaffSession({
    signedIn: signedIn,
    signedOut: function () {
      current = null;
      show("login");
    },
    forbidden: forbidden,
  });
  const api = session.api;
  const errorMessage = session.errorMessage;

  async function signedIn() {
    if (options.analyst_roles.indexOf(session.login.staff.role) < 0) { forbidden(""); return; }
    show("analyst");
    readFiltersFromAddress();
    page = 1;
    loadTags();
    loadEntityValues();
    if (tab === "dashboard") await loadDashboard(); else await loadConversations();
  }

  // --- filters, kept in the address so a figure's link can be opened or shared -----------------

  function filterQuery(extra) {
    const data = new FormData(filters);
    const query = new URLSearchParams();
    FILTERS.forEach(function (name) {
      const value = (data.get(name) || "").toString().trim();
      if (value) query.append(name, value);
    });
    Object.keys(extra || {}).forEach(function (name) { query.set(name, extra[name]); });
    return query;
  }

  function readFiltersFromAddress() {
    const query = new URLSearchParams(location.search);
    FILTERS.forEach(function (name) {
      const field = filters.elements[name];
      if (field && query.has(name)) field.value = query.get(name);
    });
    tab = location.hash === "#dashboard" ? "dashboard" : "list";
    showTab(tab, false);
  }

  function remember() {
    const query = filterQuery();
    history.replaceState(null, "", location.pathname + (query.toString() ? "?" + query : "") + "#" + tab);
  }

  // A figure's link: the dashboard's own scope (dates, channel) plus what the figure counts.
  function drillQuery(filter) {
    const query = new URLSearchParams();
    ["date_from", "date_to", "channel"].forEach(function (name) {
      const value = filters.elements[name].value;
      if (value) query.set(name, value);
    });
    Object.keys(filter).forEach(function (name) { query.set(name, filter[name]); });
    return query;
  }

  function applyFilter(filter) {
    const query = drillQuery(filter);
    filters.reset();
    query.forEach(function (value, name) { if (filters.elements[name]) filters.elements[name].value = value; });
    page = 1;
    showTab("list", true);
    loadConversations();
    $("list-title").focus();
  }

  function showTab(name, load) {
    tab = name;
    $("tab-list").setAttribute("aria-pressed", String(name === "list"));
    $("tab-dashboard").setAttribute("aria-pressed", String(name === "dashboard"));
    $("list-view").hidden = name !== "list";
    $("dashboard-view").hidden = name !== "dashboard";
    if (!load) return;
    remember();
    if (name === "dashboard") loadDashboard();
  }

  $("tab-list").addEventListener("click", function () { showTab("list", true); loadConversations(); });
  $("tab-dashboard").addEventListener("click", function () { showTab("dashboard", true); });

  function reload() {
    page = 1;
    remember();
    if (tab === "dashboard") loadDashboard(); else loadConversations();
  }
  filters.addEventListener("submit", function (event) { event.preventDefault(); reload(); });
  filters.addEventListener("reset", function () { setTimeout(reload, 0); });
  filters.addEventListener("change", function (event) {
    // Typed fields wait for Enter or 查询; choices apply at once.
    if (event.target.tagName === "SELECT" || event.target.type === "date") reload();
  });

  function fillDatalist(id, values) {
    const list = $(id);
    const known = new Set(Array.from(list.options).map(function (option) { return option.value; }));
    values.forEach(function (value) {
      if (!value || known.has(value)) return;
      known.add(value);
      const option = element("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  async function loadTags() {
    const result = await api("GET", API.tagList);
    if (!result.ok || !result.body) return; // the list of tags only helps typing
    const items = Array.isArray(result.body) ? result.body : first(result.body.items, result.body.tags, []);
    fillDatalist("tag-list", items.map(tagName));
  }

  // Entity values named in conversations help typing the value filter ("中国工商银行 · 银行 · 12").
  async function loadEntityValues() {
    const result = await api("GET", API.entityList);
    if (!result.ok || !result.body) return;
    const list = $("entity-value-list");
    const known = new Set(Array.from(list.options).map(function (option) { return option.value; }));
    (result.body.items || []).forEach(function (item) {
      if (!item.value || known.has(item.value)) return;
      known.add(item.value);
      const option = element("option");
      option.value = item.value;
      option.label = item.value + " · " + item.label + " · " + item.count + " 个会话";
      list.appendChild(option);
    });
  }

  // --- the list ---------------------------------------------------------------------------------

  function outcomeBadges(item) {
    const box = element("div", "outcomes");
    if (item.outcome) box.appendChild(element("span", "pill pill--outcome-" + item.outcome, item.outcome_label));
    const fallback = item.fallback === true || Number(first(item.fallback_count, 0)) > 0;
    if (fallback) box.appendChild(element("span", "pill pill--fallback", "兜底" + (item.fallback_count ? " ×" + item.fallback_count : "")));
    if (item.handed_off) box.appendChild(element("span", "pill pill--handoff", "转人工"));
    if (item.complaint_filed) box.appendChild(element("span", "pill pill--complaint", "投诉"));
    if (item.assessment_done) box.appendChild(element("span", "pill pill--assessment", "风险评估"));
    if (!box.childNodes.length) box.appendChild(element("span", "muted", item.outcome_label || "客户未发言"));
    return box;
  }

  function tagsText(tags) { return (tags || []).map(tagName).join("、"); }

  function conversationRow(item) {
    const id = first(item.conversation_id, item.id);
    const row = element("tr", "case-row");
    row.dataset.id = id;
    if (current && current.id === id) row.classList.add("case-row--open");

    const started = element("td", "cell-nowrap");
    started.dataset.label = "开始时间";
    const open = element("button", "link", formatTime(first(item.started_at, item.first_message_at, item.created_at)) || id);
    open.type = "button";
    open.setAttribute("aria-label", "查看会话 " + (formatTime(first(item.started_at, item.first_message_at)) || id));
    open.addEventListener("click", function (event) { event.stopPropagation(); openConversation(id); });
    started.appendChild(open);

    const channel = element("td", "cell-nowrap", options.channels[item.channel] || item.channel || "—");
    channel.dataset.label = "渠道";

    const content = element("td", "cell-content");
    content.dataset.label = "会话内容";
    content.appendChild(element("div", "summary", first(item.first_customer_text, item.preview, item.first_message, item.summary, "")));
    const intents = first(item.intent_labels, item.intents, item.top_intents, item.intent ? [item.intent] : null, []);
    const count = first(item.message_count, item.messages);
    content.appendChild(element("div", "muted small",
      (intents.length ? "意图：" + intents.slice(0, 3).join("、") : "") + (count !== null ? "　共 " + count + " 条消息" : "")));

    const confidence = first(item.min_confidence, item.lowest_confidence);
    const confidenceCell = element("td", confidence !== null && confidence < LOW_CONFIDENCE ? "low cell-nowrap" : "cell-nowrap", confidenceText(confidence));
    confidenceCell.dataset.label = "最低置信度";

    const outcome = element("td");
    outcome.dataset.label = "结果";
    outcome.appendChild(outcomeBadges(item));

    const satisfaction = element("td", "cell-nowrap", item.satisfaction ? item.satisfaction + " 分" : "未评价");
    satisfaction.dataset.label = "满意度";

    const tags = element("td", "cell-tags", tagsText(item.tags) || "—");
    tags.dataset.label = "标签";

    [started, channel, content, confidenceCell, outcome, satisfaction, tags].forEach(function (cell) { row.appendChild(cell); });
    row.addEventListener("click", function () { openConversation(id); });
    return row;
  }

  async function loadConversations() {
    const request = ++listRequests;
    $("list-status").textContent = "正在加载…";
    const query = filterQuery({ page: String(page), page_size: String(PAGE_SIZE) });
    const result = await api("GET", API.conversations + "?" + query);
    if (request !== listRequests || result.status === 401 || result.status === 403) return;
    if (!result.ok) { $("list-status").textContent = errorMessage(result, "加载失败，请稍后重试。"); return; }
    const data = result.body || {};
    const items = first(data.items, data.conversations, []);
    const pageSize = first(data.page_size, PAGE_SIZE);
    const total = first(data.total, items.length);
    rows.replaceChildren.apply(rows, items.map(conversationRow));
    if (!items.length) {
      const row = element("tr", "empty-row");
      const cell = element("td");
      cell.colSpan = 7;
      cell.appendChild(element("p", "empty", "暂无符合条件的会话。"));
      cell.appendChild(element("p", "hint", "可以调整上方的筛选条件，或点击“重置”查看全部会话。"));
      row.appendChild(cell);
      rows.appendChild(row);
    }
    fillDatalist("tag-list", [].concat.apply([], items.map(function (item) { return (item.tags || []).map(tagName); })));
    const pages = Math.max(1, Math.ceil(total / pageSize));
    $("list-status").textContent = total ? "共找到 " + total + " 个会话。" : "";
    $("page-info").textContent = "第 " + first(data.page, page) + " / " + pages + " 页";
    $("prev-page").disabled = page <= 1;
    $("next-page").disabled = page >= pages;
  }

  $("prev-page").addEventListener("click", function () { if (page > 1) { page -= 1; loadConversations(); } });
  $("next-page").addEventListener("click", function () { page += 1; loadConversations(); });

  // --- one conversation -------------------------------------------------------------------------

  function fact(list, term, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(element("dt", null, term));
    list.appendChild(element("dd", null, value));
  }

  function yesNo(value) { return value ? "是" : "否"; }

  function threshold() {
    const chosen = parseFloat(filters.elements.max_confidence.value);
    return isNaN(chosen) ? LOW_CONFIDENCE : chosen;
  }

  function annotationNode(note) {
    const item = element("li", "annotation");
    const intent = first(note.correct_intent, note.intent);
    let text = intent === MISSING_TOPIC ? "知识库缺少此主题" : intent ? "正确意图应为 " + intent : "";
    if (note.note || note.text) text += (text ? "：" : "") + first(note.note, note.text);
    item.appendChild(element("span", null, text || "已标注"));
    const who = first(note.author, note.created_by, note.analyst);
    if (who || note.created_at) item.appendChild(element("span", "muted small", "（" + [who, formatTime(note.created_at)].filter(Boolean).join(" · ") + "）"));
    return item;
  }

  function annotationForm(message, list) {
    const form = element("form", "annotate");
    form.hidden = true;
    const intentLabel = element("label", null, "正确意图");
    const intent = element("input");
    intent.name = "correct_intent";
    intent.maxLength = 100;
    intent.setAttribute("list", "intent-list");
    if (message.intent) intent.placeholder = "当前识别：" + message.intent;
    intentLabel.appendChild(intent);
    const noteLabel = element("label", null, "备注");
    const note = element("textarea");
    note.name = "note";
    note.rows = 2;
    note.maxLength = 1000;
    noteLabel.appendChild(note);
    const missingLabel = element("label", "annotate__missing");
    const missing = element("input");
    missing.type = "checkbox";
    missing.name = "missing_topic";
    missingLabel.appendChild(missing);
    missingLabel.appendChild(document.createTextNode("知识库缺少此主题（请在备注中写明建议新增的主题）"));
    missing.addEventListener("change", function () { intent.disabled = missing.checked; });
    const error = element("p", "form-error");
    error.setAttribute("role", "alert");
    const save = element("button", "button", "保存标注");
    save.type = "submit";
    [intentLabel, missingLabel, noteLabel, error, save].forEach(function (node) { form.appendChild(node); });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.textContent = "";
      if (missing.checked && !note.value.trim()) { error.textContent = "请在备注中写明建议新增的主题。"; return; }
      if (!intent.value.trim() && !note.value.trim()) { error.textContent = "请填写正确意图或备注。"; return; }
      save.disabled = true;
      const corrected = missing.checked ? MISSING_TOPIC : intent.value.trim() || null;
      const body = { message_id: message.id, correct_intent: corrected, note: note.value.trim() || null };
      const result = await api("POST", API.annotations(current.id), body);
      save.disabled = false;
      if (result.status === 401 || result.status === 403) return;
      if (!result.ok) { error.textContent = errorMessage(result); return; }
      list.appendChild(annotationNode(result.body && typeof result.body === "object" && !Array.isArray(result.body) ? result.body : body));
      form.reset();
      intent.disabled = false;
      form.hidden = true;
      $("detail-status").textContent = "标注已保存，可在「导出 NLU 纠正数据」中导出。";
    });
    return form;
  }

  function messageNode(message, annotations) {
    const sender = message.sender || "system";
    if (sender === "system" || message.kind === "event") {
      const event = element("li", "transcript__event");
      event.appendChild(element("span", null, first(message.label, message.text, "")));
      event.appendChild(element("time", "muted small", " " + formatClock(message.created_at)));
      return event;
    }
    const item = element("li", "bubble bubble--" + sender);
    const head = element("div", "bubble__head");
    head.appendChild(element("span", "bubble__who", sender === "agent" && message.agent_name
      ? "人工客服 " + message.agent_name : options.senders[sender] || sender));
    head.appendChild(element("time", "muted small", formatClock(message.created_at)));
    item.appendChild(head);
    item.appendChild(element("div", "bubble__text", message.text || ""));
    if (message.buttons && message.buttons.length) {
      item.appendChild(element("div", "bubble__buttons", "按钮：" + message.buttons.map(function (b) { return b.title; }).join(" / ")));
    }
    if (message.answer_version_id) {
      // Which wording of the knowledge base the customer saw; a click lists every conversation shown it.
      const version = element("button", "link small bubble__version", "答案版本 #" + message.answer_version_id);
      version.type = "button";
      version.title = "查看收到此版本答案的全部会话";
      version.addEventListener("click", function () { applyFilter({ answer_version_id: String(message.answer_version_id) }); });
      item.appendChild(version);
    }
    if (sender !== "customer") return item;

    const nlu = element("div", "nlu");
    const low = message.confidence !== null && message.confidence !== undefined && message.confidence < threshold();
    const intent = element("span", "nlu__intent", "意图：" + (message.intent_label || message.intent || "未识别"));
    if (message.intent) intent.appendChild(element("code", "nlu__id", message.intent));
    nlu.appendChild(intent);
    if (message.payload) nlu.appendChild(element("span", "pill pill--button", "点击按钮"));
    if (message.form) nlu.appendChild(element("span", "pill pill--form", "回答流程问题"));
    nlu.appendChild(element("span", low ? "nlu__confidence low" : "nlu__confidence",
      "置信度 " + confidenceText(message.confidence) + (low ? "（偏低）" : "")));
    if (message.fallback) nlu.appendChild(element("span", "pill pill--fallback", "触发兜底"));
    (message.entities || []).forEach(function (entity) {
      if (!entity || !entity.entity) return;
      const chip = element("span", "pill pill--entity",
        (entity.label || entity.entity) + "：" + (entity.display || entity.value));
      chip.title = "客户原话：" + (entity.text || entity.value);
      nlu.appendChild(chip);
    });
    const toggle = element("button", "link small", "标注");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    nlu.appendChild(toggle);
    item.appendChild(nlu);

    const list = element("ul", "annotations");
    annotations.forEach(function (note) { list.appendChild(annotationNode(note)); });
    item.appendChild(list);
    const form = annotationForm(message, list);
    item.appendChild(form);
    toggle.addEventListener("click", function () {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    });
    return item;
  }

  // Handoff and case events may come separately from the messages; they are shown in time order.
  function eventLabel(event) {
    const labels = {
      handoff_requested: "客户请求转人工", handoff_waiting: "进入人工排队", handoff_started: "人工客服已接入",
      handoff_ended: "人工客服已结束服务", handoff_claimed: "人工客服已接入", handback: "转回智能助手",
      case_opened: "已受理投诉", complaint_filed: "已受理投诉", assessment_done: "完成风险评估",
      callback_requested: "客户申请回电", rating: "客户评价",
    };
    const kind = first(event.kind, event.type, event.event, "");
    let text = first(event.label, labels[kind], event.text, kind);
    const detailText = first(event.case_number, event.reason, event.detail, event.note);
    if (detailText && text.indexOf(detailText) < 0) text += "：" + detailText;
    return text;
  }

  function renderDetail(data) {
    const conversation = first(data.conversation, data);
    current = { id: first(conversation.conversation_id, conversation.id), data: data };
    $("detail-title").textContent = "会话 " + formatTime(first(conversation.started_at, conversation.first_message_at));

    const facts = $("detail-facts");
    facts.replaceChildren();
    fact(facts, "会话编号", current.id);
    fact(facts, "渠道", options.channels[conversation.channel] || conversation.channel);
    fact(facts, "客户编号", conversation.customer_id || "访客");
    fact(facts, "转人工", yesNo(conversation.handed_off));
    fact(facts, "投诉", conversation.complaint_filed ? "是" + (conversation.case_number ? "（" + conversation.case_number + "）" : "") : "否");
    fact(facts, "风险评估", yesNo(conversation.assessment_done));
    fact(facts, "满意度", conversation.satisfaction ? conversation.satisfaction + " 分（满分5分）" : "未评价");

    renderTags(first(data.tags, conversation.tags, []));

    const messages = first(data.messages, data.transcript, []);
    const annotations = first(data.annotations, []);
    const events = first(data.events, []).map(function (event) {
      return { sender: "system", kind: "event", label: eventLabel(event), created_at: first(event.created_at, event.at) };
    });
    const entries = messages.concat(events).map(function (entry, index) { return { entry: entry, index: index }; });
    entries.sort(function (a, b) {
      const left = Date.parse(a.entry.created_at) || 0;
      const right = Date.parse(b.entry.created_at) || 0;
      return left - right || a.index - b.index;
    });
    const transcript = $("transcript");
    transcript.replaceChildren.apply(transcript, entries.map(function (item) {
      const message = item.entry;
      const notes = first(message.annotations, annotations.filter(function (note) { return note.message_id === message.id; }));
      return messageNode(message, notes);
    }));
    if (!entries.length) transcript.appendChild(element("li", "muted", "这个会话还没有消息。"));
    fillDatalist("intent-list", messages.map(function (message) { return message.intent; }));

    detail.hidden = false;
    $("list-view").classList.add("workspace--detail");
    document.querySelectorAll(".case-row").forEach(function (row) {
      row.classList.toggle("case-row--open", row.dataset.id === current.id);
    });
  }

  async function openConversation(id) {
    $("detail-status").textContent = "";
    $("tag-error").textContent = "";
    const result = await api("GET", API.conversation(id));
    if (result.status === 401 || result.status === 403) return;
    if (!result.ok) { $("list-status").textContent = errorMessage(result, "无法打开该会话。"); return; }
    renderDetail(result.body);
    detail.focus({ preventScroll: true });
    detail.scrollIntoView({ block: "start" });
  }

  $("close-detail").addEventListener("click", function () {
    $("list-view").classList.remove("workspace--detail");
    detail.hidden = true;
    current = null;
    document.querySelectorAll(".case-row--open").forEach(function (row) { row.classList.remove("case-row--open"); });
  });

  // --- tags -------------------------------------------------------------------------------------

  function renderTags(tags) {
    const list = $("tags");
    list.replaceChildren();
    tags.map(tagName).forEach(function (name) {
      const item = element("li", "tag");
      item.appendChild(element("span", null, name));
      const remove = element("button", "tag__remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", "删除标签 " + name);
      remove.addEventListener("click", function () { removeTag(name); });
      item.appendChild(remove);
      list.appendChild(item);
    });
    if (!tags.length) list.appendChild(element("li", "muted small", "暂无标签"));
    if (current) current.tags = tags.map(tagName);
  }

  function tagsFrom(result, fallback) {
    const body = result.body;
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body.tags)) return body.tags;
    return fallback;
  }

  $("tag-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const field = event.target.elements.tag;
    const name = field.value.trim();
    $("tag-error").textContent = "";
    if (!name || !current) return;
    const result = await api("POST", API.tags(current.id), { tag: name });
    if (result.status === 401 || result.status === 403) return;
    if (!result.ok) { $("tag-error").textContent = errorMessage(result); return; }
    const tags = tagsFrom(result, (current.tags || []).concat(current.tags && current.tags.indexOf(name) >= 0 ? [] : [name]));
    renderTags(tags);
    fillDatalist("tag-list", [name]);
    field.value = "";
    $("detail-status").textContent = "已添加标签「" + name + "」。";
    loadConversations();
  });

  async function removeTag(name) {
    const result = await api("DELETE", API.tag(current.id, name));
    if (result.status === 401 || result.status === 403) return;
    if (!result.ok) { $("tag-error").textContent = errorMessage(result); return; }
    renderTags(tagsFrom(result, (current.tags || []).filter(function (tag) { return tag !== name; })));
    $("detail-status").textContent = "已删除标签「" + name + "」。";
    $("tag-form").elements.tag.focus();
    loadConversations();
  }

  // --- exports: fetched with the bearer token, then saved as a file ------------------------------

  async function download(path, fallbackName, statusLine) {
    statusLine.textContent = "正在导出…";
    let response;
    try {
      response = await fetch(path, { headers: { Authorization: "Bearer " + session.login.token } });
    } catch (error) {
      statusLine.textContent = "网络连接异常，请检查网络后重试。";
      return;
    }
    if (response.status === 401) { session.signOut("登录已过期，请重新登录。"); return; }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (error) { body = null; }
      statusLine.textContent = errorMessage({ body: body }, "导出失败，请稍后重试。");
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    const blob = await response.blob();
    const link = element("a");
    link.href = URL.createObjectURL(blob);
    link.download = named ? decodeURIComponent(named[1]) : fallbackName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
    statusLine.textContent = "已导出 " + link.download + "。";
  }

  document.querySelectorAll("[data-export]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const target = API.exports[button.dataset.export];
      button.disabled = true;
      await download(target.path + "?" + filterQuery(), target.file, $("list-status"));
      button.disabled = false;
    });
  });

  $("export-story").addEventListener("click", async function () {
    if (!current) return;
    this.disabled = true;
    await download(API.story(current.id), "test_story_" + current.id + ".yml", $("detail-status"));
    this.disabled = false;
  });

  // --- the dashboard: inline SVG, every figure a link to its conversations ----------------------

  // A figure's name is what it shows (its label and value: speech users say what they see); the
  // fuller sentence is its description (the tooltip).
  function figureLink(filter, label) {
    const link = svg("a", { href: "?" + drillQuery(filter) + "#list", class: "chart__link" });
    link.addEventListener("click", function (event) { event.preventDefault(); applyFilter(filter); });
    link.appendChild(svg("title")).textContent = label;
    return link;
  }

  // Drawn at the container's own width so text keeps its size; redrawn when the window resizes.
  function chartWidth(container) { return Math.max(280, Math.round(container.clientWidth || 640)); }

  // items: [{label, value, filter, text}] → horizontal bars (one row each) or vertical columns.
  function barChart(container, items, settings) {
    container.replaceChildren();
    if (!items.length) { container.appendChild(element("p", "muted small", "暂无数据")); return; }
    const max = Math.max.apply(null, items.map(function (item) { return item.value; }).concat([1]));
    let chart;
    if (settings.vertical) {
      const width = chartWidth(container), height = 220, bottom = 28, top = 18;
      const slot = width / items.length;
      chart = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "chart__svg", role: "group",
        "aria-label": settings.title });
      chart.appendChild(svg("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "chart__axis" }));
      const labelEvery = Math.ceil(items.length / 10);
      items.forEach(function (item, index) {
        const barHeight = Math.max(item.value ? 2 : 0, (height - bottom - top) * item.value / max);
        const x = index * slot + slot * 0.15;
        const link = figureLink(item.filter, item.text);
        link.appendChild(svg("rect", { x: x, y: height - bottom - barHeight, width: slot * 0.7, height: barHeight,
          class: "chart__bar", "data-value": item.value }));
        if (items.length <= 16) {
          link.appendChild(svg("text", { x: x + slot * 0.35, y: height - bottom - barHeight - 4, "text-anchor": "middle",
            class: "chart__value" })).textContent = item.value;
        }
        chart.appendChild(link);
        if (index % labelEvery === 0) {
          chart.appendChild(svg("text", { x: x + slot * 0.35, y: height - 8, "text-anchor": "middle",
            class: "chart__label" })).textContent = item.label;
        }
      });
    } else {
      const width = chartWidth(container), row = 28, labelWidth = Math.min(230, Math.round(width * 0.4));
      const height = items.length * row + 4;
      chart = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "chart__svg", role: "group",
        "aria-label": settings.title });
      items.forEach(function (item, index) {
        const y = index * row + 4;
        const barWidth = Math.max(item.value ? 2 : 0, (width - labelWidth - 70) * item.value / max);
        const link = figureLink(item.filter, item.text);
        link.appendChild(svg("rect", { x: 0, y: y, width: width, height: row - 4, class: "chart__hit" }));
        const fits = Math.max(4, Math.floor(labelWidth / 13));
        const label = item.label.length > fits ? item.label.slice(0, fits - 1) + "…" : item.label;
        link.appendChild(svg("text", { x: labelWidth - 8, y: y + row / 2 + 2, "text-anchor": "end", class: "chart__label" }))
          .textContent = label;
        link.appendChild(svg("rect", { x: labelWidth, y: y + 2, width: barWidth, height: row - 8, class: "chart__bar",
          "data-value": item.value }));
        link.appendChild(svg("text", { x: labelWidth + barWidth + 6, y: y + row / 2 + 2, class: "chart__value" }))
          .textContent = settings.format ? settings.format(item.value) : item.value;
        chart.appendChild(link);
      });
    }
    container.appendChild(chart);
  }

  // A figure is a link named by what it shows; its definition is the tooltip and the legend.
  function kpi(label, value, filter, hint, definition) {
    const link = element("a", "kpi");
    link.href = "?" + drillQuery(filter || {}) + "#list";
    link.appendChild(element("span", "kpi__label", label));
    link.appendChild(element("span", "kpi__value", value));
    if (hint) link.appendChild(element("span", "kpi__hint", hint));
    if (definition) link.title = label + "：" + definition + "（点击查看对应会话）";
    link.addEventListener("click", function (event) { event.preventDefault(); applyFilter(filter || {}); });
    return link;
  }

  function counted(list, labelOf, filterOf, textOf) {
    return (list || []).map(function (entry) {
      const value = Number(first(entry.count, entry.conversations, entry.value, 0));
      const label = labelOf(entry);
      return { label: label, value: value, filter: filterOf(entry), text: textOf ? textOf(entry, value) : label + "：" + value + " 个会话" };
    });
  }

  function rate(data, name, numerator) {
    if (data[name] !== undefined && data[name] !== null) return Number(data[name]);
    const total = Number(first(data.total_conversations, data.conversations, 0));
    return total ? Number(first(data[numerator], 0)) / total : null;
  }

  function renderDashboard(data) {
    const totals = first(data.totals, data);
    const total = first(totals.total_conversations, totals.conversations, totals.total);
    const satisfaction = first(data.satisfaction, {});
    const average = first(satisfaction.average, data.average_satisfaction);
    const complaints = first(data.complaints, {});
    const kpis = $("kpis");
    const definitions = data.definitions || {};
    const links = totals.filters || {};
    const spoken = first(totals.customer_conversations, total);
    function count(name) { return first(totals[name], 0) + " / " + spoken + " 个会话"; }
    kpis.replaceChildren(
      kpi("会话总数", total === null ? "—" : String(total), {},
        spoken !== null && spoken !== total ? "其中客户发言 " + spoken + " 个" : null, definitions.total_conversations),
      kpi("自助解决率", percent(totals.containment_rate), first(links.contained, { outcome: "self_service" }),
        count("contained"), definitions.containment_rate),
      kpi("转人工率", percent(totals.handoff_rate), first(links.handed_off, { outcome: "handed_off" }),
        count("handed_off"), definitions.handoff_rate),
      kpi("未解决率", percent(totals.unresolved_rate), first(links.unresolved, { outcome: "unresolved" }),
        count("unresolved"), definitions.unresolved_rate),
      kpi("兜底率", percent(totals.fallback_rate), first(links.fallback, { fallback: "true" }),
        count("fallback"), definitions.fallback_rate),
      kpi("平均满意度", average === null || average === undefined ? "—" : Number(average).toFixed(2) + " 分",
        { satisfaction: "rated" }, satisfaction.count ? satisfaction.count + " 次评价" : "暂无评价"),
      kpi("投诉", String(first(complaints.total, data.complaints_total, "—")), { complaint_filed: "true" })
    );
    const legend = $("definitions");
    legend.replaceChildren();
    [["自助解决率", "containment_rate"], ["转人工率", "handoff_rate"], ["未解决率", "unresolved_rate"],
     ["兜底率", "fallback_rate"], ["未识别的问法", "unrecognised"], ["比率的分母", "customer_conversations"]]
      .forEach(function (pair) {
        if (!definitions[pair[1]]) return;
        legend.appendChild(element("dt", null, pair[0]));
        legend.appendChild(element("dd", null, definitions[pair[1]]));
      });

    barChart($("chart-daily").querySelector(".chart__body"),
      counted(first(data.daily, data.daily_conversations, []),
        function (entry) { return String(first(entry.date, entry.day, "")).slice(5); },
        function (entry) { const day = first(entry.date, entry.day); return { date_from: day, date_to: day }; },
        function (entry, value) { return first(entry.date, entry.day) + "：" + value + " 个会话"; }),
      { vertical: true, title: "每日会话量" });

    const topIntents = first(data.top_intents, data.intents, []);
    const intents = counted(topIntents,
      function (entry) { return first(entry.label, entry.intent, entry.name, "未识别"); },
      function (entry) { return { intent: first(entry.intent, entry.name, "") }; });
    fillDatalist("intent-list", topIntents.map(function (entry) { return entry.intent; }));
    barChart($("chart-intents").querySelector(".chart__body"), intents, { title: "热门意图" });

    const handoff = first(data.handoff_reasons, data.handoff && data.handoff.reasons, []);
    barChart($("chart-handoff-reasons").querySelector(".chart__body"),
      counted(handoff, function (entry) { return first(entry.label, entry.reason, "其他"); },
        function () { return { handed_off: "true" }; }),
      { title: "转人工原因" });

    const distribution = first(satisfaction.distribution, data.satisfaction_distribution, []);
    const scores = Array.isArray(distribution) ? distribution : Object.keys(distribution).map(function (score) {
      return { score: score, count: distribution[score] };
    });
    barChart($("chart-satisfaction").querySelector(".chart__body"),
      counted(scores, function (entry) { return entry.score + " 分"; },
        function (entry) { return { satisfaction: String(entry.score) }; }),
      { title: "满意度分布" });

    const byClass = first(complaints.by_classification, complaints.by_business, data.complaints_by_classification, []);
    barChart($("chart-complaints").querySelector(".chart__body"),
      counted(byClass, function (entry) {
        const code = first(entry.code, entry.business_code, entry.classification);
        return first(entry.label, options.case_businesses[code], options.case_reasons[code], options.case_channels[code], code, "未分类");
      }, function () { return { complaint_filed: "true" }; }),
      { title: "投诉分类" });

    const byDeadline = first(complaints.by_deadline, complaints.deadlines, data.complaints_by_deadline, []);
    barChart($("chart-deadlines").querySelector(".chart__body"),
      counted(byDeadline, function (entry) {
        const code = first(entry.status, entry.flag, entry.code);
        return first(entry.label, options.deadline_labels[code], options.case_statuses[code], code);
      }, function () { return { complaint_filed: "true" }; }),
      { title: "投诉处理期限" });

    const groups = first(data.unrecognised, data.unrecognized, data.top_unrecognised, []);
    barChart($("chart-unrecognised").querySelector(".chart__body"),
      counted(groups, function (entry) { return first(entry.phrase, entry.label, entry.text, entry.examples && entry.examples[0], ""); },
        function (entry) { return { fallback: "true", q: first(entry.phrase, entry.label, entry.text, "") }; },
        function (entry, value) {
          const examples = (entry.examples || []).slice(0, 3).join("；");
          return "“" + first(entry.phrase, entry.label, entry.text, "") + "”：" + value + " 次" + (examples ? "（例：" + examples + "）" : "");
        }),
      { title: "未识别的问法" });
  }

  async function loadDashboard() {
    const request = ++dashboardRequests;
    $("dashboard-status").textContent = "正在统计…";
    const query = new URLSearchParams();
    ["date_from", "date_to", "channel"].forEach(function (name) {
      if (filters.elements[name].value) query.set(name, filters.elements[name].value);
    });
    const result = await api("GET", API.dashboard + (query.toString() ? "?" + query : ""));
    if (request !== dashboardRequests || result.status === 401 || result.status === 403) return;
    if (!result.ok) { $("dashboard-status").textContent = errorMessage(result, "统计失败，请稍后重试。"); return; }
    lastDashboard = result.body || {};
    renderDashboard(lastDashboard);
    $("dashboard-status").textContent = "";
  }

  let lastDashboard = null;
  let resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (lastDashboard && tab === "dashboard") renderDashboard(lastDashboard); }, 200);
  });

  // --- start ------------------------------------------------------------------------------------

  session.start();
})();
