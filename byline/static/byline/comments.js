/*
 * Byline comments: the signed-in parts of the story page's Comments section, and posting, replying,
 * liking, editing, deleting and reporting in place.
 *
 * The section's HTML (comments/section.html) is the same for every reader so the page can be cached.
 * This script asks /members/api/comments/post/<id>/viewer/ who is reading (and gets the CSRF token
 * there, since the cached page carries none), then shows the comment box and the member's buttons.
 * After a change it reloads the thread as HTML from /comments/<id>/?fragment=1, so the page and the
 * script never disagree about how a comment looks. Nothing typed by a member is ever put into the page
 * as HTML by this script: forms are built with DOM calls, and comment text comes from the server's
 * sanitised fragment. Without this file, reading works and the links lead to the no-JS form pages.
 */
(function () {
  "use strict";

  var API = "/members/api/comments/";
  var section = document.querySelector("[data-comments][data-story]");
  if (!section || !window.fetch) return;
  var storyId = section.getAttribute("data-story");
  var viewer = null;
  var liked = new Set();

  // ------------------------------------------------------------------ requests

  function request(method, url, data) {
    var headers = { Accept: "application/json" };
    if (data !== undefined) headers["Content-Type"] = "application/json";
    if (viewer && viewer.csrf_token) headers["X-CSRFToken"] = viewer.csrf_token;
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: data === undefined ? undefined : JSON.stringify(data),
    }).then(function (response) {
      var read = response.status === 204 ? Promise.resolve(null) : response.json().catch(function () { return null; });
      return read.then(function (body) {
        if (!response.ok) {
          var error = body && body.errors && body.errors[0];
          throw new Error(error ? error.message : "Something went wrong. Try again.");
        }
        return body;
      });
    });
  }

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("Couldn’t load the comments. Try again.");
      return response.text();
    });
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html; // the server's own, sanitised markup
    return template.content;
  }

  function withFragment(href) {
    var url = new URL(href, window.location.href);
    url.searchParams.set("fragment", "1");
    return url.pathname + url.search;
  }

  // ------------------------------------------------------------------ what the reader sees

  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat("en", { numeric: "auto" }) : null;
  var STEPS = [
    ["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60],
  ];

  function showTimes(root) {
    if (!relative) return;
    root.querySelectorAll("[data-comment-time]").forEach(function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when)) return;
      var seconds = (when - Date.now()) / 1000;
      for (var i = 0; i < STEPS.length; i++) {
        if (Math.abs(seconds) >= STEPS[i][1]) {
          element.textContent = relative.format(Math.round(seconds / STEPS[i][1]), STEPS[i][0]);
          return;
        }
      }
      element.textContent = "just now";
    });
  }

  function signedIn() {
    return Boolean(viewer && viewer.member);
  }

  function applyViewer(root) {
    var join = section.querySelector("[data-comments-join]");
    var form = section.querySelector("[data-comments-form]");
    var banned = section.querySelector("[data-comments-banned]");
    if (signedIn()) {
      if (join) join.hidden = true;
      if (form) form.hidden = !viewer.can_comment;
      if (banned) banned.hidden = !viewer.banned;
    }
    root.querySelectorAll("[data-comment]").forEach(applyToComment);
    showTimes(root);
  }

  function applyToComment(article) {
    var id = article.getAttribute("data-comment");
    var member = signedIn() && !viewer.banned;
    var mine = signedIn() && article.getAttribute("data-member") === viewer.member.uuid;
    var until = signedIn() && viewer.own[id];
    var like = article.querySelector("[data-comment-like]");
    if (like) {
      like.hidden = !member;
      like.setAttribute("aria-pressed", String(liked.has(id)));
      like.textContent = liked.has(id) ? "Liked" : "Like";
    }
    show(article, "[data-comment-edit]", member && mine && until && new Date(until) > new Date());
    show(article, "[data-comment-delete]", member && mine && Boolean(until));
    show(article, "[data-comment-report]", member && !mine);
    var reply = article.querySelector("[data-comment-reply]");
    if (reply && signedIn() && !viewer.can_comment) reply.hidden = true;
  }

  function show(root, selector, visible) {
    var element = root.querySelector(selector);
    if (element) element.hidden = !visible;
  }

  function setLikes(article, count) {
    var counter = article.querySelector("[data-comment-likes]");
    if (!counter) return;
    counter.setAttribute("data-comment-likes", String(count));
    counter.textContent = count + (count === 1 ? " like" : " likes");
  }

  // ------------------------------------------------------------------ loading the thread

  function thread() {
    return section.querySelector("[data-comments-thread]");
  }

  function reloadThread(order, focusId) {
    if (!thread()) {
      // A page without the paged thread (all replies of one comment): the server draws it again.
      window.location.reload();
      return Promise.resolve();
    }
    var url = "/comments/" + storyId + "/?fragment=1&order=" + encodeURIComponent(order || thread().getAttribute("data-order"));
    return Promise.all([fetchHtml(url), loadViewer()]).then(function (results) {
      replaceThread(fragment(results[0]));
      if (focusId) {
        var target = document.getElementById("comment-" + focusId);
        if (!target && order !== "newest") return reloadThread("newest", focusId);
        if (target) {
          target.tabIndex = -1;
          target.focus();
        }
      }
    });
  }

  function replaceThread(content) {
    var fresh = content.querySelector("[data-comments-thread]");
    if (!fresh) return;
    thread().replaceWith(fresh);
    var count = section.querySelector("[data-comments-count]");
    if (count && fresh.hasAttribute("data-total")) count.textContent = fresh.getAttribute("data-total");
    applyViewer(fresh);
  }

  function loadMore(link) {
    var append = link.hasAttribute("data-comments-append");
    return fetchHtml(withFragment(link.href)).then(function (html) {
      var content = fragment(html);
      if (!append) return replaceThread(content);
      var list = thread().querySelector(".comments__list");
      var fresh = content.querySelector("[data-comments-thread]");
      fresh.querySelectorAll(".comments__list > li").forEach(function (item) {
        list.appendChild(item);
        applyViewer(item);
      });
      var next = fresh.querySelector("[data-comments-append]");
      if (next) link.replaceWith(next);
      else link.remove();
    });
  }

  function loadReplies(link) {
    var id = link.getAttribute("data-comments-more-replies");
    return fetchHtml(withFragment(link.href)).then(function (html) {
      var list = section.querySelector('[data-comments-replies="' + id + '"]');
      list.replaceChildren(fragment(html));
      applyViewer(list);
      link.remove();
    });
  }

  function loadViewer() {
    return request("GET", API + "post/" + storyId + "/viewer/").then(function (body) {
      viewer = body;
      liked = new Set(body.liked || []);
      return body;
    });
  }

  // ------------------------------------------------------------------ forms built in place

  function textForm(options) {
    var form = document.createElement("form");
    form.className = "comments__form comments__form--inline";
    var id = "comment-form-" + Math.random().toString(36).slice(2);
    var label = document.createElement("label");
    label.className = "comments__label";
    label.htmlFor = id;
    label.textContent = options.label;
    var area = document.createElement("textarea");
    area.id = id;
    area.className = "comments__textarea";
    area.rows = options.rows || 3;
    area.maxLength = options.maxLength || 5000;
    area.required = true;
    area.value = options.value || "";
    var error = document.createElement("p");
    error.className = "comments__error";
    error.setAttribute("role", "alert");
    var actions = document.createElement("div");
    actions.className = "comments__form-actions";
    var submit = document.createElement("button");
    submit.type = "submit";
    submit.className = "button";
    submit.textContent = options.submit;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "comments__cancel";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () {
      form.remove();
      if (options.onCancel) options.onCancel();
    });
    actions.append(submit, cancel);
    form.append(label, area, error, actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      error.textContent = "";
      options.send(area.value).then(
        function () { form.remove(); },
        function (problem) {
          // The words stay in the box: nothing typed is lost.
          error.textContent = problem.message;
          submit.disabled = false;
          area.focus();
        }
      );
    });
    return form;
  }

  function openReply(article) {
    var existing = article.parentNode.querySelector(":scope > .comments__form--inline");
    if (existing) return existing.querySelector("textarea").focus();
    var name = article.querySelector(".comment__author");
    var form = textForm({
      label: "Reply to " + (name ? name.textContent : "this comment"),
      submit: "Post reply",
      send: function (text) {
        return post({ post_id: storyId, in_reply_to_id: article.getAttribute("data-comment"), text: text });
      },
    });
    article.after(form);
    form.querySelector("textarea").focus();
  }

  // The text a member would type to get this comment back: bold and italic as the tags they typed,
  // links as their address (bare addresses become links again), paragraphs as blank lines.
  var KEPT_TAGS = { B: "b", STRONG: "strong", I: "i", EM: "em" };
  function typedText(node) {
    var out = "";
    Array.prototype.forEach.call(node.childNodes, function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue;
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        var tag = KEPT_TAGS[child.tagName];
        if (tag) out += "<" + tag + ">" + typedText(child) + "</" + tag + ">";
        else if (child.tagName === "BR") out += "\n";
        else if (child.tagName === "P") out += typedText(child) + "\n\n";
        else out += typedText(child);
      }
    });
    return out;
  }

  function openEdit(article) {
    var body = article.querySelector("[data-comment-body]");
    if (!body || body.hidden) return;
    var form = textForm({
      label: "Edit your comment",
      submit: "Save",
      rows: 4,
      value: typedText(body).trim(),
      onCancel: function () { body.hidden = false; },
      send: function (text) {
        var id = article.getAttribute("data-comment");
        return request("PUT", API + id + "/", { text: text }).then(function () { return reloadThread(null, id); });
      },
    });
    body.hidden = true;
    body.after(form);
    form.querySelector("textarea").focus();
  }

  function openReport(article) {
    if (article.querySelector(".comments__form--inline")) return;
    var id = article.getAttribute("data-comment");
    var form = textForm({
      label: "What is wrong with this comment?",
      submit: "Send report",
      maxLength: 500,
      send: function (reason) {
        return request("POST", API + id + "/report/", { reason: reason }).then(function () {
          var thanks = document.createElement("p");
          thanks.className = "comments__notice";
          thanks.setAttribute("role", "status");
          thanks.textContent = "Thanks: an editor will look at it.";
          article.querySelector("[data-comment-actions]").after(thanks);
          show(article, "[data-comment-report]", false);
        });
      },
    });
    article.querySelector("[data-comment-actions]").after(form);
    form.querySelector("textarea").focus();
  }

  function post(data) {
    return request("POST", API, data).then(function (body) {
      var comment = body.comments && body.comments[0];
      if (comment && comment.status === "pending") {
        notice("Thanks: your comment is waiting for approval.");
        return;
      }
      return reloadThread(null, comment && comment.id);
    });
  }

  function notice(message) {
    var status = section.querySelector("[data-comments-status]");
    if (!status) {
      status = document.createElement("p");
      status.className = "comments__notice";
      status.setAttribute("role", "status");
      status.setAttribute("data-comments-status", "");
      thread().before(status);
    }
    status.textContent = message;
  }

  // ------------------------------------------------------------------ events

  function toggleLike(button) {
    var article = button.closest("[data-comment]");
    var id = article.getAttribute("data-comment");
    var wasLiked = liked.has(id);
    button.disabled = true;
    request(wasLiked ? "DELETE" : "POST", API + id + "/like/").then(
      function (body) {
        var result = body.comments[0];
        if (result.liked) liked.add(id);
        else liked.delete(id);
        setLikes(article, result.count.likes);
        applyToComment(article);
        button.disabled = false;
      },
      function (problem) {
        button.disabled = false;
        notice(problem.message);
      }
    );
  }

  function remove(button) {
    var article = button.closest("[data-comment]");
    if (!window.confirm("Delete this comment? This can’t be undone.")) return;
    request("DELETE", API + article.getAttribute("data-comment") + "/").then(
      function () { return reloadThread(); },
      function (problem) { notice(problem.message); }
    );
  }

  section.addEventListener("click", function (event) {
    var target = event.target.closest("button, a");
    if (!target || !section.contains(target)) return;
    var article = target.closest("[data-comment]");
    if (target.hasAttribute("data-comment-like")) return toggleLike(target);
    if (target.hasAttribute("data-comment-delete")) return remove(target);
    if (target.hasAttribute("data-comment-edit")) return openEdit(article);
    if (target.hasAttribute("data-comment-report")) return openReport(article);
    if (target.hasAttribute("data-comment-reply") && signedIn() && viewer.can_comment) {
      event.preventDefault();
      return openReply(article);
    }
    if (target.hasAttribute("data-comments-load") || target.hasAttribute("data-comments-more-replies")) {
      event.preventDefault();
      var load = target.hasAttribute("data-comments-load") ? loadMore : loadReplies;
      load(target).catch(function (problem) { notice(problem.message); });
    }
  });

  var mainForm = section.querySelector("[data-comments-form]");
  if (mainForm) {
    mainForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var area = mainForm.querySelector("textarea");
      var error = mainForm.querySelector("[data-comments-error]");
      var button = mainForm.querySelector("button[type=submit]");
      var honeypot = mainForm.querySelector("input[name=website]");
      button.disabled = true;
      error.textContent = "";
      post({ post_id: storyId, text: area.value, website: honeypot ? honeypot.value : "" }).then(
        function () {
          area.value = "";
          button.disabled = false;
        },
        function (problem) {
          error.textContent = problem.message;
          button.disabled = false;
          area.focus();
        }
      );
    });
  }

  showTimes(section);
  loadViewer().then(
    function () {
      section.setAttribute("data-comments-ready", "");
      applyViewer(section);
    },
    function () {
      section.setAttribute("data-comments-ready", "");
    }
  );
})();
