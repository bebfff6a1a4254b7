// nbauth LoginWidget front-end (anywidget ES module; no build step).
//
// Secrets never touch model state: what is typed (password, codes, pasted addresses) goes to
// the kernel with model.send(); what the kernel shows on purpose (a device code and its link,
// the sign-in URL, the TOTP key and QR) arrives as a custom message, lives in `secrets` below
// and in the DOM only while its step lasts ("clear" removes it). Synced traits carry only the
// public view: view, busy, providers_shown, provider, status, warnings, notice, error, step,
// redirect, settings.
//
// Truthful state: the widget says "Not connected to a running kernel" until the kernel answers
// our hello (or sends a heartbeat) and whenever heartbeats stop; it never says "Signed in" then.

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);
const CONNECT_GRACE_MS = 2500;

function isLocalBrowser() {
  const host = window.location.hostname;
  return LOOPBACK.has(host) || host.endsWith(".localhost");
}

function isWebUrl(value) {
  if (typeof value !== "string" || value.trim() !== value) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
  } catch (_e) {
    return false;
  }
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

let uid = 0;
function nextId(prefix) {
  uid += 1;
  return `nbauth-${prefix}-${uid}-${Math.random().toString(36).slice(2, 7)}`;
}

// h("button", {class: "x", onclick: fn}, "text", child, ...)
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "testid") node.setAttribute("data-testid", value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  if (tag === "form") node.addEventListener("keydown", submitOnEnter);
  return node;
}

// Enter in a field submits its form. Browsers do that by themselves ("implicit submission"),
// but not inside a JupyterLab output (Notebook 7 does): so do it here, and keep the notebook's
// own Enter shortcuts (edit mode, run cell) out of it.
function submitOnEnter(event) {
  if (event.key !== "Enter" || event.isComposing || event.shiftKey || event.altKey) return;
  if (!(event.target instanceof HTMLInputElement)) return;
  event.preventDefault();
  event.stopPropagation();
  const form = event.currentTarget;
  if (typeof form.requestSubmit === "function") form.requestSubmit();
  else form.dispatchEvent(new Event("submit", { cancelable: true }));
}

function field(labelText, input) {
  const id = input.id || nextId("input");
  input.id = id;
  return h("div", { class: "nbauth-field" }, h("label", { for: id }, labelText), input);
}

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).catch(() => fallbackCopy(text));
  }
  return Promise.resolve(fallbackCopy(text));
}

function fallbackCopy(text) {
  const area = h("textarea", { readonly: true, "aria-hidden": "true", class: "nbauth-offscreen" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_e) {
    ok = false;
  }
  area.remove();
  if (!ok) throw new Error("copy failed");
}

function svgNode(markup) {
  // The QR code comes from the kernel (segno); parsed as SVG, never run as HTML.
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const svg = doc.documentElement;
  if (!svg || svg.nodeName.toLowerCase() !== "svg") return null;
  svg.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "QR code for your authenticator app");
  return document.importNode(svg, true);
}

