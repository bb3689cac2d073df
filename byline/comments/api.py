"""The members comments API under /members/api/comments/, on Ghost's paths and in Ghost's wire shape
(`{"comments": [...], "meta": {"pagination": ...}}`). Session-authenticated; every unsafe method goes
through Django's CSRF check (comments.js sends the token it gets from the viewer endpoint).

Thin: services do the work and raise CommentError, which becomes `{"errors": [...]}` here.
"""

import json

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache

from byline.comments import services
from byline.comments.models import Comment
from byline.comments.templatetags.byline_comments import comment_settings
from byline.comments.text import clean_for_output, plain_text
from byline.members.services import current_member
from byline.stories.models import StoryPage


def _error(status: int, message: str, code: str) -> JsonResponse:
    return _private(JsonResponse({"errors": [{"message": message, "type": code}]}, status=status))


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def _from(error: services.CommentError) -> JsonResponse:
    return _error(error.status, error.message, error.code)


def _body(request) -> dict | None:
    """The JSON object sent, unwrapping Ghost's `{"comments": [{...}]}`; None when it is not JSON."""
    if request.content_type != "application/json":
        return None
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("comments"), list) and data["comments"]:
        data = data["comments"][0]
    return data if isinstance(data, dict) else None


def _story(story_id):
    story_id = services.valid_id(story_id)
    return StoryPage.objects.live().filter(pk=story_id).first() if story_id else None


def _comment(pk) -> Comment | None:
    pk = services.valid_id(pk)
    return Comment.objects.select_related("story", "member").filter(pk=pk).first() if pk else None


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def serialize(comment: Comment, *, badges: dict, liked: set, replies=None) -> dict:
    shown = comment.status == Comment.PUBLISHED
    member = comment.member if shown else None
    data = {
        "id": str(comment.pk),
        "post_id": str(comment.story_id),
        "parent_id": str(comment.parent_id) if comment.parent_id else None,
        "in_reply_to_id": str(comment.in_reply_to_id) if comment.in_reply_to_id else None,
        "status": comment.status,
        # Removed comments keep their place in a thread, never their words.
        "html": clean_for_output(comment.html) if shown or comment.status == Comment.PENDING else None,
        "created_at": comment.created_at.isoformat(),
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "member": _writer(comment, member, badges) if shown else None,
        "count": {"likes": comment.like_count, "replies": getattr(comment, "reply_count", 0)},
        "liked": comment.pk in liked,
    }
    if comment.in_reply_to_id and comment.in_reply_to_id != comment.parent_id:
        data["in_reply_to_snippet"] = plain_text(comment.in_reply_to.html)[:100] if shown else None
    if replies is not None:
        data["replies"] = [serialize(reply, badges=badges, liked=liked) for reply in replies]
    return data


def _writer(comment: Comment, member, badges: dict) -> dict | None:
    """Ghost's `member` object; an imported comment's guest gets one with no id (nobody can sign in
    as them), a deleted member's comment gets null as in Ghost."""
    if member is None:
        if not comment.guest_name:
            return None
        return {
            "id": None,
            "uuid": None,
            "name": comment.guest_name,
            "initials": comment.initials,
            "avatar_image": None,
            "expertise": None,
        }
    return {
        "id": str(member.uuid),
        "uuid": str(member.uuid),
        "name": member.name or "Anonymous",
        "initials": member.initials,
        "avatar_image": None,
        "expertise": badges.get(member.pk) or None,
    }


