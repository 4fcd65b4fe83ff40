// The demo page: a Dutch/English switch that keeps the page and the chat widget in the same language.
(() => {
  "use strict";

  const KEY = "lichtpunt.language";
  const languageOf = (value) => {
    const code = String(value || "").toLowerCase().split(/[-_]/)[0];
    return code === "nl" || code === "en" ? code : null;
  };
  const stored = () => {
    try {
      return localStorage.getItem(KEY);
    } catch (error) {
      return null;
    }
  };
  const widget = () => document.querySelector("lichtpunt-chat");

  function show(lang) {
    document.documentElement.lang = lang;
    document.title = lang === "en" ? "Lichtpunt: a moment to talk about loneliness" : "Lichtpunt: even praten over eenzaamheid";
    for (const el of document.querySelectorAll("main [lang], footer [lang], .skip [lang]")) {
      el.hidden = el.getAttribute("lang") !== lang;
    }
    for (const button of document.querySelectorAll(".page-lang button")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    show(languageOf(stored()) || languageOf(navigator.language) || "nl");
    for (const button of document.querySelectorAll(".page-lang button")) {
      button.addEventListener("click", () => {
        show(button.dataset.lang);
        const chat = widget();
        if (chat && chat.setLanguage) chat.setLanguage(button.dataset.lang, { tellBot: true });
        else {
          try {
            localStorage.setItem(KEY, button.dataset.lang);
          } catch (error) {
            /* no storage: the page still switches */
          }
        }
      });
    }
    for (const button of document.querySelectorAll("[data-open-chat]")) {
      button.addEventListener("click", () => widget()?.open());
    }
    // The widget's own NL/EN switch changes the page too.
    document.addEventListener("lichtpunt-language", (event) => show(event.detail.language));
  });
})();