function render({ model, el }) {
  const secrets = {}; // kind -> message: device, redirect, totp (memory only)
  const started = Date.now();
  let lastBeat = 0;
  let panelKey = null;
  let panel = null; // {node, focus(), onError()}
  // "focus" or "onError": called on the current panel once its inputs are enabled again (a
  // disabled field can't take focus, and a redraw replaces the fields a request was made for)
  let focusWanted = null;
  let interacted = false; // focus moves only after the person used the widget
  let pendingTab = null; // the tab opened from the click that started a sign-in
  let tabOpened = false;
  let errorSeq = null;
  let showDetails = false;

  const get = (name) => model.get(name) || {};
  const send = (content) => {
    interacted = true;
    model.send(content);
  };

  const heading = h("div", { class: "nbauth-heading", role: "heading", "aria-level": "3", testid: "heading" });
  const lost = h(
    "div",
    { class: "nbauth-lost", testid: "kernel-lost", role: "status" },
    "Not connected to a running kernel — run the cell again.",
  );
  const connecting = h("div", { class: "nbauth-muted" }, "Connecting to the kernel…");
  const statusLine = h("div", { class: "nbauth-status", testid: "status" });
  const errorBox = h("div", { class: "nbauth-error", testid: "error" });
  const live = h("div", { class: "nbauth-live", "aria-live": "polite" }, statusLine, errorBox);
  const body = h("div", { class: "nbauth-body" });
  const root = h("div", { class: "nbauth-login", testid: "nbauth-login" }, heading, lost, connecting, body, live);
  el.append(root);

  function connected() {
    const period = 1000 * (Number(get("settings").heartbeat_seconds) || 3);
    return lastBeat > 0 && Date.now() - lastBeat < Math.max(2.5 * period, 7000);
  }

  function closeTab() {
    if (pendingTab && !pendingTab.closed) pendingTab.close();
    pendingTab = null;
  }

  function openBlankTab() {
    tabOpened = false;
    closeTab();
    if (!get("settings").open_browser) return;
    pendingTab = window.open("about:blank", "_blank");
    if (pendingTab) {
      try {
        pendingTab.document.title = "Opening the sign-in page…";
      } catch (_e) {
        /* ignore */
      }
    }
  }

  function pointTab(url) {
    if (!pendingTab || pendingTab.closed || !isWebUrl(url)) return false;
    try {
      pendingTab.opener = null;
      pendingTab.location.href = url;
    } catch (_e) {
      return false;
    }
    pendingTab = null;
    return true;
  }

  function button(label, testid, onclick, extra) {
    return h("button", { type: "button", class: "nbauth-btn", testid, onclick, ...(extra || {}) }, label);
  }

  function actions(...buttons) {
    return h("div", { class: "nbauth-actions" }, buttons);
  }

  // -- panels -----------------------------------------------------------------------------

  function providerOf() {
    const shown = model.get("providers_shown") || [];
    return shown.find((p) => p.key === model.get("provider")) || shown[0] || { kind: "oidc", label: "" };
  }

  function signInPanel() {
    const shown = model.get("providers_shown") || [];
    const option = providerOf();
    const parts = [];
    if (shown.length > 1) {
      const select = h(
        "select",
        { testid: "provider-picker", onchange: () => send({ type: "select", provider: select.value }) },
        shown.map((p) => h("option", { value: p.key, selected: p.key === option.key }, p.label)),
      );
      parts.push(field("Sign in with", select));
    }
    let first = null;
    let password = null;
    if (option.kind === "user_pool") {
      const username = h("input", { type: "text", testid: "username", autocomplete: "username", spellcheck: "false" });
      password = h("input", { type: "password", testid: "password", autocomplete: "current-password" });
      const form = h(
        "form",
        {
          class: "nbauth-form",
          onsubmit: (event) => {
            event.preventDefault();
            send({ type: "sign_in", username: username.value, password: password.value });
            password.value = ""; // kept nowhere once sent
          },
        },
        field("Username", username),
        field("Password", password),
        actions(h("button", { type: "submit", class: "nbauth-btn nbauth-primary", testid: "submit" }, "Sign in")),
      );
      parts.push(form);
      first = username;
    } else {
      const oauthLabel = option.kind === "oidc" ? "Sign in with browser" : `Continue with ${option.label}`;
      const startOauth = (mode) => {
        openBlankTab();
        send({ type: "start_oauth", local: isLocalBrowser(), ...(mode ? { mode } : {}) });
      };
      const buttons = [];
      if (option.kind === "oidc") {
        buttons.push(
          button("Sign in with device code", "device-button", () => {
            tabOpened = false;
            closeTab();
            if (get("settings").open_browser && isLocalBrowser()) openBlankTab();
            send({ type: "start_device" });
          }, { class: "nbauth-btn nbauth-primary" }),
        );
      }
      buttons.push(button(oauthLabel, "oauth-button", () => startOauth(null)));
      if (get("settings").jupyter) {
        buttons.push(button("Sign in through Jupyter", "jupyter-button", () => startOauth("jupyter")));
      }
      parts.push(actions(...buttons));
      first = buttons[0];
    }
    return {
      node: h("div", { class: "nbauth-panel" }, parts),
      focus: () => first && first.focus(),
      onError: () => {
        if (password) {
          password.value = "";
          password.focus();
        }
      },
    };
  }

  function devicePanel() {
    const device = secrets.device;
    if (!device) {
      return { node: h("div", { class: "nbauth-panel nbauth-muted" }, "Loading the sign-in code…") };
    }
    const link = device.link
      ? h("a", { href: device.link, target: "_blank", rel: "noopener noreferrer", testid: "device-link" }, device.link)
      : h("span", { testid: "device-link", class: "nbauth-unsafe" }, `${device.link_text} (not an http(s) address)`);
    const copy = button("Copy code", "copy-code", () => {
      copyText(device.user_code).then(
        () => flash(copy, "Copied"),
        () => flash(copy, "Copy failed: select the code"),
      );
    });
    const open = button("Open sign-in page", "open-page", () => {
      if (device.link) window.open(device.link, "_blank", "noopener,noreferrer");
    }, { disabled: !device.link });
    const countdown = h("div", { class: "nbauth-muted", testid: "countdown" });
    const tick = () => {
      const left = device.expires_at - Date.now() / 1000;
      countdown.textContent = left > 0 ? `The code expires in ${clock(left)}.` : "The code has expired.";
    };
    tick();
    const intro = tabOpened
      ? "The sign-in page opened in a new tab. Check that it shows this code, then approve:"
      : "Open this page and enter the code:";
    return {
      node: h(
        "div",
        { class: "nbauth-panel" },
        h("div", { class: "nbauth-text" }, intro),
        h("div", { class: "nbauth-text" }, link),
        h("div", { class: "nbauth-code", testid: "device-code" }, device.user_code),
        actions(copy, open, button("Cancel", "cancel", () => send({ type: "cancel" }))),
        countdown,
      ),
      focus: () => copy.focus(),
      tick,
    };
  }

  function browserPanel() {
    const redirect = get("redirect");
    const url = secrets.redirect && secrets.redirect.url;
    const parts = [];
    const again = url
      ? h(
          "a",
          { href: url, target: "_blank", rel: "noopener noreferrer", testid: "oauth-open-again" },
          tabOpened ? "Open it again" : "Open the sign-in page",
        )
      : null;
    parts.push(
      h(
        "div",
        { class: "nbauth-text" },
        tabOpened ? "Finish signing in in the tab that opened. " : "Sign in on the identity provider's page. ",
        again,
      ),
    );
    let input = null;
    if (redirect.paste) {
      input = h("input", { type: "text", testid: "paste-input", autocomplete: "off", spellcheck: "false" });
      parts.push(
        h(
          "div",
          { class: "nbauth-text nbauth-muted" },
          "Your browser then ends on a page that may not load. Copy that page's address and paste it here:",
        ),
        h(
          "form",
          {
            class: "nbauth-form",
            onsubmit: (event) => {
              event.preventDefault();
              send({ type: "paste", url: input.value });
              input.value = "";
            },
          },
          field("Address the browser ended on", input),
          actions(h("button", { type: "submit", class: "nbauth-btn nbauth-primary", testid: "paste-submit" }, "Finish sign-in")),
        ),
      );
    } else {
      parts.push(h("div", { class: "nbauth-text nbauth-muted" }, "This widget continues by itself when you are done."));
    }
    parts.push(actions(button("Cancel", "cancel", () => send({ type: "cancel" }))));
    return {
      node: h("div", { class: "nbauth-panel" }, parts),
      focus: () => (input || again) && (input || again).focus(),
      onError: () => input && input.focus(),
    };
  }

  function challengePanel() {
    const step = get("step");
    const parts = [h("div", { class: "nbauth-text" }, step.prompt || "One more step.")];
    if (step.detail) parts.push(h("div", { class: "nbauth-text nbauth-muted" }, step.detail));
    if (step.totp_setup && secrets.totp) {
      const qr = h("div", { class: "nbauth-qr", testid: "totp-qr" });
      const svg = svgNode(secrets.totp.qr_svg);
      if (svg) qr.append(svg);
      const key = h("code", { class: "nbauth-key", testid: "totp-key", hidden: true }, secrets.totp.secret);
      const show = button("Show key", "totp-show-key", () => {
        key.hidden = !key.hidden;
        show.textContent = key.hidden ? "Show key" : "Hide key";
        show.setAttribute("aria-expanded", String(!key.hidden));
      }, { "aria-expanded": "false" });
      parts.push(h("div", { class: "nbauth-totp" }, qr, h("div", {}, show, key)));
    }
    let input;
    if (step.input === "choice") {
      input = h("select", { testid: "code-input" }, (step.choices || []).map((c) => h("option", { value: c }, c)));
    } else if (step.name === "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED") {
      input = h("input", { type: "password", testid: "new-password", autocomplete: "new-password" });
    } else if (step.input === "code") {
      input = h("input", {
        type: "text", testid: "code-input", inputmode: "numeric", autocomplete: "one-time-code", spellcheck: "false",
      });
    } else {
      input = h("input", { type: "password", testid: "code-input", autocomplete: "off" });
    }
    parts.push(
      h(
        "form",
        {
          class: "nbauth-form",
          onsubmit: (event) => {
            event.preventDefault();
            send({ type: "confirm", answer: input.value });
            if (input.tagName !== "SELECT") input.value = "";
          },
        },
        field(step.label || "Answer", input),
        actions(
          h("button", { type: "submit", class: "nbauth-btn nbauth-primary", testid: "code-submit" }, "Continue"),
          button("Cancel", "cancel", () => send({ type: "cancel" })),
        ),
      ),
    );
    return {
      node: h("div", { class: "nbauth-panel" }, parts),
      focus: () => input.focus(),
      onError: () => {
        if (input.tagName !== "SELECT") input.value = "";
        input.focus();
      },
    };
  }

  function accountPanel() {
    const status = get("status");
    const countdown = h("div", { class: "nbauth-muted", testid: "countdown" });
    const tick = () => {
      const expires = status.credentials_expire_at;
      countdown.textContent = expires
        ? `AWS credentials valid for ${clock(expires - Date.now() / 1000)} (they refresh by themselves).`
        : "AWS credentials: fetched on first use.";
    };
    tick();
    const warnings = (model.get("warnings") || []).map((w) => h("div", { class: "nbauth-warn" }, w));
    const signOut = button(status.state === "federated" ? "Clear federation" : "Sign out", "sign-out", () =>
      send({ type: "sign_out" }),
    );
    return {
      node: h("div", { class: "nbauth-panel" }, countdown, warnings, actions(signOut)),
      focus: () => signOut.focus(),
      tick,
    };
  }

  // -- drawing ------------------------------------------------------------------------------

  function flash(node, text) {
    const before = node.textContent;
    node.textContent = text;
    setTimeout(() => (node.textContent = before), 2000);
  }

  function currentKey() {
    const view = model.get("view");
    const step = get("step");
    return JSON.stringify([
      view, providerOf().key, (model.get("providers_shown") || []).length, get("settings").jupyter,
      step.name, get("redirect").paste, Object.keys(secrets).sort(), get("status").state,
      (model.get("warnings") || []).length, get("status").credentials_expire_at,
    ]);
  }

  function drawPanel(force) {
    const key = currentKey();
    if (!force && key === panelKey) return;
    const changedView = panelKey === null || JSON.parse(panelKey)[0] !== model.get("view");
    panelKey = key;
    const view = model.get("view");
    const make =
      { device: devicePanel, browser: browserPanel, challenge: challengePanel, signed_in: accountPanel }[view] ||
      signInPanel;
    // A redraw of the same step (e.g. the TOTP key and QR arriving) keeps focus in the step:
    // a focus request for the replaced panel, or focus inside it, moves to the new one.
    const hadFocus = body.contains(document.activeElement);
    panel = make();
    body.replaceChildren(panel.node);
    if (interacted && !focusWanted && (changedView || hadFocus)) focusWanted = "focus";
  }

  function drawStatus() {
    const view = model.get("view");
    const status = get("status");
    const notice = get("notice");
    const ok = connected();
    heading.textContent = ok && view === "signed_in" ? "Signed in" : "Sign in";
    let text = notice.text || "";
    if (ok && view === "signed_in") {
      const who = status.username ? ` as ${status.username}` : "";
      const where = status.provider ? ` (${status.provider})` : "";
      text = status.state === "federated" ? "Federated to the identity pool" : `Signed in${who}${where}`;
    }
    statusLine.textContent = ok ? text : "";
    statusLine.className = `nbauth-status nbauth-${notice.kind || "muted"}`;
  }

  function drawError() {
    const error = get("error");
    errorBox.replaceChildren();
    if (!error.title || !connected()) return;
    const parts = [h("div", { class: "nbauth-error-title" }, error.title)];
    if (error.advice) parts.push(h("div", { class: "nbauth-text" }, error.advice));
    if (error.details) {
      const detailsId = nextId("details");
      const toggle = button(showDetails ? "Hide details" : "Details", "error-details", () => {
        showDetails = !showDetails;
        drawError();
      }, { class: "nbauth-link-btn", "aria-expanded": String(showDetails), "aria-controls": detailsId });
      parts.push(toggle);
      if (showDetails) parts.push(h("pre", { class: "nbauth-details", id: detailsId }, error.details));
    }
    errorBox.append(...parts);
    if (error.seq !== errorSeq) {
      errorSeq = error.seq;
      showDetails = false;
      if (pendingTab) closeTab(); // the sign-in never started: no blank tab left behind
      if (interacted && panel && panel.onError) focusWanted = "onError";
    }
  }

  function drawBusy() {
    const disabled = !connected() || Boolean(model.get("busy"));
    body.querySelectorAll("button, input, select").forEach((node) => {
      if (node.dataset.testid === "open-page" && secrets.device && !secrets.device.link) return;
      if (node.dataset.testid === "cancel" && connected()) node.disabled = false;
      else node.disabled = disabled;
    });
    root.setAttribute("aria-busy", String(Boolean(model.get("busy"))));
  }

  function drawConnection() {
    const ok = connected();
    const waiting = !ok && lastBeat === 0 && Date.now() - started < CONNECT_GRACE_MS;
    lost.hidden = ok || waiting;
    connecting.hidden = !waiting;
    body.hidden = !ok;
    live.hidden = !ok;
  }

  function draw(force) {
    drawConnection();
    drawPanel(force);
    drawStatus();
    drawError();
    drawBusy();
    if (focusWanted && panel && connected() && !model.get("busy")) {
      const method = panel[focusWanted] || panel.focus;
      focusWanted = null;
      if (method) method();
    }
  }

  // -- the kernel -----------------------------------------------------------------------------

  function onMessage(message) {
    if (!message || typeof message !== "object") return;
    const type = message.type;
    if (type === "ack" || type === "heartbeat") {
      const wasConnected = connected();
      lastBeat = Date.now();
      if (!wasConnected) draw(true);
      return;
    }
    if (type === "device") {
      secrets.device = message;
      if (pointTab(message.link)) tabOpened = true;
    } else if (type === "redirect") {
      secrets.redirect = message;
      if (pointTab(message.url)) tabOpened = true;
      else if (pendingTab) closeTab();
    } else if (type === "totp") {
      secrets.totp = message;
    } else if (type === "clear") {
      delete secrets[message.what]; // and the panel showing it is redrawn without it
      if (message.what === "device" || message.what === "redirect") tabOpened = false;
    } else {
      return;
    }
    draw(true);
  }

  const onChange = () => draw(false);
  const names = ["view", "busy", "providers_shown", "provider", "status", "warnings", "notice", "error", "step", "redirect", "settings"];
  names.forEach((name) => model.on(`change:${name}`, onChange));
  model.on("msg:custom", onMessage);
  root.addEventListener("keydown", () => (interacted = true));

  const timer = setInterval(() => {
    const before = !lost.hidden || !connecting.hidden;
    drawConnection();
    const after = !lost.hidden || !connecting.hidden;
    if (before !== after) draw(true);
    if (panel && panel.tick) panel.tick();
    drawStatus();
  }, 500);

  draw(true);
  model.send({ type: "hello", local: isLocalBrowser() });

  return () => {
    clearInterval(timer);
    names.forEach((name) => model.off(`change:${name}`, onChange));
    model.off("msg:custom", onMessage);
    for (const key of Object.keys(secrets)) delete secrets[key];
    el.replaceChildren();
  };
}

export default { render };
