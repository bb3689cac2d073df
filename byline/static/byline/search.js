// As-you-type results under the header search box. Without this script the box is a plain form
// that lands on /search/. Results are built with DOM methods; the snippet's only markup is the
// server's <mark> around matched words, so it is copied as text pieces, never as HTML.
(() => {
  "use strict";
  const form = document.querySelector("[data-site-search]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const panel = form.querySelector(".site-search__results");
  const WAIT_MS = 150;
  let timer = 0;
  let latest = 0;

  const close = () => {
    panel.hidden = true;
  };

  const snippet = (html) => {
    // The server escaped everything and added only <mark>…</mark>: split on those tags.
    const paragraph = document.createElement("p");
    paragraph.className = "site-search__snippet";
    html.split(/(<mark>.*?<\/mark>)/).forEach((piece) => {
      const marked = piece.match(/^<mark>(.*)<\/mark>$/);
      const text = document.createElement("textarea");
      text.innerHTML = marked ? marked[1] : piece; // decodes entities without running anything
      if (marked) {
        const mark = document.createElement("mark");
        mark.textContent = text.value;
        paragraph.append(mark);
      } else {
        paragraph.append(text.value);
      }
    });
    return paragraph;
  };

  const show = (data, query) => {
    panel.replaceChildren();
    if (!data.results.length) {
      const none = document.createElement("p");
      none.className = "site-search__empty";
      none.textContent = "No stories match. Press Enter to search anyway.";
      panel.append(none);
    } else {
      const list = document.createElement("ul");
      list.className = "site-search__list";
      data.results.forEach((story) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = story.url;
        link.className = "site-search__title";
        link.textContent = story.title;
        item.append(link, snippet(story.excerpt));
        list.append(item);
      });
      panel.append(list);
      const all = document.createElement("a");
      all.className = "site-search__all";
      all.href = `/search/?q=${encodeURIComponent(query)}`;
      // Counts stop at a cap on very broad queries (data.capped): say "1,000+" rather than "All 1000".
      const count = data.total.toLocaleString("en");
      all.textContent = data.capped
        ? `More than ${count} results`
        : `All ${count} ${data.total === 1 ? "result" : "results"}`;
      panel.append(all);
    }
    panel.hidden = false;
  };

  const ask = async () => {
    const query = input.value.trim();
    const asked = ++latest;
    if (query.length < 2) return close();
    try {
      const response = await fetch(`/search/?format=json&q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok || asked !== latest) return;
      show(await response.json(), query);
    } catch {
      // Offline or refused: the form still submits to the results page.
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
})();
