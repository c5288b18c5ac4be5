// kubechat widgets: command card, chat panel, live table. Plain ES module, no build step.
//
// Approve / Reject / Stop go from this page to the kubechat server's *browser* route, with the
// page's login cookie and the _xsrf cookie echoed in X-XSRFToken (as JupyterLab's own
// ServerConnection does), so code running in the kernel cannot approve by itself. Where the
// page has no route to the server (VS Code's webview has no jupyter-config-data), the card
// says how to approve elsewhere.

function pageRoute() {
  const node = document.getElementById("jupyter-config-data");
  if (!node) return null;
  try {
    const config = JSON.parse(node.textContent || "{}");
    let base = config.baseUrl || "/";
    if (!base.endsWith("/")) base += "/";
    return base + "kubechat/api/";
  } catch (err) {
    return null;
  }
}

function xsrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function callServer(method, path, body) {
  const root = pageRoute();
  if (root === null) {
    return { ok: false, status: 0, data: { message: "no browser route to the kubechat server here" } };
  }
  const response = await fetch(root + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-XSRFToken": xsrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = { message: `HTTP ${response.status}` };
  }
  return { ok: response.ok, status: response.status, data };
}

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const STATE_TEXT = {
  proposed: "waiting for approval",
  approved: "approved",
  executing: "running",
  executed: "done",
  rejected: "rejected",
  failed: "failed",
  expired: "expired",
  refused: "forbidden: never runs",
};

// One command card. `actions.approved(id)` / `actions.rejected(id)` run after the server said yes.
function renderCard(card, state, message, result, actions) {
  const level = card.level || "unknown";
  const root = h("div", { class: `kc-card kc-level-${level}`, "data-testid": "kc-card",
                          "data-state": state, "data-level": level });
  if (card.question) root.append(h("div", { class: "kc-question" }, card.question));
  root.append(h("div", { class: "kc-head" },
    h("span", { class: `kc-badge kc-badge-${level}`, "data-testid": "kc-level" }, level),
    h("code", { class: "kc-command", "data-testid": "kc-command" }, card.command),
    h("span", { class: `kc-state kc-state-${state}`, "data-testid": "kc-state" },
      STATE_TEXT[state] || state)));
  root.append(h("div", { class: "kc-context" }, `context: ${card.context || "(default)"}`));
  if (card.manifest) {
    root.append(h("details", { class: "kc-manifest", open: "" },
      h("summary", {}, "the manifest -f - sends"),
      h("pre", { "data-testid": "kc-manifest" }, card.manifest)));
  }
  if (card.explanation) root.append(h("div", { class: "kc-explanation" }, card.explanation));
  if ((card.reasons || []).length) {
    root.append(h("ul", { class: "kc-reasons" }, card.reasons.map((r) => h("li", {}, r))));
  }
  if ((card.assumptions || []).length) {
    root.append(h("div", { class: "kc-assumptions" }, "Assumed: ", card.assumptions.join("; ")));
  }
  if (card.diff) root.append(h("pre", { class: "kc-diff", "data-testid": "kc-diff" }, card.diff));
  if (card.preview_error) root.append(h("div", { class: "kc-warn" }, `dry run: ${card.preview_error}`));
  const status = h("div", { class: "kc-message", "data-testid": "kc-message" }, message || "");
  const error = h("div", { class: "kc-error", "data-testid": "kc-error" });
  if (state === "proposed" && (level === "warning" || level === "dangerous")) {
    if (pageRoute() === null) {
      root.append(h("div", { class: "kc-elsewhere", "data-testid": "kc-elsewhere" },
        "This view cannot reach the kubechat server (VS Code and other front ends without a ",
        "Jupyter page). Approve proposal ", h("code", {}, card.id), " in JupyterLab or ",
        "Notebook 7 on this server (this card or the kubechat side panel)",
        level === "warning" ? ", or re-run with --approve where the kernel's capability has the approve:warning scope." : "; a kernel can never approve a dangerous command."));
    } else {
      root.append(approvalRow(card, level, status, error, actions));
    }
  } else if (card.hint && state === "proposed") {
    root.append(h("div", { class: "kc-hint" }, card.hint));
  }
  root.append(status, error);
  if (result && result.kind) {
    root.append(h("div", { class: "kc-result", "data-testid": "kc-result" },
      `${result.kind}: ${result.rows} rows` + (result.columns && result.columns.length ?
        ` × ${result.columns.length} columns (${result.columns.slice(0, 6).join(", ")}` +
        (result.columns.length > 6 ? ", …)" : ")") : "")));
  }
  return root;
}

