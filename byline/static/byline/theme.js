/*
 * Byline's theme script: the "Share this post" menu, the subscribe form and the header's member state.
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

  /*
   * The subscribe form (includes/subscribe.html). Without this script it is a plain form POST that
   * lands on a "check your inbox" page. With it: a JSON POST (same origin; the members API needs no
   * CSRF token for JSON) and one of the three status messages in the markup, shown one at a time.
   */
  var SUBSCRIBE_URL = "/members/api/send-magic-link/";

  function SubscribeForm(form) {
    this.form = form;
    this.email = form.querySelector('input[name="email"]');
    this.name = form.querySelector('input[name="name"]');
    this.honeypot = form.querySelector('input[name="website"]');
    this.button = form.querySelector('button[type="submit"]');
    this.reason = form.querySelector("[data-subscribe-reason]");
    this.messages = form.querySelectorAll("[data-subscribe-message]");
  }

  SubscribeForm.prototype.show = function (state, reason) {
    Array.prototype.forEach.call(this.messages, function (message) {
      message.hidden = message.getAttribute("data-subscribe-message") !== state;
    });
    if (this.reason) this.reason.textContent = reason || "";
    this.form.setAttribute("data-state", state || "");
    var error = this.form.querySelector('[data-subscribe-message="error"]');
    if (state === "error" && error && error.id) {
      this.email.setAttribute("aria-describedby", error.id);
    } else {
      this.email.removeAttribute("aria-describedby");
    }
  };

  function errorReason(response) {
    return response
      .json()
      .then(function (body) {
        var errors = body && body.errors;
        return (errors && errors[0] && errors[0].message) || "";
      })
      .catch(function () {
        return "";
      });
  }

  SubscribeForm.prototype.submit = function () {
    var subscribe = this;
    var buttonHadFocus = document.activeElement === subscribe.button;
    subscribe.show("loading");
    subscribe.button.disabled = true;
    subscribe.form.setAttribute("aria-busy", "true");
    var body = {
      email: subscribe.email.value,
      emailType: "signup",
      redirect: window.location.pathname,
      website: subscribe.honeypot ? subscribe.honeypot.value : "",
    };
    if (subscribe.name) body.name = subscribe.name.value;
    fetch(SUBSCRIBE_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        if (response.status === 201) return { ok: true };
        return errorReason(response).then(function (reason) {
          return { ok: false, reason: reason };
        });
      })
      .catch(function () {
        return { ok: false, reason: "Check your connection and try again." };
      })
      .then(function (result) {
        subscribe.button.disabled = false;
        subscribe.form.removeAttribute("aria-busy");
        if (result.ok) {
          subscribe.show("success");
          subscribe.email.value = "";
          if (subscribe.name) subscribe.name.value = "";
          if (buttonHadFocus) subscribe.button.focus();
        } else {
          subscribe.show("error", result.reason);
          // Back to the field, so the reader can correct the address; the error describes it.
          subscribe.email.focus();
        }
      });
  };

  SubscribeForm.prototype.enhance = function () {
    var subscribe = this;
    if (!subscribe.email || !subscribe.button || typeof window.fetch !== "function") return;
    subscribe.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (subscribe.button.disabled) return;
      subscribe.submit();
    });
    subscribe.form.classList.add("subscribe__form--enhanced");
  };

  /*
   * The header: every reader gets the same HTML (Sign in / Subscribe). One request per page load asks
   * who is signed in (204 when nobody is); a member sees their initials and an Account link instead.
   */
  var INITIALS_COLOURS = 7; // .avatar--c0 … --c6, as INITIALS_COLOUR_COUNT in stories/models.py

  function colourIndex(text) {
    var hash = 0;
    for (var i = 0; i < text.length; i += 1) hash = (hash * 31 + text.charCodeAt(i)) % 2147483647;
    return hash % INITIALS_COLOURS;
  }

  function showMember(actions, member) {
    var account = actions.querySelector("[data-member-signed-in]");
    var initials = actions.querySelector("[data-member-initials]");
    if (!account) return;
    if (initials) {
      initials.textContent = member.initials || "?";
      initials.classList.add("avatar--c" + colourIndex(member.uuid || member.email || ""));
    }
    if (member.name || member.email) account.title = member.name || member.email;
    Array.prototype.forEach.call(actions.querySelectorAll("[data-member-signed-out]"), function (link) {
      link.hidden = true;
    });
    account.hidden = false;
    actions.setAttribute("data-member", "signed-in");
  }

  function loadMember() {
    var actions = document.querySelector("[data-member-actions]");
    if (!actions || typeof window.fetch !== "function") return;
    fetch("/members/api/member/", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status !== 200) return null;
        return response.json();
      })
      .then(function (member) {
        if (member) showMember(actions, member);
        else actions.setAttribute("data-member", "signed-out");
      })
      .catch(function () {
        // Offline or the API is down: the signed-out links stay, and they still work.
      });
  }

  function init() {
    var roots = document.querySelectorAll("[data-share]");
    Array.prototype.forEach.call(roots, function (root) {
      new ShareMenu(root).enhance();
    });
    if (menus.length) document.addEventListener("click", closeOnOutsideClick);
    Array.prototype.forEach.call(document.querySelectorAll("[data-subscribe-form]"), function (form) {
      new SubscribeForm(form).enhance();
    });
    loadMember();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
