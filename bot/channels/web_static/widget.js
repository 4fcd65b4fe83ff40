/*
 * Lichtpunt chat widget. Add it to any page with one tag:
 *
 *   <script src="https://example.org/widget.js" data-server="https://example.org/" data-language="auto" defer></script>
 *
 * data-server   where the Lichtpunt web server runs (default: where widget.js comes from)
 * data-language "nl", "en" or "auto" (default "auto": the visitor's earlier choice, else the browser language)
 * data-open     "true" opens the chat right away
 *
 * Every bot and user text goes on the page with textContent, never as HTML.
 * The page can also talk to the <lichtpunt-chat> element: open(), close(), setLanguage("en"), startOver(),
 * and listen for its "lichtpunt-language" event.
 */
(() => {
  "use strict";

  const TAG = "lichtpunt-chat";
  if (window.customElements.get(TAG)) return;

  const script = document.currentScript;
  const scriptBase = script && script.src ? new URL(".", script.src).href : `${window.location.origin}/`;
  const KEYS = {
    conversation: "lichtpunt.conversation", // localStorage: the conversation goes on after a reload
    language: "lichtpunt.language", // localStorage
    helplines: "lichtpunt.helplines", // localStorage: the numbers stay visible when the server is down
    transcript: "lichtpunt.transcript", // sessionStorage: gone when the tab closes (shared computers)
    draft: "lichtpunt.draft", // sessionStorage: what the user typed but did not send yet
    inbox: "lichtpunt.inbox.", // localStorage + conversation id: the last scheduled message shown (never twice)
  };
  const CONVERSATION_ID = /^[A-Za-z0-9_-]{8,64}$/;
  const MAX_TRANSCRIPT = 80;
  const REQUEST_TIMEOUT_MS = 75000;
  const TIME_ZONE = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
    } catch (error) {
      return undefined;
    }
  })();
  const INBOX_POLL_MS = 20000; // while the chat is open, look for scheduled messages this often

  const STRINGS = {
    nl: {
      launcher: "Praat met Lichtpunt",
      launcherLabel: "Open de chat met Lichtpunt",
      title: "Lichtpunt",
      subtitle: "Een chatbot om even mee te praten",
      close: "Sluit de chat",
      languageGroup: "Taal",
      help: "Hulp nodig?",
      helpHeading: "Je hoeft het niet alleen te doen",
      helpCrisis: "Denk je aan zelfdoding? Bel {name} op {phone} of gratis {free}, of chat via {chat}.",
      helpEmergency: "Direct gevaar? Bel {phone}.",
      helpListening: "Wil je gewoon even praten? Bel {name} op {phone} of kijk op {url}.",
      helpLoading: "De hulplijnen worden geladen…",
      helpUnavailable: "De hulplijnen kunnen nu niet worden geladen. Probeer het zo opnieuw.",
      restart: "Opnieuw beginnen",
      restartLabel: "Opnieuw beginnen met een nieuw gesprek",
      log: "Gesprek met Lichtpunt",
      botSays: "Lichtpunt: ",
      youSay: "Jij: ",
      typing: "Lichtpunt typt…",
      replies: "Kies een antwoord",
      inputLabel: "Je bericht",
      placeholder: "Typ je bericht…",
      send: "Stuur",
      sendLabel: "Verstuur je bericht",
      unsent: "Nog niet verstuurd",
      unreachable: "Lichtpunt is even niet bereikbaar. Je bericht is niet verloren: probeer het zo nog eens.",
      retry: "Opnieuw proberen",
      noAnswer: "Hier heb ik even geen antwoord op. Wil je het anders zeggen? Typ /help om te zien wat ik kan.",
      image: "Afbeelding van Lichtpunt",
      download: "Download je gegevens",
    },
    en: {
      launcher: "Talk to Lichtpunt",
      launcherLabel: "Open the chat with Lichtpunt",
      title: "Lichtpunt",
      subtitle: "A chatbot to talk things over with",
      close: "Close the chat",
      languageGroup: "Language",
      help: "Need help?",
      helpHeading: "You don't have to do this alone",
      helpCrisis: "Thinking about suicide? Call {name} on {phone} or free on {free}, or chat at {chat}.",
      helpEmergency: "In immediate danger? Call {phone}.",
      helpListening: "Just want to talk? Call {name} on {phone} or visit {url}.",
      helpLoading: "Loading the helplines…",
      helpUnavailable: "The helplines can't be loaded right now. Please try again in a moment.",
      restart: "Start over",
      restartLabel: "Start over with a new conversation",
      log: "Conversation with Lichtpunt",
      botSays: "Lichtpunt: ",
      youSay: "You: ",
      typing: "Lichtpunt is typing…",
      replies: "Choose an answer",
      inputLabel: "Your message",
      placeholder: "Type your message…",
      send: "Send",
      sendLabel: "Send your message",
      unsent: "Not sent yet",
      unreachable: "Lichtpunt can't be reached right now. Your message isn't lost: please try again in a moment.",
      retry: "Try again",
      noAnswer: "I don't have an answer to that right now. Could you put it another way? Type /help to see what I can do.",
      image: "Image from Lichtpunt",
      download: "Download your data",
    },
  };

  // ---- small helpers ---------------------------------------------------------------------------

  /** Web storage, or a stand-in that forgets everything when the browser blocks storage. */
  function storage(kind) {
    try {
      const s = window[kind];
      s.setItem("__lichtpunt__", "1");
      s.removeItem("__lichtpunt__");
      return s;
    } catch (error) {
      const memory = new Map();
      return {
        getItem: (key) => (memory.has(key) ? memory.get(key) : null),
        setItem: (key, value) => memory.set(key, String(value)),
        removeItem: (key) => memory.delete(key),
      };
    }
  }
  const local = storage("localStorage");
  const session = storage("sessionStorage");

  function save(store, key, value) {
    try {
      if (value === null || value === undefined || value === "") store.removeItem(key);
      else store.setItem(key, value);
    } catch (error) {
      /* storage full: the widget keeps working without it */
    }
  }
  function loadJSON(store, key) {
    try {
      return JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function newConversationId() {
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function languageOf(value) {
    const code = String(value || "").toLowerCase().replace("_", "-").split("-")[0];
    return code === "nl" || code === "en" ? code : null;
  }

  /** Build an element: attributes via setAttribute, children are nodes or plain strings (text nodes). */
  function h(tag, attrs = {}, children = []) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) el.append(typeof child === "string" ? document.createTextNode(child) : child);
    return el;
  }

  const phoneHref = (phone) => `tel:${String(phone).replace(/[^0-9+]/g, "")}`;

  function webHref(url) {
    const value = String(url).trim();
    if (/^https:\/\//i.test(value)) return value;
    if (/^[a-z0-9.-]+\.[a-z]{2,}(\/\S*)?$/i.test(value)) return `https://${value}`;
    return null;
  }

  /** A paragraph from a template like "Call {name} on {phone}": phone numbers and sites become links. */
  function sentence(template, parts) {
    const p = h("p");
    for (const piece of template.split(/(\{[a-z]+\})/)) {
      const match = /^\{([a-z]+)\}$/.exec(piece);
      if (!match) {
        if (piece) p.append(document.createTextNode(piece));
        continue;
      }
      const part = parts[match[1]] || { text: "" };
      const text = String(part.text);
      const href = part.phone ? phoneHref(text) : part.web ? webHref(text) : null;
      if (!href) {
        p.append(document.createTextNode(text));
        continue;
      }
      const link = h("a", part.web ? { href, target: "_blank", rel: "noopener noreferrer" } : { href });
      link.textContent = text;
      p.append(link);
    }
    return p;
  }

  // ---- the widget ------------------------------------------------------------------------------

  class LichtpuntChat extends HTMLElement {
    connectedCallback() {
      if (this.ui) return;
      this.base = new URL(this.getAttribute("data-server") || scriptBase, window.location.href).href.replace(/\/?$/, "/");
      this.lang =
        languageOf(local.getItem(KEYS.language)) ||
        languageOf(this.getAttribute("data-language")) ||
        languageOf(navigator.language) ||
        "nl";
      this.conversationId = local.getItem(KEYS.conversation);
      if (!CONVERSATION_ID.test(this.conversationId || "")) {
        this.conversationId = newConversationId();
        save(local, KEYS.conversation, this.conversationId);
      }
      const transcript = loadJSON(session, KEYS.transcript);
      this.transcript = Array.isArray(transcript) ? transcript : [];
      this.outbox = []; // requests waiting to be delivered, oldest first
      this.sending = false;
      this.helplines = loadJSON(local, KEYS.helplines);
      this.helplinesFailed = false;
      this.build();
      this.restore();
      this.applyLanguage();
      this.loadHelplines();
      if (this.getAttribute("data-open") === "true") this.open();
    }

    t(key) {
      return STRINGS[this.lang][key];
    }

    build() {
      const root = this.attachShadow({ mode: "open" });
      const ui = (this.ui = {});
      const css = h("link", { rel: "stylesheet", href: `${this.base}widget.css` });
      ui.wrapper = h("div", { class: "lp-root", "data-loading": "true" });
      // Stay invisible until the stylesheet is there, so the page never flashes unstyled buttons.
      const shown = () => ui.wrapper.removeAttribute("data-loading");
      css.addEventListener("load", shown);
      css.addEventListener("error", shown);

      ui.launcherText = h("span", { class: "lp-launcher-text" });
      ui.launcher = h("button", { type: "button", class: "lp-launcher", "aria-expanded": "false", "aria-controls": "lp-panel" }, [
        h("span", { class: "lp-light", "aria-hidden": "true" }),
        ui.launcherText,
      ]);
      ui.pill = h("button", { type: "button", class: "lp-help-pill", "aria-controls": "lp-help" });

      ui.title = h("h2", { id: "lp-title", class: "lp-title" });
      ui.subtitle = h("p", { class: "lp-subtitle" });
      ui.langNl = h("button", { type: "button", class: "lp-lang-button", lang: "nl", "data-lang": "nl", "aria-label": "Nederlands" }, ["NL"]);
      ui.langEn = h("button", { type: "button", class: "lp-lang-button", lang: "en", "data-lang": "en", "aria-label": "English" }, ["EN"]);
      ui.langGroup = h("div", { class: "lp-lang", role: "group" }, [ui.langNl, ui.langEn]);
      ui.close = h("button", { type: "button", class: "lp-close" }, [h("span", { "aria-hidden": "true" }, ["×"])]);
      const header = h("header", { class: "lp-header" }, [
        h("div", { class: "lp-brand" }, [h("span", { class: "lp-light", "aria-hidden": "true" }), h("div", {}, [ui.title, ui.subtitle])]),
        h("div", { class: "lp-tools" }, [ui.langGroup, ui.close]),
      ]);

      ui.helpToggle = h("button", { type: "button", class: "lp-help-toggle", "aria-expanded": "false", "aria-controls": "lp-help" });
      ui.restart = h("button", { type: "button", class: "lp-restart" });
      ui.help = h("div", { id: "lp-help", class: "lp-help", hidden: true, tabindex: "-1" });

      ui.log = h("div", { class: "lp-log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
      ui.typingText = h("span", { class: "lp-sr" });
      ui.typing = h("div", { class: "lp-typing", role: "status", hidden: true }, [
        ui.typingText,
        h("span", { class: "lp-dots", "aria-hidden": "true" }, [h("span"), h("span"), h("span")]),
      ]);
      ui.scroll = h("div", { class: "lp-scroll" }, [ui.log, ui.typing]);

      ui.alertText = h("p", { class: "lp-alert-text" });
      ui.retry = h("button", { type: "button", class: "lp-retry" });
      ui.alert = h("div", { class: "lp-alert", role: "alert", hidden: true }, [ui.alertText, ui.retry]);

      ui.inputLabel = h("label", { for: "lp-input", class: "lp-sr" });
      ui.input = h("textarea", { id: "lp-input", class: "lp-input", rows: "1", autocomplete: "off", enterkeyhint: "send" });
      ui.send = h("button", { type: "submit", class: "lp-send" });
      ui.form = h("form", { class: "lp-form", novalidate: true }, [ui.inputLabel, ui.input, ui.send]);

      ui.panel = h("section", { id: "lp-panel", class: "lp-panel", role: "dialog", "aria-labelledby": "lp-title", hidden: true }, [
        header,
        h("div", { class: "lp-bar" }, [ui.helpToggle, ui.restart]),
        ui.help,
        ui.scroll,
        ui.alert,
        ui.form,
      ]);
      ui.wrapper.append(ui.panel, h("div", { class: "lp-closed" }, [ui.pill, ui.launcher]));
      root.append(css, ui.wrapper);

      ui.launcher.addEventListener("click", () => this.open());
      ui.pill.addEventListener("click", () => this.open({ help: true }));
      ui.close.addEventListener("click", () => this.close());
      ui.helpToggle.addEventListener("click", () => this.toggleHelp(ui.help.hidden));
      ui.restart.addEventListener("click", () => this.startOver());
      ui.retry.addEventListener("click", () => {
        this.hideAlert();
        this.flush();
        ui.input.focus();
      });
      for (const button of [ui.langNl, ui.langEn]) {
        button.addEventListener("click", () => this.setLanguage(button.getAttribute("data-lang"), { tellBot: true }));
      }
      ui.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submitInput();
      });
      ui.input.value = session.getItem(KEYS.draft) || "";
      ui.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submitInput();
        }
      });
      ui.input.addEventListener("input", () => {
        save(session, KEYS.draft, ui.input.value);
        this.fitInput();
      });
      ui.wrapper.addEventListener("keydown", (event) => {
        if (event.key !== "Escape" || ui.panel.hidden) return;
        event.preventDefault();
        if (!ui.help.hidden) {
          this.toggleHelp(false);
          ui.helpToggle.focus();
        } else {
          this.close();
        }
      });
    }

    applyLanguage() {
      const { ui } = this;
      const t = (key) => this.t(key);
      for (const el of [ui.panel, ui.launcher, ui.pill]) el.setAttribute("lang", this.lang);
      ui.launcherText.textContent = t("launcher");
      ui.launcher.setAttribute("aria-label", t("launcherLabel"));
      ui.pill.textContent = t("help");
      ui.title.textContent = t("title");
      ui.subtitle.textContent = t("subtitle");
      ui.langGroup.setAttribute("aria-label", t("languageGroup"));
      ui.langNl.setAttribute("aria-pressed", String(this.lang === "nl"));
      ui.langEn.setAttribute("aria-pressed", String(this.lang === "en"));
      ui.close.setAttribute("aria-label", t("close"));
      ui.close.setAttribute("title", t("close"));
      ui.helpToggle.textContent = t("help");
      ui.restart.textContent = t("restart");
      ui.restart.setAttribute("aria-label", t("restartLabel"));
      ui.log.setAttribute("aria-label", t("log"));
      ui.typingText.textContent = t("typing");
      ui.retry.textContent = t("retry");
      ui.inputLabel.textContent = t("inputLabel");
      ui.input.setAttribute("placeholder", t("placeholder"));
      ui.send.textContent = t("send");
      ui.send.setAttribute("aria-label", t("sendLabel"));
      for (const el of ui.log.querySelectorAll(".lp-speaker")) {
        el.textContent = el.getAttribute("data-from") === "bot" ? t("botSays") : t("youSay");
      }
      for (const el of ui.log.querySelectorAll(".lp-unsent-note")) el.textContent = t("unsent");
      for (const el of ui.log.querySelectorAll(".lp-replies")) el.setAttribute("aria-label", t("replies"));
      if (!ui.alert.hidden && ui.alert.getAttribute("data-kind") === "unreachable") {
        ui.alertText.textContent = t("unreachable");
      }
      this.renderHelp();
    }

    // ---- public API ----------------------------------------------------------------------------

    open({ help = false } = {}) {
      const { ui } = this;
      ui.panel.hidden = false;
      ui.wrapper.setAttribute("data-open", "true");
      ui.launcher.setAttribute("aria-expanded", "true");
      if (help) {
        this.toggleHelp(true);
        ui.help.focus();
      } else {
        ui.input.focus();
      }
      this.scrollDown();
      if (!this.transcript.length && !this.outbox.length && !this.sending) this.queue({ payload: "/greet" });
      this.checkInbox();
      clearInterval(this.inboxTimer);
      this.inboxTimer = setInterval(() => this.checkInbox(), INBOX_POLL_MS);
    }

    /** Scheduled messages (a daily exercise) waiting for this conversation: shown once, in order. */
    async checkInbox() {
      if (this.checkingInbox || this.ui.panel.hidden) return;
      this.checkingInbox = true;
      const conversation = this.conversationId;
      const key = KEYS.inbox + conversation;
      const after = Number(local ? local.getItem(key) : 0) || 0;
      try {
        const url = `${this.base}api/inbox?conversation_id=${encodeURIComponent(conversation)}&after=${after}`;
        const response = await fetch(url);
        const data = await response.json().catch(() => ({}));
        if (response.ok && conversation === this.conversationId && Array.isArray(data.messages) && data.messages.length) {
          save(local, key, String(data.last));
          this.clearReplies();
          this.showReplies(data.messages);
        }
      } catch (error) {
        // offline: the messages wait on the server until the next try
      } finally {
        this.checkingInbox = false;
      }
    }

    close() {
      const { ui } = this;
      ui.panel.hidden = true;
      clearInterval(this.inboxTimer);
      ui.wrapper.removeAttribute("data-open");
      ui.launcher.setAttribute("aria-expanded", "false");
      ui.launcher.focus();
    }

    setLanguage(language, { tellBot = false } = {}) {
      const lang = languageOf(language);
      if (!lang) return;
      const changed = lang !== this.lang;
      this.lang = lang;
      save(local, KEYS.language, lang);
      this.applyLanguage();
      if (changed) {
        this.dispatchEvent(new CustomEvent("lichtpunt-language", { detail: { language: lang }, bubbles: true, composed: true }));
      }
      if (tellBot && this.transcript.length) {
        // A proper Rasa payload (intent + entity), so the bot switches language too.
        this.queue({ payload: `/switch_language{"language": "${lang}"}` });
      }
    }

    startOver() {
      this.conversationId = newConversationId();
      save(local, KEYS.conversation, this.conversationId);
      this.transcript = [];
      this.outbox = [];
      this.saveTranscript();
      this.ui.log.textContent = "";
      this.hideAlert();
      this.queue({ payload: "/greet" });
      this.ui.input.focus();
    }

    // ---- sending -------------------------------------------------------------------------------

    submitInput() {
      const text = this.ui.input.value;
      if (!text.trim()) return;
      this.ui.input.value = "";
      save(session, KEYS.draft, null);
      this.fitInput();
      this.queue({ message: text }, text);
    }

    /** Queue one request; `shown` is the text of the user's bubble (none for the greeting or a switch). */
    queue(request, shown = null) {
      const item = { request, entry: null, bubble: null };
      if (shown !== null) {
        this.clearReplies();
        item.entry = { from: "user", text: shown, unsent: true, request };
        item.bubble = this.render(item.entry);
        this.remember(item.entry);
      }
      this.outbox.push(item);
      this.flush();
    }

    /** Deliver the outbox in order; stop at the first failure and offer a retry. */
    async flush() {
      if (this.sending || !this.outbox.length) return;
      this.sending = true;
      this.hideAlert();
      this.setTyping(true);
      const item = this.outbox[0];
      const conversation = this.conversationId;
      const result = await this.post({ conversation_id: conversation, language: this.lang, timezone: TIME_ZONE, ...item.request });
      this.sending = false;
      this.setTyping(false);
      if (conversation !== this.conversationId) {
        this.flush(); // the user started over meanwhile: this answer belongs to the old conversation
        return;
      }
      if (result.ok) {
        this.outbox.shift();
        this.markSent(item);
        this.showReplies(result.messages);
        this.flush();
      } else if (result.retry) {
        for (const waiting of this.outbox) this.markUnsent(waiting);
        this.showAlert(result.reason, true);
      } else {
        // Refused (too long, ...): the text goes back into the input, so nothing the user typed is lost.
        this.outbox.shift();
        this.takeBack(item);
        this.showAlert(result.reason, false);
      }
    }

    /** POST to /api/chat: {ok, messages} or {ok: false, retry, reason}. */
    async post(body) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
      try {
        const response = await fetch(`${this.base}api/chat`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        const data = await response.json().catch(() => ({}));
        if (response.ok) return { ok: true, messages: Array.isArray(data.messages) ? data.messages : [] };
        const retry = response.status >= 500 || response.status === 429;
        return { ok: false, retry, reason: typeof data.reason === "string" ? data.reason : null };
      } catch (error) {
        return { ok: false, retry: true, reason: null }; // network down or timed out
      } finally {
        clearTimeout(timer);
      }
    }

    // ---- the message list ----------------------------------------------------------------------

    showReplies(messages) {
      const shown = messages.length ? messages : [{ text: this.t("noAnswer") }];
      let first = null;
      for (const message of shown) {
        const entry = { from: "bot" };
        if (typeof message.text === "string") entry.text = message.text;
        if (typeof message.image === "string") entry.image = message.image;
        if (typeof message.alt === "string") entry.alt = message.alt;
        if (message.download && typeof message.download.url === "string" && typeof message.download.filename === "string") {
          entry.download = { url: message.download.url, filename: message.download.filename };
        }
        const buttons = (Array.isArray(message.buttons) ? message.buttons : []).filter(
          (b) => b && typeof b.title === "string" && typeof b.payload === "string"
        );
        if (buttons.length) entry.buttons = buttons.map(({ title, payload }) => ({ title, payload }));
        const bubble = this.render(entry);
        first = first || bubble;
        this.remember(entry);
      }
      this.scrollToRead(first);
    }

    /** Show a long answer from its first line (people read down), a short one at the bottom. */
    scrollToRead(bubble) {
      const { scroll } = this.ui;
      const top = bubble.offsetTop - 12;
      if (scroll.scrollHeight - top > scroll.clientHeight) scroll.scrollTop = top;
      else this.scrollDown();
    }

    /** One bubble (plus its quick replies); all text through textContent. */
    render(entry) {
      const t = (key) => this.t(key);
      const bubble = h("div", { class: `lp-msg lp-${entry.from === "bot" ? "bot" : "user"}` });
      const speaker = h("span", { class: "lp-sr lp-speaker", "data-from": entry.from });
      speaker.textContent = entry.from === "bot" ? t("botSays") : t("youSay");
      bubble.append(speaker);
      if (entry.text) {
        const text = h("p", { class: "lp-text" });
        text.textContent = entry.text;
        bubble.append(text);
      }
      const src = this.imageUrl(entry.image);
      if (src) bubble.append(h("img", { class: "lp-image", src, alt: entry.alt || (entry.text ? "" : t("image")), loading: "lazy" }));
      const file = entry.download && this.downloadUrl(entry.download.url);
      if (file) {
        const link = h("a", { class: "lp-download", href: file, download: entry.download.filename });
        link.textContent = `${t("download")} (${entry.download.filename})`;
        bubble.append(link);
      }
      this.ui.log.append(bubble);
      if (entry.buttons && entry.buttons.length) {
        const group = h("div", { class: "lp-replies", role: "group", "aria-label": t("replies") });
        for (const { title, payload } of entry.buttons) {
          const button = h("button", { type: "button", class: "lp-reply" });
          button.textContent = title;
          button.addEventListener("click", () => {
            this.queue({ payload }, title);
            this.ui.input.focus();
          });
          group.append(button);
        }
        this.ui.log.append(group);
      }
      this.scrollDown();
      return bubble;
    }

    /** Only our own server's short-lived "my data" links. */
    downloadUrl(path) {
      return /^api\/download\/[A-Za-z0-9_-]{16,64}$/.test(path) ? new URL(path, this.base).href : null;
    }

    imageUrl(image) {
      if (typeof image !== "string") return null;
      if (/^data:image\/png;base64,[A-Za-z0-9+/=]+$/.test(image)) return image; // a chart the bot drew
      try {
        const url = new URL(image, this.base);
        return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
      } catch (error) {
        return null;
      }
    }

    /** Quick replies belong to the latest question only: once the user answers, they go. */
    clearReplies() {
      for (const group of this.ui.log.querySelectorAll(".lp-replies")) group.remove();
      let changed = false;
      for (const entry of this.transcript) {
        if (entry.buttons) {
          delete entry.buttons;
          changed = true;
        }
      }
      if (changed) this.saveTranscript();
    }

    markUnsent(item) {
      if (!item.bubble || item.bubble.classList.contains("lp-unsent")) return;
      item.bubble.classList.add("lp-unsent");
      const note = h("span", { class: "lp-unsent-note" });
      note.textContent = this.t("unsent");
      item.bubble.append(note);
    }

    markSent(item) {
      if (!item.entry) return;
      delete item.entry.unsent;
      delete item.entry.request;
      if (item.bubble) {
        item.bubble.classList.remove("lp-unsent");
        item.bubble.querySelector(".lp-unsent-note")?.remove();
      }
      this.saveTranscript();
    }

    takeBack(item) {
      if (!item.entry) return;
      item.bubble?.remove();
      this.transcript = this.transcript.filter((entry) => entry !== item.entry);
      this.saveTranscript();
      if (typeof item.request.message === "string") {
        const { input } = this.ui;
        input.value = input.value ? `${item.request.message}\n${input.value}` : item.request.message;
        save(session, KEYS.draft, input.value);
        this.fitInput();
        input.focus();
      }
    }

    remember(entry) {
      this.transcript.push(entry);
      if (this.transcript.length > MAX_TRANSCRIPT) this.transcript = this.transcript.slice(-MAX_TRANSCRIPT);
      this.saveTranscript();
    }

    saveTranscript() {
      save(session, KEYS.transcript, JSON.stringify(this.transcript));
    }

    /** After a reload in the same tab: show the conversation again; unsent messages wait for a retry. */
    restore() {
      for (const entry of this.transcript) {
        const bubble = this.render(entry);
        if (entry.unsent && entry.request) {
          const item = { request: entry.request, entry, bubble };
          this.outbox.push(item);
          this.markUnsent(item);
        }
      }
      if (this.outbox.length) this.showAlert(null, true);
    }

    // ---- status: typing, alert, help -----------------------------------------------------------

    setTyping(on) {
      this.ui.typing.hidden = !on;
      this.ui.log.setAttribute("aria-busy", String(on));
      if (on) this.scrollDown();
    }

    showAlert(reason, canRetry) {
      const { ui } = this;
      ui.alert.setAttribute("data-kind", reason ? "refused" : "unreachable");
      ui.alertText.textContent = reason || this.t("unreachable");
      ui.retry.hidden = !canRetry;
      ui.alert.hidden = false;
    }

    hideAlert() {
      this.ui.alert.hidden = true;
    }

    toggleHelp(show) {
      const { ui } = this;
      ui.help.hidden = !show;
      ui.helpToggle.setAttribute("aria-expanded", String(show));
      if (show && (!this.helplines || this.helplinesFailed)) this.loadHelplines();
    }

    async loadHelplines() {
      try {
        const response = await fetch(`${this.base}api/helplines`);
        if (!response.ok) throw new Error(`status ${response.status}`);
        this.helplines = await response.json();
        this.helplinesFailed = false;
        save(local, KEYS.helplines, JSON.stringify(this.helplines));
      } catch (error) {
        this.helplinesFailed = true;
      }
      this.renderHelp();
    }

    /** The "Hulp nodig?" panel: the numbers come from /api/helplines (bot/content/helplines.yml). */
    renderHelp() {
      const { help } = this.ui;
      const t = (key) => this.t(key);
      const lines = this.helplines;
      help.textContent = "";
      help.append(h("h3", { class: "lp-help-heading" }, [t("helpHeading")]));
      if (!lines || !lines.crisis || !lines.emergency || !lines.listening) {
        help.append(h("p", {}, [this.helplinesFailed ? t("helpUnavailable") : t("helpLoading")]));
        return;
      }
      help.append(
        sentence(t("helpCrisis"), {
          name: { text: lines.crisis.name },
          phone: { text: lines.crisis.phone, phone: true },
          free: { text: lines.crisis.phone_free, phone: true },
          chat: { text: lines.crisis.chat_url, web: true },
        }),
        sentence(t("helpEmergency"), { phone: { text: lines.emergency.phone, phone: true } }),
        sentence(t("helpListening"), {
          name: { text: lines.listening.name },
          phone: { text: lines.listening.phone, phone: true },
          url: { text: lines.listening.url, web: true },
        })
      );
    }

    fitInput() {
      const { input } = this.ui;
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
    }

    scrollDown() {
      const { scroll } = this.ui;
      scroll.scrollTop = scroll.scrollHeight;
    }
  }

  window.customElements.define(TAG, LichtpuntChat);

  // One <script> tag is enough: add the widget to the page with the tag's data-* settings.
  function mount() {
    if (document.querySelector(TAG)) return;
    const el = document.createElement(TAG);
    for (const name of ["data-server", "data-language", "data-open"]) {
      const value = script && script.getAttribute(name);
      if (value !== null && value !== undefined) el.setAttribute(name, value);
    }
    document.body.append(el);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