// A refusal's choices: one button per reading the server made explicit and judged. A click
// calls `onPick(index)`, which proposes that command like a typed one (never runs it here).
function renderChoices(question, explanation, choices, picked, onPick) {
  const root = h("div", { class: "kc-card kc-choices", "data-testid": "kc-choices" });
  if (question) root.append(h("div", { class: "kc-question" }, question));
  if (explanation) root.append(h("div", { class: "kc-explanation" }, explanation));
  const list = h("div", { class: "kc-choice-list" });
  const error = h("div", { class: "kc-error", "data-testid": "kc-error" });
  const buttons = choices.map((choice, index) => {
    const level = choice.level || "unknown";
    const button = h("button", { type: "button", class: `kc-choice kc-level-${level}`,
                                 "data-testid": "kc-choice", "data-level": level,
                                 "data-command": choice.command,
                                 title: (choice.reasons || []).join("; ") },
      h("span", { class: `kc-badge kc-badge-${level}` }, level),
      h("code", { class: "kc-command" }, choice.display || choice.command),
      choice.why ? h("span", { class: "kc-why" }, choice.why) : null);
    if (picked !== null && picked !== undefined) button.disabled = true;
    if (picked === index) button.classList.add("kc-picked");
    button.addEventListener("click", async () => {
      buttons.forEach((b) => { b.disabled = true; });
      error.textContent = "";
      const reply = await onPick(index);
      if (reply && reply.error) {
        error.textContent = reply.error;
        buttons.forEach((b) => { b.disabled = false; });
      }
    });
    return button;
  });
  list.append(...buttons);
  root.append(h("div", { class: "kc-hint" }, "Did you mean (a click proposes it; nothing runs ",
                "without the usual approval):"), list, error);
  return root;
}

function approvalRow(card, level, status, error, actions) {
  const row = h("div", { class: "kc-actions" });
  // Approved only on the approval page (another origin, its own sign-in): a link opens it.
  const onPage = level === "dangerous" || card.approval_page;
  if (onPage) {
    row.append(h("a", { class: "kc-approval-page", "data-testid": "kc-approval-page",
                        href: `${pageRoute()}proposals/${card.id}/approval-page`,
                        target: "_blank", rel: "noopener noreferrer" },
                 "Approve on the approval page"));
  }
  const approve = h("button", { class: "kc-approve", "data-testid": "kc-approve", type: "button" },
                    level === "dangerous" ? "Approve dangerous command" : "Approve");
  const reject = h("button", { class: "kc-reject", "data-testid": "kc-reject", type: "button" },
                   "Reject");
  const busy = (on) => { approve.disabled = on; reject.disabled = on; };
  // One decision: POST it to the browser route; on success drop the buttons and tell the view.
  const decide = async (verb, body, done, after) => {
    error.textContent = "";
    busy(true);
    const reply = await callServer("POST", `proposals/${card.id}/${verb}`, body);
    if (reply.ok) {
      status.textContent = done;
      row.remove();
      if (after) after(card.id);
    } else {
      error.textContent = (reply.data && reply.data.message) || `HTTP ${reply.status}`;
      busy(false);
    }
  };
  approve.addEventListener("click", () => decide("approve", {},
    "approved here; the kernel runs it now", actions && actions.approved));
  reject.addEventListener("click", () => decide("reject", { reason: "rejected on the card" },
    "rejected here", actions && actions.rejected));
  row.append(...(onPage ? [reject] : [approve, reject]));
  return row;
}

function renderPreview(item, experimental, note) {
  const box = h("div", { class: "kc-preview", "data-testid": "kc-preview" });
  const p = item.preview;
  if (p) {
    box.append(h("div", { class: "kc-shape" }, `${p.kind}: ${p.shape[0]} rows × ${p.shape[1]} columns`));
    box.append(h("table", { class: "kc-table" },
      h("thead", {}, h("tr", {}, p.columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, p.rows.map((r) => h("tr", {}, r.map((v) => h("td", {}, v)))))));
    if (p.chart) box.append(barChart(p.chart));
    const name = h("input", { class: "kc-keep-name", type: "text", placeholder: "variable name",
                              "data-testid": "kc-keep-name" });
    const keep = h("button", { type: "button", class: "kc-keep", "data-testid": "kc-keep" },
                   "Keep as variable");
    keep.addEventListener("click", async () => {
      const [reply] = await experimental.invoke("keep", { id: item.id, name: name.value });
      note.textContent = reply.error ? reply.error : `kept as ${reply.name}`;
    });
    box.append(h("div", { class: "kc-keep-row" }, name, keep));
  }
  if (item.text) box.append(h("pre", { class: "kc-text" }, item.text));
  return box;
}

function barChart(chart) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 420, bar = 16, gap = 4, labelWidth = 180;
  const max = Math.max(1, ...chart.bars.map((b) => b[1]));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(chart.bars.length * (bar + gap) + 20));
  svg.setAttribute("data-testid", "kc-chart");
  chart.bars.forEach(([label, value], i) => {
    const y = i * (bar + gap);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", "0"); text.setAttribute("y", String(y + bar - 4));
    text.textContent = label.length > 26 ? label.slice(0, 25) + "…" : label;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", String(labelWidth)); rect.setAttribute("y", String(y));
    rect.setAttribute("height", String(bar));
    rect.setAttribute("width", String(Math.max(1, ((width - labelWidth - 50) * value) / max)));
    rect.setAttribute("class", "kc-bar");
    const num = document.createElementNS(ns, "text");
    num.setAttribute("x", String(labelWidth + ((width - labelWidth - 50) * value) / max + 4));
    num.setAttribute("y", String(y + bar - 4));
    num.textContent = String(value);
    svg.append(text, rect, num);
  });
  const caption = h("div", { class: "kc-chart-caption" }, chart.label);
  return h("div", { class: "kc-chart" }, caption, svg);
}

