"""Imports in the admin: a members CSV (upload, preview, import), next to Members in the menu; and
the code injection imported with stories, for review, under Settings."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from byline.porting import views


@hooks.register("register_admin_urls")
def porting_admin_urls():
    return [
        path("members/import/", views.import_members, name="porting_import_members"),
        path("imported-code-injection/", views.code_injection, name="porting_code_injection"),
    ]


class ImportMembersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("members.add_member")


@hooks.register("register_admin_menu_item")
def import_members_menu_item():
    return ImportMembersMenuItem(
        "Import members", reverse("porting_import_members"), icon_name="upload", order=231
    )


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_settings_menu_item")
def code_injection_menu_item():
    return SuperuserMenuItem(
        "Imported code injection", reverse("porting_code_injection"), icon_name="code", order=900
    )