def _pagination(page: int, limit: int, total: int) -> dict:
    pages = max(1, -(-total // limit))
    return {
        "page": page,
        "limit": limit,
        "pages": pages,
        "total": total,
        "next": page + 1 if page < pages else None,
        "prev": page - 1 if page > 1 else None,
    }


def _order(request) -> str:
    # Ghost's clients send `order=created_at DESC`; ours send `newest` / `oldest`.
    value = (request.GET.get("order") or "").lower()
    return "newest" if value in ("newest", "created_at desc") else "oldest"


@never_cache
def browse(request, story_id):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    story = _story(story_id)
    if story is None or not services.thread_shown(story, comment_settings(request)):
        return _error(404, "There are no comments here.", "not_found")
    limit = max(1, min(_int(request.GET.get("limit"), services.PER_PAGE), services.MAX_PER_PAGE))
    thread = services.thread(
        story, order=_order(request), page=_int(request.GET.get("page"), 1), per_page=limit
    )
    member = current_member(request)
    shown = [c.pk for comment in thread.comments for c in (comment, *comment.preview_replies)]
    liked = services.liked_ids(member, shown)
    comments = [
        serialize(comment, badges=thread.badges, liked=liked, replies=comment.preview_replies)
        for comment in thread.comments
    ]
    body = {"comments": comments, "meta": {"pagination": _pagination(thread.page, limit, thread.top_count)}}
    return _private(JsonResponse(body))


@never_cache
def replies(request, pk):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    parent = _comment(pk)
    if parent is None or parent.parent_id is not None:
        return _error(404, "There is no such comment.", "not_found")
    rows = services.replies_of([parent], limit=None)[parent.pk]
    member = current_member(request)
    badges = services.badges(parent.story, [row.member for row in rows])
    liked = services.liked_ids(member, [row.pk for row in rows])
    limit = max(1, min(_int(request.GET.get("limit"), services.MAX_PER_PAGE), services.MAX_PER_PAGE))
    page = max(1, _int(request.GET.get("page"), 1))
    window = rows[(page - 1) * limit : page * limit]
    body = {
        "comments": [serialize(row, badges=badges, liked=liked) for row in window],
        "meta": {"pagination": _pagination(page, limit, len(rows))},
    }
    return _private(JsonResponse(body))


@never_cache
def viewer(request, story_id):
    """What comments.js needs to know about the reader: never part of the cached page."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    story = _story(story_id)
    if story is None:
        return _error(404, "There is no such story.", "not_found")
    member = current_member(request)
    site_settings = comment_settings(request)
    body = {
        "member": None,
        "can_comment": False,
        "banned": False,
        "liked": [],
        "own": {},
        "open": services.open_for_new_comments(story, site_settings),
    }
    if member is not None:
        banned = services.is_banned(member)
        own = Comment.objects.filter(story=story, member=member).exclude(status=Comment.DELETED)
        body.update(
            member={"uuid": str(member.uuid), "name": member.name, "initials": member.initials},
            banned=banned,
            can_comment=body["open"] and not banned,
            liked=[
                str(pk)
                for pk in member.comment_likes.filter(comment__story=story).values_list(
                    "comment_id", flat=True
                )
            ],
            own={str(row.pk): row.editable_until().isoformat() for row in own},
            # The page carries no CSRF token (it is cached for everyone): this is where the script gets it.
            csrf_token=get_token(request),
        )
    return _private(JsonResponse(body))


@never_cache
def collection(request):
    """POST adds a comment or a reply: `{post_id, parent_id?, html}` (Ghost) or `{..., text}`."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = _body(request)
    if data is None:
        return _error(400, "Send the comment as a JSON object.", "invalid_request")
    story = _story(data.get("post_id"))
    if story is None:
        return _error(404, "There is no such story.", "not_found")
    reply_to = None
    if data.get("in_reply_to_id") or data.get("parent_id"):
        reply_to = _comment(data.get("in_reply_to_id") or data.get("parent_id"))
        if reply_to is None:
            return _error(400, "You can't reply to this comment: it has been removed.", "parent_removed")
    if data.get("website"):
        # The honeypot: a bot filled the field people never see. Answer as if it worked, keep nothing.
        return _private(JsonResponse({"comments": [], "meta": {}}, status=201))
    try:
        comment = services.post_comment(
            member=current_member(request),
            story=story,
            text=data.get("text", data.get("html")),
            site_settings=comment_settings(request),
            reply_to=reply_to,
        )
    except services.CommentError as error:
        return _from(error)
    return _private(JsonResponse({"comments": [_one(comment)]}, status=201))


def _one(comment: Comment) -> dict:
    return serialize(comment, badges=services.badges(comment.story, [comment.member]), liked=set())


@never_cache
def item(request, pk):
    if request.method not in ("GET", "PUT", "DELETE"):
        return HttpResponseNotAllowed(["GET", "PUT", "DELETE"])
    comment = _comment(pk)
    if comment is None or (comment.status == Comment.PENDING and request.method == "GET"):
        return _error(404, "There is no such comment.", "not_found")
    member = current_member(request)
    try:
        if request.method == "DELETE":
            services.delete_comment(member=member, comment=comment)
            return _private(HttpResponse(status=204))
        if request.method == "PUT":
            data = _body(request)
            if data is None:
                return _error(400, "Send the change as a JSON object.", "invalid_request")
            if data.get("status") == Comment.DELETED:  # Ghost's clients delete by editing the status
                services.delete_comment(member=member, comment=comment)
            else:
                services.edit_comment(
                    member=member,
                    comment=comment,
                    text=data.get("text", data.get("html")),
                    site_settings=comment_settings(request),
                )
    except services.CommentError as error:
        return _from(error)
    liked = services.liked_ids(member, [comment.pk])
    body = serialize(comment, badges=services.badges(comment.story, [comment.member]), liked=liked)
    return _private(JsonResponse({"comments": [body]}))


@never_cache
def like(request, pk):
    if request.method not in ("POST", "DELETE"):
        return HttpResponseNotAllowed(["POST", "DELETE"])
    comment = _comment(pk)
    if comment is None:
        return _error(404, "There is no such comment.", "not_found")
    action = services.like if request.method == "POST" else services.unlike
    try:
        comment = action(member=current_member(request), comment=comment)
    except services.CommentError as error:
        return _from(error)
    body = {"id": str(comment.pk), "liked": request.method == "POST", "count": {"likes": comment.like_count}}
    return _private(JsonResponse({"comments": [body]}))


@never_cache
def report(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    comment = _comment(pk)
    if comment is None:
        return _error(404, "There is no such comment.", "not_found")
    data = _body(request)
    if data is None:
        return _error(400, "Send the report as a JSON object.", "invalid_request")
    try:
        services.report(member=current_member(request), comment=comment, reason=data.get("reason"))
    except services.CommentError as error:
        return _from(error)
    return _private(HttpResponse(status=204))


@never_cache
def counts(request):
    """`?ids=1,2,3` → `{"1": 4, "2": 0, "3": 12}` (at most 100 stories at once)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    raw = request.GET.get("ids", "")
    ids = []
    for part in raw.split(",")[:100]:
        if (story_id := services.valid_id(part.strip())) and story_id not in ids:
            ids.append(story_id)
    return _private(JsonResponse({str(key): value for key, value in services.counts(ids).items()}))