function renderCardView({ model, el, experimental }) {
  // A card of choices becomes the card of the proposal picked here; once approved on this
  // card, the kernel runs it (a %kubechat card's own proposal is run by the waiting kernel).
  let picked = false;
  const pick = async (index) => {
    picked = true;
    const [reply] = await experimental.invoke("pick", { index });
    return reply;
  };
  const actions = { approved: async (id) => { if (picked) await experimental.invoke("execute", { id }); } };
  const draw = () => {
    const card = model.get("card");
    const choices = model.get("choices") || [];
    if (choices.length) {
      el.replaceChildren(renderChoices(card.question, card.explanation, choices, null, pick));
      return;
    }
    el.replaceChildren(renderCard(card, model.get("state"), model.get("message"),
                                  model.get("result"), picked ? actions : {}));
  };
  draw();
  for (const name of ["card", "state", "result", "choices"]) model.on(`change:${name}`, draw);
  // The kernel ticks the message while it waits ("waiting for approval… 12 s"): update it in
  // place, so a name half typed on a dangerous card keeps its text and focus.
  model.on("change:message", () => {
    const status = el.querySelector("[data-testid=kc-message]");
    if (status) status.textContent = model.get("message") || "";
    else draw();
  });
}

function renderChatView({ model, el, experimental }) {
  const history = h("div", { class: "kc-history", "data-testid": "kc-history" });
  const note = h("div", { class: "kc-note", "data-testid": "kc-note" });
  const input = h("input", { class: "kc-input", type: "text", "data-testid": "kc-input",
                             placeholder: "Ask about your cluster, then Enter" });
  const send = async () => {
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    input.disabled = true;
    note.textContent = "thinking…";
    try {
      const [reply] = await experimental.invoke("ask", { question });
      note.textContent = reply && reply.error ? reply.error : "";
    } finally {
      input.disabled = false;
      input.focus();
    }
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
  const actions = {
    approved: async (id) => { note.textContent = "running…"; const [r] = await experimental.invoke("execute", { id }); note.textContent = r && r.error ? r.error : ""; },
    rejected: async (id) => { await experimental.invoke("refresh", { id }); },
  };
  const draw = () => {
    history.replaceChildren(...model.get("messages").map((item, at) => {
      if (item.role === "user") return h("div", { class: "kc-user" }, item.text);
      if (item.role === "choices") {
        return renderChoices(null, item.explanation, item.choices, item.picked, async (index) => {
          const [reply] = await experimental.invoke("pick", { at, index });
          return reply;
        });
      }
      if (item.role === "error") return h("div", { class: "kc-error" }, item.text);
      if (item.role === "card") return renderCard(item.card, item.state, item.message, null, actions);
      if (item.role === "result") return renderPreview(item, experimental, note);
      return h("div", {}, JSON.stringify(item));
    }));
    history.scrollTop = history.scrollHeight;
  };
  draw();
  model.on("change:messages", draw);
  el.replaceChildren(h("div", { class: "kc-chat", "data-testid": "kc-chat" }, history, note, input));
}

function renderLiveView({ model, el }) {
  const draw = () => {
    const columns = model.get("columns"), rows = model.get("rows");
    const status = model.get("status");
    const stop = h("button", { type: "button", class: "kc-stop", "data-testid": "kc-stop" }, "Stop");
    const error = h("span", { class: "kc-error" });
    stop.addEventListener("click", async () => {
      stop.disabled = true;
      const reply = await callServer("DELETE", `proposals/${model.get("proposal_id")}/watch`);
      if (!reply.ok) { error.textContent = reply.data.message; stop.disabled = false; }
    });
    const live = status === "watching" || status === "starting";
    const head = h("div", { class: "kc-live-head" },
      h("code", {}, model.get("command")),
      h("span", { "data-testid": "kc-live-status" },
        ` ${status} · ${model.get("total")} rows · ${model.get("events")} changes · ${model.get("elapsed").toFixed(1)} s`),
      model.get("last") ? h("span", { class: "kc-last" }, ` · last: ${model.get("last")}`) : null,
      live && pageRoute() !== null ? stop : null,
      live && pageRoute() === null ? h("span", { class: "kc-hint" }, " interrupt the kernel to stop") : null,
      error);
    const table = h("table", { class: "kc-table" },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((v) => h("td", {}, v === null ? "" : String(v)))))));
    el.replaceChildren(h("div", { class: "kc-live", "data-testid": "kc-live" }, head, table));
  };
  draw();
  for (const name of ["columns", "rows", "status", "events", "elapsed", "total", "last"]) {
    model.on(`change:${name}`, draw);
  }
}

function render(context) {
  const view = context.model.get("view");
  if (view === "chat") return renderChatView(context);
  if (view === "live") return renderLiveView(context);
  return renderCardView(context);
}

export default { render };
