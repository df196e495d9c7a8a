// Knowledge-base console: signs in like the other staff consoles and reads the knowledge-base API
// (/api/kb/...) with a bearer token. Editors write new wordings with a live preview; reviewers
// approve or reject the ones others wrote (the API refuses one's own, the page offers no button).
(function () {
  "use strict";

  const options = JSON.parse(document.getElementById("console-options").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const PREVIEW_DELAY_MS = 300; // typing pauses this long before the preview asks the API
  const CHINA_OFFSET = "+08:00"; // effective times are typed in Beijing time

  const API = {
    topics: "/api/kb/topics",
    topic: function (id) { return "/api/kb/topics/" + encodeURIComponent(id); },
    drafts: function (id) { return API.topic(id) + "/drafts"; },
    preview: "/api/kb/preview",
    decide: function (id, action) { return "/api/kb/versions/" + id + "/" + action; },
    diff: function (oldId, newId) { return "/api/kb/diff?old=" + oldId + "&new=" + newId; },
    suggestions: "/api/kb/suggestions",
  };

  const views = { login: $("login-view"), forbidden: $("forbidden-view"), kb: $("kb-view") };
  const filters = $("filters");
  const detail = $("detail");
  const topicTitles = {};
  options.topics.forEach(function (topic) { topicTitles[topic.id] = topic.title; });

  let current = null; // the topic shown: {topic, versions, events}
  let related = []; // the draft's buttons: topic ids and {intent, title}
  let listRequests = 0;
  let previewRequests = 0;
  let previewTimer = null;

  // --- helpers ----------------------------------------------------------------------------------

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
  function formatTime(iso) { return iso ? dateTime.format(new Date(iso)) : ""; }
  function f1Text(value) { return value === null || value === undefined ? "—" : Number(value).toFixed(2); }

  function role() { return session.login ? session.login.staff.role : ""; }
  function me() { return session.login ? session.login.staff.username : ""; }
  function isEditor() { return options.editor_roles.indexOf(role()) >= 0; }
  function isReviewer() { return options.reviewer_roles.indexOf(role()) >= 0; }

  function badge(state, label) { return element("span", "badge badge--" + state, label); }

  // --- signing in and out (api/static/staff_session.js) ----------------------------------------

  function show(name) { session.show(views, name); }

  function forbidden(message) {
    $("forbidden-text").textContent = session.forbiddenText(message);
    show("forbidden");
  }

  const session = StaffSession({
    signedIn: signedIn,
    signedOut: function () { current = null; show("login"); },
    // A 403 on an action (e.g. one's own draft) is shown beside the action; the list decides
    // whether the console may be used at all.
    forbidden: function () {},
  });
  const api = session.api;
  const errorMessage = session.errorMessage;

  async function signedIn() {
    if (!isEditor() && !isReviewer()) { forbidden(""); return; }
    show("kb");
    closeDetail();
    await Promise.all([loadTopics(), loadSuggestions()]);
  }

  // --- the topic list ---------------------------------------------------------------------------

  function filterQuery() {
    const query = new URLSearchParams();
    new FormData(filters).forEach(function (value, name) { if (String(value).trim()) query.set(name, String(value).trim()); });
    return query;
  }

  function topicRow(item) {
    const row = element("tr", "case-row");
    row.dataset.id = item.topic_id;
    const name = element("td", "cell-content");
    const open = element("button", "link", item.title);
    open.type = "button";
    open.addEventListener("click", function (event) { event.stopPropagation(); openTopic(item.topic_id); });
    name.appendChild(open);
    name.appendChild(element("div", "summary", item.excerpt));
    const group = element("td", "cell-nowrap", item.group_label);
    const states = element("td", "cell-states");
    item.states.forEach(function (state, index) { states.appendChild(badge(state, item.state_labels[index])); });
    if (item.pending_count > 1) states.appendChild(element("span", "muted small", " " + item.pending_count + " 个待审核"));
    if (item.next_scheduled_at) states.appendChild(element("div", "muted small", formatTime(item.next_scheduled_at) + " 生效"));
    const wordings = element("td", "cell-nowrap", item.wording_count === null ? "—" : String(item.wording_count));
    const f1 = element("td", item.f1 !== null && item.f1 < 0.8 ? "cell-nowrap low" : "cell-nowrap", f1Text(item.f1));
    [name, group, states, wordings, f1].forEach(function (cell) { row.appendChild(cell); });
    row.addEventListener("click", function () { openTopic(item.topic_id); });
    return row;
  }

  async function loadTopics() {
    const request = ++listRequests;
    $("list-status").textContent = "正在加载…";
    const result = await api("GET", API.topics + "?" + filterQuery());
    if (request !== listRequests || result.status === 401) return;
    if (result.status === 403) { forbidden(errorMessage(result, "")); return; }
    if (!result.ok) { $("list-status").textContent = errorMessage(result, "加载失败，请稍后重试。"); return; }
    const items = result.body.items;
    const rows = $("topic-rows");
    rows.replaceChildren.apply(rows, items.map(topicRow));
    if (!items.length) {
      const row = element("tr", "empty-row");
      const cell = element("td");
      cell.colSpan = 5;
      cell.appendChild(element("p", "empty", "没有符合条件的主题。"));
      row.appendChild(cell);
      rows.appendChild(row);
    }
    $("list-status").textContent = "共 " + items.length + " 个主题。";
    $("report-info").textContent = result.body.report_at
      ? "识别 F1 取自 " + formatTime(result.body.report_at) + " 的交叉验证报告。"
      : "尚无交叉验证报告（运行 make nlu-report 后显示识别 F1）。";
    markOpenRow();
  }

  filters.addEventListener("submit", function (event) { event.preventDefault(); loadTopics(); });
  filters.addEventListener("reset", function () { setTimeout(loadTopics, 0); });

  async function loadSuggestions() {
    const result = await api("GET", API.suggestions);
    const list = $("suggestion-list");
    if (!result.ok) return;
    list.replaceChildren();
    result.body.items.forEach(function (item) {
      const entry = element("li", "suggestion");
      entry.appendChild(element("strong", null, item.note || "（未写明主题）"));
      entry.appendChild(element("span", "muted small", " · " + item.count + " 次标注，最近 " + formatTime(item.last_at)));
      if (item.examples.length) {
        const examples = element("ul", "suggestion__examples");
        item.examples.forEach(function (text) { examples.appendChild(element("li", null, "“" + text + "”")); });
        entry.appendChild(examples);
      }
      list.appendChild(entry);
    });
    if (!result.body.items.length) list.appendChild(element("li", "muted", "暂无建议。"));
  }

  // --- one topic ----------------------------------------------------------------------------------

  function markOpenRow() {
    document.querySelectorAll("#topic-rows .case-row").forEach(function (row) {
      row.classList.toggle("case-row--open", !!current && row.dataset.id === current.topic.topic_id);
    });
  }

  function closeDetail() {
    current = null;
    detail.hidden = true;
    $("workspace").classList.remove("workspace--detail");
    markOpenRow();
  }
  $("close-detail").addEventListener("click", closeDetail);

  function fact(list, term, value) {
    list.appendChild(element("dt", null, term));
    list.appendChild(element("dd", null, value));
  }

  async function openTopic(id, status) {
    const result = await api("GET", API.topic(id));
    if (result.status === 401) return;
    if (!result.ok) { $("list-status").textContent = errorMessage(result); return; }
    current = result.body;
    const topic = current.topic;
    $("detail-title").textContent = topic.title;
    const facts = $("detail-facts");
    facts.replaceChildren();
    fact(facts, "主题编号", topic.topic_id);
    fact(facts, "业务分类", topic.group_label);
    fact(facts, "当前版本", topic.current ? "第 " + topic.current.number + " 版（" + formatTime(topic.current.effective_at) + " 起生效）" : "尚未发布");
    fact(facts, "训练问法", topic.wording_count === null ? "—" : topic.wording_count + " 条");
    fact(facts, "识别 F1", f1Text(topic.f1));
    $("detail-status").textContent = status || "";
    renderEditor();
    renderVersions();
    renderEvents();
    $("diff").hidden = true;
    detail.hidden = false;
    $("workspace").classList.add("workspace--detail");
    markOpenRow();
    if (!status) detail.focus();
  }

  function published() {
    return current.versions.find(function (version) { return version.state === "published"; }) || null;
  }

  // --- writing a new version, with the preview ---------------------------------------------------

  function renderEditor() {
    $("editor").hidden = !isEditor();
    if (!isEditor()) return;
    const base = published();
    $("draft-text").value = base ? base.text : "";
    related = base ? base.related.slice() : [];
    $("draft-effective").value = "";
    $("draft-note").value = "";
    $("draft-error").textContent = "";
    const add = $("related-add");
    add.replaceChildren(element("option", null, "请选择主题"));
    add.firstChild.value = "";
    options.topics.forEach(function (topic) {
      if (topic.id === current.topic.topic_id) return;
      const option = element("option", null, topic.title + "（" + topic.id + "）");
      option.value = topic.id;
      add.appendChild(option);
    });
    renderRelated();
    updatePreview();
  }

  function relatedTitle(item) {
    return typeof item === "string" ? (topicTitles[item] || item) : item.title;
  }

  function renderRelated() {
    const list = $("related-list");
    list.replaceChildren();
    related.forEach(function (item, index) {
      const entry = element("li", "related__item");
      entry.appendChild(element("span", null, relatedTitle(item) + (typeof item === "string" ? "" : "（流程按钮）")));
      const remove = element("button", "link small", "移除");
      remove.type = "button";
      remove.setAttribute("aria-label", "移除按钮“" + relatedTitle(item) + "”");
      remove.addEventListener("click", function () { related.splice(index, 1); renderRelated(); schedulePreview(); });
      entry.appendChild(remove);
      list.appendChild(entry);
    });
    if (!related.length) list.appendChild(element("li", "muted small", "没有按钮。"));
  }

  $("related-add-button").addEventListener("click", function () {
    const chosen = $("related-add").value;
    if (!chosen || related.indexOf(chosen) >= 0) return;
    related.push(chosen);
    renderRelated();
    schedulePreview();
  });

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(updatePreview, PREVIEW_DELAY_MS);
  }

  function chatBubble(text, buttons) {
    const message = element("div", "msg msg--assistant");
    message.appendChild(element("div", "msg__bubble", text));
    if (buttons.length) {
      const row = element("div", "msg__buttons");
      buttons.forEach(function (button) { row.appendChild(element("span", "msg__button", button.title)); });
      message.appendChild(row);
    }
    return message;
  }

  function warningList(list, warnings) {
    list.replaceChildren();
    warnings.forEach(function (warning) {
      const item = element("li", "warning", warning.message);
      item.dataset.code = warning.code;
      list.appendChild(item);
    });
  }

  async function updatePreview() {
    if (!current) return;
    const request = ++previewRequests;
    const text = $("draft-text").value;
    $("draft-count").textContent = "已输入 " + text.trim().length + " 字（占位符替换前）";
    const result = await api("POST", API.preview, { topic_id: current.topic.topic_id, text: text, related: related });
    if (request !== previewRequests || !result.ok) return;
    $("preview").replaceChildren(chatBubble(result.body.text, result.body.buttons));
    const warnings = result.body.warnings.slice();
    if (result.body.error) warnings.unshift({ code: "invalid", message: result.body.error });
    warningList($("preview-warnings"), warnings);
  }

  $("draft-text").addEventListener("input", schedulePreview);

  $("draft-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    $("draft-error").textContent = "";
    const effective = $("draft-effective").value;
    const body = {
      text: $("draft-text").value.trim(),
      related: related,
      effective_from: effective ? effective + ":00" + CHINA_OFFSET : null,
      note: $("draft-note").value.trim() || null,
    };
    if (!body.text) { $("draft-error").textContent = "请填写答案内容。"; return; }
    button.disabled = true;
    const result = await api("POST", API.drafts(current.topic.topic_id), body);
    button.disabled = false;
    if (result.status === 401) return;
    if (!result.ok) { $("draft-error").textContent = errorMessage(result); return; }
    await openTopic(current.topic.topic_id, "第 " + result.body.number + " 版已提交，等待审核人员审核。");
    loadTopics();
  });

  // --- history, review and comparison ------------------------------------------------------------

  function versionNode(version) {
    const item = element("li", "version version--" + version.state);
    item.dataset.versionId = String(version.id);
    const head = element("div", "version__head");
    head.appendChild(element("strong", null, "第 " + version.number + " 版"));
    head.appendChild(badge(version.state, version.state_label));
    item.appendChild(head);
    const who = ["编写：" + version.author_name + " " + formatTime(version.created_at)];
    if (version.reviewer_name && version.decided_at) who.push("审核：" + version.reviewer_name + " " + formatTime(version.decided_at));
    if (version.effective_at) who.push("生效：" + formatTime(version.effective_at));
    else if (version.effective_from) who.push("申请生效：" + formatTime(version.effective_from));
    item.appendChild(element("p", "muted small", who.join("　")));
    if (version.note) item.appendChild(element("p", "version__note", "修改说明：" + version.note));
    item.appendChild(chatBubble(version.rendered_text, version.buttons));
    if (version.review_comment) item.appendChild(element("p", "version__comment", "审核意见：" + version.review_comment));
    if (version.warnings.length) {
      const warnings = element("ul", "warnings");
      warnings.setAttribute("aria-label", "第 " + version.number + " 版的提醒");
      warningList(warnings, version.warnings);
      item.appendChild(warnings);
    }
    const actions = element("div", "version__actions");
    const base = published();
    if (base && base.id !== version.id) {
      const compare = element("button", "button button--light", "与当前发布版本对比");
      compare.type = "button";
      compare.addEventListener("click", function () { showDiff(base, version); });
      actions.appendChild(compare);
    }
    if (version.status === "pending") actions.appendChild(decisionControls(version));
    item.appendChild(actions);
    return item;
  }

  function decisionControls(version) {
    const box = element("div", "decision");
    const error = element("p", "form-error");
    error.setAttribute("role", "alert");
    const mine = version.author === me();
    if (mine && isEditor()) {
      const withdraw = element("button", "button button--light", "撤回");
      withdraw.type = "button";
      withdraw.addEventListener("click", function () { decide(version, "withdraw", null, box); });
      box.appendChild(withdraw);
    }
    if (isReviewer() && mine) {
      box.appendChild(element("p", "hint", "这是您提交的版本，须由另一位审核人员审核。"));
    } else if (isReviewer()) {
      const label = element("label", null, "审核意见");
      const comment = element("textarea");
      comment.rows = 2;
      comment.maxLength = 500;
      label.appendChild(comment);
      box.appendChild(label);
      const approve = element("button", "button", "审核通过");
      approve.type = "button";
      approve.addEventListener("click", function () { decide(version, "approve", comment.value, box); });
      const reject = element("button", "button button--light", "退回修改");
      reject.type = "button";
      reject.addEventListener("click", function () {
        if (!comment.value.trim()) { error.textContent = "退回时请填写审核意见。"; comment.focus(); return; }
        decide(version, "reject", comment.value, box);
      });
      box.appendChild(approve);
      box.appendChild(reject);
    }
    box.appendChild(error);
    return box;
  }

  const DONE = { approve: "已审核通过。", reject: "已退回给编辑人员。", withdraw: "已撤回。" };

  async function decide(version, action, comment, box) {
    const error = box.querySelector(".form-error");
    error.textContent = "";
    box.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    const body = action === "withdraw" ? undefined : { comment: (comment || "").trim() || null };
    const result = await api("POST", API.decide(version.id, action), body);
    box.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    if (result.status === 401) return;
    if (!result.ok) { error.textContent = errorMessage(result); return; }
    let status = "第 " + version.number + " 版" + DONE[action];
    if (action === "approve") {
      status += result.body.state === "scheduled"
        ? "将于 " + formatTime(result.body.effective_at) + " 起向客户提供。"
        : "客户从下一次提问起即收到新答案。";
    }
    await openTopic(current.topic.topic_id, status);
    loadTopics();
  }

  function renderVersions() {
    const list = $("versions");
    list.replaceChildren.apply(list, current.versions.map(versionNode));
  }

  function segments(node, parts, kind) {
    node.replaceChildren();
    parts.forEach(function (part) {
      if (part.kind === "same") { node.appendChild(document.createTextNode(part.text)); return; }
      const mark = element(kind === "removed" ? "del" : "ins", "diff__" + kind, part.text);
      node.appendChild(mark);
    });
  }

  async function showDiff(oldVersion, newVersion) {
    const result = await api("GET", API.diff(oldVersion.id, newVersion.id));
    if (!result.ok) { $("detail-status").textContent = errorMessage(result); return; }
    $("diff-left-title").textContent = "第 " + oldVersion.number + " 版（" + oldVersion.state_label + "）";
    $("diff-right-title").textContent = "第 " + newVersion.number + " 版（" + newVersion.state_label + "）";
    segments($("diff-left"), result.body.left, "removed");
    segments($("diff-right"), result.body.right, "added");
    $("diff").hidden = false;
    $("diff-title").focus();
  }

  function renderEvents() {
    const list = $("events");
    list.replaceChildren();
    current.events.forEach(function (event) {
      const item = element("li", "event");
      const version = current.versions.find(function (v) { return v.id === event.version_id; });
      item.appendChild(element("span", null, event.actor_name + " " + event.action_label + (version ? "（第 " + version.number + " 版）" : "")));
      if (event.comment) item.appendChild(element("span", "event__note", "：" + event.comment));
      item.appendChild(element("time", "event__time", formatTime(event.created_at)));
      list.appendChild(item);
    });
  }

  session.start();
})();
