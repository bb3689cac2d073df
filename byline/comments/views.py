"""Comment pages under /comments/: what readers without JavaScript use, and the HTML fragments that
comments.js swaps in place. The thread pages are the same for every reader; the write page carries a
CSRF token and is never cached."""

from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from byline import pagecache
from byline.comments import notifications, services
from byline.comments.models import Comment
from byline.comments.templatetags.byline_comments import comment_settings
from byline.comments.text import MAX_LENGTH
from byline.members.services import current_member
from byline.stories.models import StoryPage

HONEYPOT_FIELD = "website"


def _story_or_404(request, story_id) -> StoryPage:
    story_id = services.valid_id(story_id)
    story = StoryPage.objects.live().filter(pk=story_id).first() if story_id else None
    if story is None or not services.thread_shown(story, comment_settings(request)):
        raise Http404("No comments here")
    return story


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


def story_thread(request, story_id):
    """All of a story's comments, a page at a time, in the reader's chosen order. `?fragment=1` answers
    just the thread, for comments.js to put in place."""
    story = _story_or_404(request, story_id)
    pagecache.depends_on(request, f"story:{story.pk}", f"comments:{story.pk}")
    order = "newest" if request.GET.get("order") == "newest" else "oldest"
    thread = services.thread(story, order=order, page=_page_number(request))
    context = {
        "story": story,
        "thread": thread,
        "open": services.open_for_new_comments(story, comment_settings(request)),
    }
    if request.GET.get("fragment"):
        return render(request, "comments/thread.html", context)
    return render(request, "comments/story_thread.html", context)


def replies(request, pk):
    parent = get_object_or_404(
        Comment.objects.select_related("story"), pk=services.valid_id(pk) or 0, parent=None
    )
    story = _story_or_404(request, parent.story_id)
    pagecache.depends_on(request, f"story:{story.pk}", f"comments:{story.pk}")
    rows = services.replies_of([parent], limit=None)[parent.pk]
    context = {
        "story": story,
        "parent": parent,
        "replies": rows,
        "badges": services.badges(story, [parent.member, *[row.member for row in rows]]),
        "open": services.open_for_new_comments(story, comment_settings(request)),
    }
    if request.GET.get("fragment"):
        return render(request, "comments/replies_list.html", context)
    return render(request, "comments/replies.html", context)


@never_cache
def write(request, story_id):
    """The comment form without JavaScript (also for replies: `?reply_to=<id>`)."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    story = _story_or_404(request, story_id)
    member = current_member(request)
    source = request.POST if request.method == "POST" else request.GET
    reply_to = None
    if reply_id := services.valid_id(source.get("reply_to")):
        reply_to = Comment.objects.select_related("member").filter(pk=reply_id, story=story).first()
    context = {"story": story, "member": member, "reply_to": reply_to, "max_length": MAX_LENGTH, "text": ""}
    if member is None:
        return render(request, "comments/write_signin.html", context)
    if request.method == "POST":
        text = request.POST.get("text", "")
        if request.POST.get(HONEYPOT_FIELD):
            return redirect(f"{story.url}#comments")
        try:
            comment = services.post_comment(
                member=member,
                story=story,
                text=text,
                site_settings=comment_settings(request),
                reply_to=reply_to,
            )
        except services.CommentError as error:
            # The member's words come back in the form: nothing typed is lost.
            context.update(text=text, error=error.message)
            return render(request, "comments/write.html", context, status=error.status)
        if comment.status == Comment.PENDING:
            return render(request, "comments/held.html", context)
        return redirect(f"{story.url}#comment-{comment.pk}")
    return render(request, "comments/write.html", context)


@csrf_exempt  # only for RFC 8058 one-click posts; every other POST is checked below
@never_cache
def replies_off(request, token):
    """The link in reply emails: GET shows a button; POST turns reply emails off (with `on=1`, on)."""
    member = notifications.read_replies_off_token(token)
    if member is None:
        raise Http404("This link is not valid.")
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        if not one_click:
            from django.middleware.csrf import CsrfViewMiddleware

            failure = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if failure:
                return failure
        wanted = not one_click and request.POST.get("on") == "1"
        notifications.set_reply_emails(member, wanted)
        return render(request, "comments/replies_off.html", {"done": not wanted, "back_on": wanted})
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "comments/replies_off.html", {"done": False})
