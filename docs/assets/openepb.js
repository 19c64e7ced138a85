/* Accessibility fixes the theme leaves open: the search dialog gets a name, and a table wider
   than the page is a labelled region keyboard users can reach to scroll it. */
(function () {
  "use strict";
  for (const dialog of document.querySelectorAll(".md-search[role='dialog']")) {
    if (!dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Поиск по документации");
  }

  function label(wrap) {
    const table = wrap.querySelector("table");
    let heading = wrap.previousElementSibling;
    while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
    const caption = table && table.caption ? table.caption.textContent : "";
    const title = (caption || (heading ? heading.textContent.replace(/¶$/, "") : "")).trim();
    return title ? `Таблица «${title}», прокручивается вбок` : "Таблица, прокручивается вбок";
  }

  function mark() {
    for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap")) {
      const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("openepb-scrolls", scrolls);
      if (scrolls) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", label(wrap));
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
  }

  // The theme's script wraps the tables after this one has run: mark them whenever the page changes.
  let queued = false;
  const queue = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      mark();
    });
  };
  new MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", queue);
  window.addEventListener("load", queue);
  queue();
})();
