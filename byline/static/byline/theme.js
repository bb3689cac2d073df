/*
 * Byline's theme script: the "Share this post" menu.
 *
 * The markup (stories/share_menu.html) works without this file: a heading and plain share links.
 * This script turns each [data-share] block into a disclosure: a toggle button that opens a popover
 * with the native share sheet (where the browser has one), "Copy link" and the same links.
 *
 * Keyboard: Enter/Space on the toggle opens the menu and moves focus to its first item; arrow keys,
 * Home and End move between items; Escape closes and returns focus to the toggle; Tab out closes.
 * A click outside closes. Vanilla JS, no dependencies, nothing inline (the CSP forbids it).
 */
(function () {
  "use strict";

  var STATUS_COPIED = "Link copied";
  var STATUS_FAILED = "Couldn’t copy the link: select the address bar and copy it from there.";
  var menus = [];

  function canonicalUrl() {
    var link = document.querySelector('link[rel="canonical"]');
    return (link && link.href) || window.location.href;
  }

  function visible(element) {
    return !element.closest("[hidden]");
  }

  // A fallback for browsers (or insecure origins) without the async clipboard API.
  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    area.className = "share__clipboard";
    var previous = document.activeElement;
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    if (previous && typeof previous.focus === "function") previous.focus();
    return copied;
  }

  function copyText(text) {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return copyWithTextarea(text);
        }
      );
    }
    return Promise.resolve(copyWithTextarea(text));
  }

  function ShareMenu(root) {
    this.root = root;
    this.toggle = root.querySelector(".share__toggle");
    this.panel = root.querySelector(".share__panel");
    this.status = root.querySelector(".share__status");
  }

  ShareMenu.prototype.items = function () {
    var candidates = this.panel.querySelectorAll(".share__links a, .share__links button");
    return Array.prototype.filter.call(candidates, visible);
  };

  ShareMenu.prototype.isOpen = function () {
    return this.toggle.getAttribute("aria-expanded") === "true";
  };

  ShareMenu.prototype.open = function () {
    menus.forEach(function (menu) {
      if (menu !== this && menu.isOpen()) menu.close(false);
    }, this);
    this.setStatus("");
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    this.place();
    var first = this.items()[0];
    if (first) first.focus();
  };

  ShareMenu.prototype.close = function (returnFocus) {
    if (!this.isOpen()) return;
    this.panel.hidden = true;
    this.panel.classList.remove("share__panel--up");
    this.toggle.setAttribute("aria-expanded", "false");
    if (returnFocus) this.toggle.focus();
  };

  // Open upwards when there is no room below and more room above (the menu under the story).
  ShareMenu.prototype.place = function () {
    this.panel.classList.remove("share__panel--up");
    var panelBox = this.panel.getBoundingClientRect();
    var toggleBox = this.toggle.getBoundingClientRect();
    var viewport = window.innerHeight || document.documentElement.clientHeight;
    if (panelBox.bottom > viewport && toggleBox.top > viewport - toggleBox.bottom) {
      this.panel.classList.add("share__panel--up");
    }
  };

  ShareMenu.prototype.setStatus = function (message) {
    if (this.status) this.status.textContent = message;
  };

  ShareMenu.prototype.move = function (current, step) {
    var items = this.items();
    if (!items.length) return;
    var index = items.indexOf(current);
    var next;
    if (step === "first") next = 0;
    else if (step === "last") next = items.length - 1;
    else next = (index + step + items.length) % items.length;
    items[next].focus();
  };

  ShareMenu.prototype.onKeydown = function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      if (this.isOpen()) {
        event.preventDefault();
        this.close(true);
      }
      return;
    }
    if (!this.isOpen() || !this.panel.contains(event.target)) return;
    var steps = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, Home: "first", End: "last" };
    if (Object.prototype.hasOwnProperty.call(steps, event.key)) {
      event.preventDefault();
      this.move(event.target, steps[event.key]);
    }
  };

  ShareMenu.prototype.copy = function () {
    var menu = this;
    menu.setStatus("");
    copyText(canonicalUrl()).then(function (copied) {
      menu.setStatus(copied ? STATUS_COPIED : STATUS_FAILED);
    });
  };

  ShareMenu.prototype.nativeShare = function (button) {
    var data = { title: button.getAttribute("data-title") || document.title, url: canonicalUrl() };
    navigator.share(data).catch(function () {
      // The reader closed the share sheet, or the browser refused: nothing to report.
    });
  };

  ShareMenu.prototype.enhance = function () {
    var menu = this;
    if (!menu.toggle || !menu.panel) return;

    var nativeButton = menu.root.querySelector("[data-share-native]");
    var copyButton = menu.root.querySelector("[data-share-copy]");
    if (nativeButton && typeof navigator.share === "function") {
      nativeButton.closest("li").hidden = false;
      nativeButton.addEventListener("click", function () {
        menu.nativeShare(nativeButton);
      });
    }
    if (copyButton) {
      copyButton.closest("li").hidden = false;
      copyButton.addEventListener("click", function () {
        menu.copy();
      });
    }

    menu.root.classList.add("share--enhanced");
    menu.root.setAttribute("data-enhanced", "");
    menu.panel.hidden = true;
    menu.toggle.hidden = false;
    menu.toggle.setAttribute("aria-expanded", "false");

    menu.toggle.addEventListener("click", function () {
      if (menu.isOpen()) menu.close(false);
      else menu.open();
    });
    menu.root.addEventListener("keydown", function (event) {
      menu.onKeydown(event);
    });
    // Tabbing out of the menu closes it; focus has already gone where the reader sent it.
    menu.root.addEventListener("focusout", function (event) {
      var next = event.relatedTarget;
      if (menu.isOpen() && next && !menu.root.contains(next) && !next.classList.contains("share__clipboard")) {
        menu.close(false);
      }
    });
    menus.push(menu);
  };

  function closeOnOutsideClick(event) {
    menus.forEach(function (menu) {
      if (menu.isOpen() && !menu.root.contains(event.target)) menu.close(false);
    });
  }

  function init() {
    var roots = document.querySelectorAll("[data-share]");
    Array.prototype.forEach.call(roots, function (root) {
      new ShareMenu(root).enhance();
    });
    if (menus.length) document.addEventListener("click", closeOnOutsideClick);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
