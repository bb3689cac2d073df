"""Moderation in Wagtail's admin: the comments queue (filters, search, bulk hide/unhide/approve/delete,
the reasons of reports), bans, and authors' comment alerts. Every action goes through services and is
logged in Wagtail's history (who, what, when)."""

import django_filters
from django import forms
from django.utils.html import format_html, format_html_join
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, DeleteView, SnippetViewSet, SnippetViewSetGroup

from byline.comments import services
from byline.comments.models import AuthorCommentAlert, Comment, CommentBan
from byline.comments.text import plain_text
from byline.stories.models import StoryPage

LOG_ACTIONS = {
    "byline_comments.hide": ("Hide comment", "Comment hidden"),
    "byline_comments.unhide": ("Unhide comment", "Comment shown again"),
    "byline_comments.approve": ("Approve comment", "Comment approved"),
    "byline_comments.delete": ("Delete comment", "Comment deleted by staff"),
    "byline_comments.ban": ("Ban from comments", "Member banned from commenting"),
    "byline_comments.unban": ("Lift comment ban", "Member allowed to comment again"),
}


@hooks.register("register_log_actions")
def register_comment_log_actions(actions):
    for action, (label, message) in LOG_ACTIONS.items():
        actions.register_action(action, label, message)


# The queue ------------------------------------------------------------------------------------------


class NoCreatePolicy(ModelPermissionPolicy):
    """Comments come from members only: staff moderate them, never write them in the admin."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(Comment, NoCreatePolicy(Comment))

REPORTED = "reported"
QUEUE_URL = "/admin/snippets/comments/comment/"


class CommentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=[*Comment.STATUS_CHOICES, (REPORTED, "Reported")], method="filter_status"
    )
    story = django_filters.ModelChoiceFilter(
        label="Story", queryset=StoryPage.objects.order_by("title"), field_name="story"
    )
    member = django_filters.CharFilter(label="Member or guest (email or name)", method="filter_member")

    class Meta:
        model = Comment
        fields = []

    def filter_status(self, queryset, name, value):
        if value == REPORTED:
            return queryset.filter(report_count__gt=0).order_by("-report_count", "-created_at")
        return queryset.filter(status=value)

    def filter_member(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(
            Q(member__email__icontains=value)
            | Q(member__name__icontains=value)
            | Q(guest_name__icontains=value)
        )


def comment_text(comment) -> str:
    return plain_text(comment.html)[:140] or "—"


def written_by(comment) -> str:
    # An imported comment's writer is not a member: say so, so nobody looks for them in Members.
    return f"{comment.guest_name} (guest)" if comment.is_guest else comment.member_name


def report_reasons(comment):
    reasons = [report.reason for report in comment.reports.all()]
    if not reasons:
        return ""
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((reason,) for reason in reasons)))


class CommentViewSet(SnippetViewSet):
    model = Comment
    icon = "comment"
    menu_label = "Queue"
    menu_order = 100
    list_display = [
        Column("text", label="Comment", accessor=comment_text),
        Column("member", label="Member", accessor=written_by),
        "story",
        "status",
        Column("reports", label="Reports", accessor=report_reasons),
        "created_at",
    ]
    filterset_class = CommentFilterSet
    search_fields = ["html"]
    search_backend_name = None  # plain database lookups: comments are not in the search index
    ordering = ["-created_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    list_per_page = 50
    panels = [
        FieldPanel("html", read_only=True, heading="Text"),
        FieldPanel("status", read_only=True),
        FieldPanel("hold_reason", read_only=True),
    ]

    def get_queryset(self, request):
        return Comment.objects.select_related("member", "story").prefetch_related("reports")


class CommentBulkAction(SnippetBulkAction):
    models = [Comment]
    template_name = "comments/admin/confirm_bulk_action.html"
    moderation_action = ""

    def check_perm(self, obj):
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "change", obj)

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        done = services.moderate(list(objects), kwargs["self"].moderation_action, user)
        return done, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return f"{num_parent_objects} comment(s): {self.display_name.lower()} done."


@hooks.register("register_bulk_action")
class HideComments(CommentBulkAction):
    display_name = "Hide"
    action_type = "hide"
    aria_label = "Hide the selected comments"
    moderation_action = "hide"
    action_priority = 10


@hooks.register("register_bulk_action")
class UnhideComments(CommentBulkAction):
    display_name = "Unhide"
    action_type = "unhide"
    aria_label = "Show the selected comments again"
    moderation_action = "unhide"
    action_priority = 20


@hooks.register("register_bulk_action")
class ApproveComments(CommentBulkAction):
    display_name = "Approve"
    action_type = "approve"
    aria_label = "Approve the selected comments"
    moderation_action = "approve"
    action_priority = 15


# Registered after Wagtail's own "delete" (a later order wins the slot): comments are soft-deleted so
# replies keep their thread and the action is logged like the others.
@hooks.register("register_bulk_action", order=100)
class DeleteComments(CommentBulkAction):
    display_name = "Delete"
    action_type = "delete"
    aria_label = "Delete the selected comments"
    moderation_action = "delete"
    action_priority = 30
    classes = {"serious"}


# Bans ---------------------------------------------------------------------------------------------


class BanAdminForm(WagtailAdminModelForm):
    hide_comments = forms.BooleanField(
        required=False,
        label="Also hide all their comments now",
        help_text="Only when banning; lifting the ban does not bring them back.",
    )


class BanCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.ban(
            data["member"],
            user=self.request.user,
            reason=data.get("reason", ""),
            hide_comments=data["hide_comments"],
        )


class BanDeleteView(DeleteView):
    def delete_action(self):
        services.unban(self.object, user=self.request.user)


class CommentBanViewSet(SnippetViewSet):
    model = CommentBan
    icon = "cross"
    menu_label = "Bans"
    menu_order = 200
    add_view_class = BanCreateView
    delete_view_class = BanDeleteView
    list_display = ["member", "reason", "banned_by", "created_at"]
    search_fields = ["member__email", "member__name", "reason"]
    search_backend_name = None
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("member"), FieldPanel("reason"), FieldPanel("hide_comments")],
        base_form_class=BanAdminForm,
    )


class AuthorAlertViewSet(SnippetViewSet):
    model = AuthorCommentAlert
    icon = "mail"
    menu_label = "Author alerts"
    menu_order = 300
    list_display = ["author", "email", "notify_on_comment"]
    search_fields = ["email", "author__name"]
    search_backend_name = None
    copy_view_enabled = False


class CommentsGroup(SnippetViewSetGroup):
    items = (CommentViewSet, CommentBanViewSet, AuthorAlertViewSet)
    menu_icon = "comment"
    menu_label = "Comments"
    menu_name = "comments"
    menu_order = 240
    submenu_hook = "register_comments_menu_item"


class QueueShortcut(MenuItem):
    """A filtered view of the queue in the Comments menu (staff who can moderate only)."""

    def is_shown(self, request):
        return NoCreatePolicy(Comment).user_has_permission(request.user, "change")


@hooks.register("register_comments_menu_item")
def reported_comments_menu_item():
    return QueueShortcut("Reported", f"{QUEUE_URL}?status={REPORTED}", icon_name="warning", order=2)


@hooks.register("register_comments_menu_item")
def held_comments_menu_item():
    return QueueShortcut(
        "Waiting for approval", f"{QUEUE_URL}?status={Comment.PENDING}", icon_name="time", order=3
    )


register_snippet(CommentsGroup)


# A member's detail page (members' register_member_detail_panel hook) -----------------------------------


class MemberCommentsPanel(Component):
    """The member's latest comments, with a link to all of them in the moderation queue."""

    template_name = "comments/admin/member_comments_panel.html"
    SHOWN = 10

    def __init__(self, member):
        self.member = member

    def get_context_data(self, parent_context=None):
        comments = Comment.objects.filter(member=self.member).select_related("story").order_by("-created_at")
        return {
            "member": self.member,
            "comments": [(comment, plain_text(comment.html)[:160]) for comment in comments[: self.SHOWN]],
            "total": comments.count(),
            "banned": CommentBan.objects.filter(member=self.member).exists(),
        }


@hooks.register("register_member_detail_panel")
def member_comments_panel(request, member):
    if request.user.has_perm("comments.change_comment"):
        return MemberCommentsPanel(member)
    return None
